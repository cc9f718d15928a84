"""Matching customer records: the one place of every duplicate rule, shared by every app that
detects duplicates (the qualify engine in `qualification`, lead-to-lead detection in `leads`).

- `keys`: the normalised forms stored on the records (indexed) and looked up;
- `similarity`: the scorers that decide whether two names are alike, and say why;
- `rules`: which rules apply (the admin's switches).
"""

from __future__ import annotations

from crm.matching.keys import (
    ABBREVIATIONS,
    LEGAL_SUFFIXES,
    PHONE_KEY_DIGITS,
    PHONE_MIN_DIGITS,
    email_domain,
    fold,
    name_digits,
    name_initials,
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    normalize_phone,
    person_name_key,
    website_domain,
)

__all__ = [
    "ABBREVIATIONS",
    "LEGAL_SUFFIXES",
    "PHONE_KEY_DIGITS",
    "PHONE_MIN_DIGITS",
    "email_domain",
    "fold",
    "name_digits",
    "name_initials",
    "normalize_company_name",
    "normalize_email",
    "normalize_full_name",
    "normalize_phone",
    "person_name_key",
    "website_domain",
]
