"""Duplicate detection: the existing accounts and contacts a new record would repeat, and why.

- `candidates_for_values(values=[LeadValues(...)], rules=...)`: the public question "which
  existing records would these lead values duplicate?", each match with `why` ("same phone",
  "similar name 0.93 + same domain"); set-based (two queries for any number of values).
- the scorers without a query (`person_name_reason`, `company_name_reason`) and the rules'
  switches (`DuplicateRules`) are `crm.matching`'s, shared with lead-to-lead detection.
- `accounts`, `contacts`: the engine's set-based candidate search (`accounts_find`,
  `contacts_find`), one statement per record type; `search` what they share.
- `locks`: the match-key locks that serialise writers creating records with one key.
"""

from __future__ import annotations

from crm.matching.rules import NO_RULES, DuplicateRules
from crm.matching.similarity import (
    Match,
    company_name_reason,
    company_name_similarity,
    person_name_reason,
    person_name_similarity,
)
from qualification.duplicates.accounts import AccountMatches, accounts_find
from qualification.duplicates.candidates import Candidates, LeadValues, candidates_for_values
from qualification.duplicates.contacts import ContactMatches, contacts_find
from qualification.duplicates.locks import (
    LOCK_OUTSIDE_TRANSACTION,
    AccountKeys,
    ContactKeys,
    MatchKeyKind,
    account_keys_of,
    contact_keys_of,
    match_key_lock_id,
    match_key_lock_ids,
    match_keys_lock,
)
from qualification.duplicates.search import LARGEST_ID, MAX_MATCHES_SHOWN

__all__ = [
    "LARGEST_ID",
    "LOCK_OUTSIDE_TRANSACTION",
    "MAX_MATCHES_SHOWN",
    "NO_RULES",
    "AccountKeys",
    "AccountMatches",
    "Candidates",
    "ContactKeys",
    "ContactMatches",
    "DuplicateRules",
    "LeadValues",
    "Match",
    "MatchKeyKind",
    "account_keys_of",
    "accounts_find",
    "candidates_for_values",
    "company_name_reason",
    "company_name_similarity",
    "contact_keys_of",
    "contacts_find",
    "match_key_lock_id",
    "match_key_lock_ids",
    "match_keys_lock",
    "person_name_reason",
    "person_name_similarity",
]
