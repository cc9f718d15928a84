"""The side-by-side comparison of a lead and its duplicates, which is also the Merge leads
form: per field each lead's value, whether it is one of the matching fields, and which value
the merge keeps by default (`leads.services.merge.lead_merge_sources_default`)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from crm.money import format_money
from leads.duplicates.selectors import DuplicateMatch
from leads.models import Lead
from leads.services.merge import LEAD_MERGE_FIELDS, value_is_empty


@dataclass(frozen=True)
class CompareCell:
    lead: Lead
    value: str  # as the page shows it ("" when empty)
    chosen: bool
    matches: bool  # one of the fields this lead matched on


@dataclass(frozen=True)
class CompareRow:
    name: str
    label: str
    cells: list[CompareCell]
    differs: bool


def _shown(lead: Lead, name: str) -> str:
    field = Lead._meta.get_field(name)
    value = getattr(lead, name)
    if field.choices:
        value = getattr(lead, f"get_{name}_display")()
    elif isinstance(field, models.DecimalField):
        value = format_money(value)
    elif isinstance(field, models.BooleanField):
        value = "Yes" if value else ""
    return "" if value_is_empty(value) else str(value)


def compare_rows(
    *, lead: Lead, matches: list[DuplicateMatch], sources: dict[str, int]
) -> list[CompareRow]:
    """One row per merge field that any of the leads has a value for, the lead first, then its
    duplicates in the order given."""
    own = frozenset().union(*(match.own_fields for match in matches))
    columns = [(lead, own), *((match.lead, match.fields) for match in matches)]
    rows = []
    for name in LEAD_MERGE_FIELDS:
        cells = [
            CompareCell(
                lead=record,
                value=_shown(record, name),
                chosen=sources.get(name) == record.pk,
                matches=name in matching,
            )
            for record, matching in columns
        ]
        if not any(cell.value for cell in cells):
            continue  # nobody has a value: nothing to compare or choose
        label = str(Lead._meta.get_field(name).verbose_name)
        rows.append(CompareRow(name, label, cells, len({cell.value for cell in cells}) > 1))
    return rows
