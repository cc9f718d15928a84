"""The fields each record service may set, the match columns it keeps filled, and the one
write that changes an account's or a contact's fields.

Accounts and contacts carry normalised match columns that duplicate detection looks up; every
write of the record services refills them, and `account_match_keys` / `contact_match_keys` do
the same for code that builds records itself (the admin, `bulk_create` in the engine and the
demo data).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.db import models, transaction

from crm.matching import (
    email_domain,
    name_initials,
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    normalize_phone,
    person_name_key,
    website_domain,
)
from crm.models import Account, Contact
from crm.services.errors import UNKNOWN_FIELDS, RecordError
from crm.services.locks import copy_back, record_lock_for_change

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

ADDRESS_FIELDS = (
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
)
# In the order people read them (the merge page shows them so).
ACCOUNT_FIELDS = (
    "name",
    "website",
    "phone",
    "email",
    "industry",
    *ADDRESS_FIELDS,
    "description",
    "owner",
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "account",
    "email",
    "business_phone",
    "mobile_phone",
    *ADDRESS_FIELDS,
    "description",
    "owner",
)
OPPORTUNITY_FIELDS = (
    "topic",
    "customer_account",
    "customer_contact",
    "account",
    "contact",
    "budget_amount",
    "purchase_timeframe",
    "purchase_process",
    "decision_maker",
    "need",
    "estimated_revenue",
    "estimated_close_date",
    "description",
    "owner",
)


def record_fields_update[T: models.Model](
    *,
    record: T,
    acting_user: AbstractBaseUser,
    fields: dict[str, Any],
    allowed: tuple[str, ...],
    required: tuple[str, type[RecordError]],
    match_keys: Callable[[T], T],
    match_fields: tuple[str, ...],
) -> T:
    """Change an account's or a contact's fields and refresh its match columns in the same
    write. `required` is the name field that may not be blank, with its error. Refused for a
    user who is neither the owner nor a sales manager, and for a record merged away."""
    check_fields(fields, allowed)
    name, error = required
    if name in fields:
        fields[name] = (fields[name] or "").strip()
        if not fields[name]:
            raise error
    with transaction.atomic():
        locked = record_lock_for_change(record, acting_user=acting_user)
        for field_name, value in fields.items():
            setattr(locked, field_name, value)
        match_keys(locked)
        locked.save(update_fields=[*fields, *match_fields, "updated_at"])
    copy_back(locked, record, (*fields, *match_fields, "updated_at"))
    return record


def check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        # A programming error (a caller passing a field the service does not own), not input.
        raise TypeError(UNKNOWN_FIELDS.format(fields=", ".join(unknown)))


def account_match_keys(account: Account) -> Account:
    """Fill the account's match columns (normalised name, website domain, phone) in place."""
    account.normalized_name = normalize_company_name(account.name)
    account.website_domain = website_domain(account.website)
    account.phone_normalized = normalize_phone(account.phone)
    account.name_initials = name_initials(account.normalized_name)
    return account


def contact_match_keys(contact: Contact) -> Contact:
    """Fill the contact's match columns (email, full name, name key, email domain, phones)."""
    contact.email_normalized = normalize_email(contact.email)
    contact.full_name_normalized = normalize_full_name(contact.first_name, contact.last_name)
    contact.name_key = person_name_key(contact.first_name, contact.last_name)
    contact.email_domain = email_domain(contact.email)
    contact.business_phone_normalized = normalize_phone(contact.business_phone)
    contact.mobile_phone_normalized = normalize_phone(contact.mobile_phone)
    return contact


ACCOUNT_MATCH_FIELDS = ("normalized_name", "website_domain", "phone_normalized", "name_initials")
CONTACT_MATCH_FIELDS = (
    "email_normalized",
    "full_name_normalized",
    "name_key",
    "email_domain",
    "business_phone_normalized",
    "mobile_phone_normalized",
)
