"""Reads for merging duplicate accounts or contacts: the records side by side, the value each
field keeps by default, and what each record would hand over to the master."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.db import models
from django.db.models import Count

from crm.links import record_links
from crm.models import Account, Contact
from crm.services.fields import ACCOUNT_FIELDS, CONTACT_FIELDS

# The fields a merge decides one by one, in the order the merge page shows them: every field
# a person sets on the record.
MERGE_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Account: ACCOUNT_FIELDS,
    Contact: CONTACT_FIELDS,
}
# What the merge page reads with the records so that showing a field costs no query.
MERGE_RELATED: dict[type[models.Model], tuple[str, ...]] = {
    Account: ("owner",),
    Contact: ("owner", "account"),
}
MERGE_MAX_RECORDS = 5


def merge_stored_value(record: models.Model, name: str) -> Any:
    """The field's stored value (a foreign key's id, not the object)."""
    return getattr(record, record._meta.get_field(name).attname)


def merge_value_is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merge_records(*, model: type[models.Model], ids: list[int]) -> list[models.Model]:
    """The records of `ids` that exist, in the order of `ids`, with what the page shows."""
    found = model._default_manager.select_related(*MERGE_RELATED[model]).in_bulk(ids)
    return [found[pk] for pk in dict.fromkeys(ids) if pk in found]


def merge_sources_default(
    *, model: type[models.Model], records: list[models.Model], master_id: int
) -> dict[str, int]:
    """Per field, the record whose value the merge keeps unless told otherwise: the master's,
    or, where the master's is empty, the first other record (in the order given) that has one."""
    master = next(record for record in records if record.pk == master_id)
    others = [record for record in records if record.pk != master_id]
    sources: dict[str, int] = {}
    for name in MERGE_FIELDS[model]:
        source = master
        if merge_value_is_empty(merge_stored_value(master, name)):
            source = next(
                (r for r in others if not merge_value_is_empty(merge_stored_value(r, name))),
                master,
            )
        sources[name] = source.pk
    return sources


@dataclass(frozen=True)
class MergeCell:
    record: models.Model
    value: str  # as the page shows it ("" when empty)
    chosen: bool


@dataclass(frozen=True)
class MergeRow:
    name: str
    label: str
    cells: list[MergeCell]
    differs: bool  # the records do not all have the same value


def _shown(record: models.Model, name: str) -> str:
    value = getattr(record, name)
    if isinstance(value, AbstractBaseUser):
        return value.get_full_name() or value.get_username()
    return "" if merge_value_is_empty(value) else str(value)


def merge_rows(
    *, model: type[models.Model], records: list[models.Model], sources: dict[str, int]
) -> list[MergeRow]:
    """One row per merge field: each record's value and which one is chosen."""
    rows = []
    for name in MERGE_FIELDS[model]:
        cells = [
            MergeCell(record=record, value=_shown(record, name), chosen=sources[name] == record.pk)
            for record in records
        ]
        label = str(model._meta.get_field(name).verbose_name)
        rows.append(MergeRow(name, label, cells, len({cell.value for cell in cells}) > 1))
    return rows


def merge_link_counts(
    *, model: type[models.Model], ids: list[int]
) -> dict[int, list[tuple[str, int]]]:
    """Per record, what points at it and would move to the master: ("contacts (Account
    Name)", 3), ... One query per kind of link, whatever the number of rows."""
    counts: dict[int, list[tuple[str, int]]] = {pk: [] for pk in ids}
    for link in record_links(model):
        grouped = (
            link.model._base_manager.filter(link.pointing_at(model, ids))
            .values(link.column)
            .annotate(rows=Count("pk"))
            .order_by()
        )
        for row in grouped:
            counts[row[link.column]].append((link.title(row["rows"]), row["rows"]))
    return counts
