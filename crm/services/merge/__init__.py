"""Merge duplicate accounts or contacts: `records.py` decides and writes the merged records,
`pointing.py` moves what points at them. The names callers use are here."""

from __future__ import annotations

from crm.services.merge.records import (
    MergeResult,
    accounts_merge,
    contacts_merge,
    merge_ids_check,
    records_merge,
    records_merge_refusal,
)

__all__ = [
    "MergeResult",
    "accounts_merge",
    "contacts_merge",
    "merge_ids_check",
    "records_merge",
    "records_merge_refusal",
]
