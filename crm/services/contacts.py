"""Create, change and delete contacts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from crm.models import Contact
from crm.services.deletion import record_delete
from crm.services.errors import ContactLastNameRequiredError
from crm.services.fields import (
    CONTACT_FIELDS,
    CONTACT_MATCH_FIELDS,
    check_fields,
    contact_match_keys,
    record_fields_update,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, User

MATCH_FIELDS = CONTACT_MATCH_FIELDS


def contact_create(*, owner: User, last_name: str, **fields: Any) -> Contact:
    """Create a contact; `fields` are any of CONTACT_FIELDS (first name, email, account, ...)."""
    check_fields(fields, CONTACT_FIELDS)
    if not (last_name or "").strip():
        raise ContactLastNameRequiredError
    contact = Contact(owner=owner, last_name=last_name.strip(), **fields)
    contact_match_keys(contact)
    contact.save()
    return contact


def contact_update(*, contact: Contact, acting_user: AbstractBaseUser, **fields: Any) -> Contact:
    """Change a contact's fields (any of CONTACT_FIELDS) and refresh its match columns in the
    same write. Refused for a user who is neither its owner nor a sales manager, and for a
    contact merged away meanwhile."""
    return record_fields_update(
        record=contact,
        acting_user=acting_user,
        fields=fields,
        allowed=CONTACT_FIELDS,
        required=("last_name", ContactLastNameRequiredError),
        match_keys=contact_match_keys,
        match_fields=MATCH_FIELDS,
    )


def contact_delete(*, contact: Contact, acting_user: AbstractBaseUser) -> None:
    """Delete the contact with its timeline (see crm.services.deletion.record_delete): refused
    while open opportunities or open leads point at it, or it is an opportunity's customer."""
    record_delete(record=contact, acting_user=acting_user)
