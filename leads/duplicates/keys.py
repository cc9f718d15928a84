"""The match keys a lead is found by as another lead's duplicate, each normalised the way
account and contact matching normalises it (`crm.matching`): its email and the email's domain,
each phone's trailing digits (country code tolerant), its folded full name, and its company's
normalised name with that name's word initials.

The keys are stored on the lead (indexed) so that finding a lead's candidate duplicates is an
indexed lookup (and on PostgreSQL a trigram index search on the name); the similarity rules then
score the candidates (`selectors`). Every write of the fields they come from refills them: the
lead services, the admin, the demo data and the test factory call `lead_match_keys`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm.matching import (
    email_domain,
    name_initials,
    normalize_company_name,
    normalize_email,
    normalize_phone,
    person_name_key,
)

if TYPE_CHECKING:
    from leads.models import Lead

KEY_FIELDS = (
    "email_key",
    "email_domain_key",
    "business_phone_key",
    "mobile_phone_key",
    "name_key",
    "company_key",
    "company_initials",
)
# The lead fields the keys are made of.
SOURCE_FIELDS = (
    "email",
    "business_phone",
    "mobile_phone",
    "first_name",
    "last_name",
    "company_name",
)


def company_key(company_name: str) -> str:
    """The normalised company name ('' without a company)."""
    return normalize_company_name(company_name) if (company_name or "").strip() else ""


def lead_match_key_values(
    *,
    email: str,
    business_phone: str,
    mobile_phone: str,
    first_name: str,
    last_name: str,
    company_name: str,
) -> dict[str, str]:
    """The key columns for these field values (also used by the backfill migrations)."""
    company = company_key(company_name)
    return {
        "email_key": normalize_email(email),
        "email_domain_key": email_domain(email),
        "business_phone_key": normalize_phone(business_phone),
        "mobile_phone_key": normalize_phone(mobile_phone),
        "name_key": person_name_key(first_name, last_name),
        "company_key": company,
        "company_initials": name_initials(company),
    }


def lead_match_keys(lead: Lead) -> Lead:
    """Refill the lead's key columns from its fields (not saved: the caller's write saves)."""
    values = lead_match_key_values(**{name: getattr(lead, name) for name in SOURCE_FIELDS})
    for name, value in values.items():
        setattr(lead, name, value)
    return lead
