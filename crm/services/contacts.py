"""Create and change contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm.models import Contact
from crm.services.errors import ContactLastNameRequiredError
from crm.services.fields import CONTACT_FIELDS, check_fields, contact_match_keys

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def contact_create(*, owner: User, last_name: str, **fields: Any) -> Contact:
    """Create a contact; `fields` are any of CONTACT_FIELDS (first name, email, account, ...)."""
    check_fields(fields, CONTACT_FIELDS)
    if not (last_name or "").strip():
        raise ContactLastNameRequiredError
    contact = Contact(owner=owner, last_name=last_name.strip(), **fields)
    contact_match_keys(contact)
    contact.save()
    return contact


def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    """Change a contact's fields and refresh its match columns in the same write."""
    check_fields(fields, CONTACT_FIELDS)
    if "last_name" in fields and not (fields["last_name"] or "").strip():
        raise ContactLastNameRequiredError
    for name, value in fields.items():
        setattr(contact, name, value)
    contact_match_keys(contact)
    contact.save(update_fields=[*fields, "email_normalized", "full_name_normalized", "updated_at"])
    return contact
