"""The match keys a lead is found by as another lead's duplicate: its email, each phone's
digits, and its full name with its company, each normalised the way account and contact
matching normalises them (`crm.matching`).

The keys are stored on the lead (indexed) so that finding a lead's duplicates is an indexed
equality lookup. Every write of the fields they come from refills them: the lead services, the
admin, the demo data and the test factory call `lead_match_keys`. Each key is one small
function, so a similarity rule (a phone's country code, a name written "Last, First") can
later replace the exact key it refines without touching the lookups.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm.matching import normalize_company_name, normalize_email, normalize_full_name

if TYPE_CHECKING:
    from leads.models import Lead

# Fewer digits than this are an extension or a typo, not a phone number two people share.
PHONE_MIN_DIGITS = 7
KEY_FIELDS = ("email_key", "business_phone_key", "mobile_phone_key", "name_company_key")
# The lead fields the keys are made of.
SOURCE_FIELDS = (
    "email",
    "business_phone",
    "mobile_phone",
    "first_name",
    "last_name",
    "company_name",
)


def email_key(email: str) -> str:
    return normalize_email(email)


def phone_key(phone: str) -> str:
    """The digits of the number ("+1 (425) 555-0100" and "1 425 555 0100" are one key)."""
    digits = "".join(ch for ch in phone or "" if ch.isdigit())
    return digits[:50] if len(digits) >= PHONE_MIN_DIGITS else ""


def name_company_key(first_name: str, last_name: str, company_name: str) -> str:
    """Full name and company together ("" without either: a name alone is not a match)."""
    name = normalize_full_name(first_name, last_name)
    company = normalize_company_name(company_name) if (company_name or "").strip() else ""
    return f"{name}|{company}"[:270] if name and company else ""


def lead_match_key_values(
    *,
    email: str,
    business_phone: str,
    mobile_phone: str,
    first_name: str,
    last_name: str,
    company_name: str,
) -> dict[str, str]:
    """The key columns for these field values (also used by the backfill migration)."""
    return {
        "email_key": email_key(email),
        "business_phone_key": phone_key(business_phone),
        "mobile_phone_key": phone_key(mobile_phone),
        "name_company_key": name_company_key(first_name, last_name, company_name),
    }


def lead_match_keys(lead: Lead) -> Lead:
    """Refill the lead's key columns from its fields (not saved: the caller's write saves)."""
    values = lead_match_key_values(**{name: getattr(lead, name) for name in SOURCE_FIELDS})
    for name, value in values.items():
        setattr(lead, name, value)
    return lead
