"""The fields each record service may set, and the match columns it keeps filled.

Accounts and contacts carry normalised match columns that duplicate detection looks up; every
write of the record services refills them, and `account_match_keys` / `contact_match_keys` do
the same for code that builds records itself (the admin, `bulk_create` in the engine and the
demo data).
"""

from __future__ import annotations

from typing import Any

from crm.matching import (
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    website_domain,
)
from crm.models import Account, Contact
from crm.services.errors import UNKNOWN_FIELDS

ADDRESS_FIELDS = (
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
)
ACCOUNT_FIELDS = (
    "name",
    "website",
    "phone",
    "email",
    "industry",
    "description",
    "owner",
    *ADDRESS_FIELDS,
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "email",
    "business_phone",
    "mobile_phone",
    "account",
    "description",
    "owner",
    *ADDRESS_FIELDS,
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


def check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        # A programming error (a caller passing a field the service does not own), not input.
        raise TypeError(UNKNOWN_FIELDS.format(fields=", ".join(unknown)))


def account_match_keys(account: Account) -> Account:
    """Fill the account's match columns (normalised name, website domain) in place."""
    account.normalized_name = normalize_company_name(account.name)
    account.website_domain = website_domain(account.website)
    return account


def contact_match_keys(contact: Contact) -> Contact:
    """Fill the contact's match columns (lower-cased email and full name) in place."""
    contact.email_normalized = normalize_email(contact.email)
    contact.full_name_normalized = normalize_full_name(contact.first_name, contact.last_name)
    return contact
