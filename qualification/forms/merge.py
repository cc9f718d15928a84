"""The merge preview of "Use existing": per field the lead's mappings write, the existing
record's value, the lead's, and what will happen, with the salesperson's choice (keep existing
/ take the lead's). The choices are posted as `<type>-merge-<field>`, with the record they
were made for as `<type>-merge-record`; the engine checks them and applies them to that record
only (`qualification.engine.linked`)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.db import models
from django.http import QueryDict

from qualification.engine import (
    LinkedChoices,
    LinkedField,
    PlanMode,
    QualifyPlan,
    linked_choices_check,
    linked_fields,
)
from qualification.forms.fields import display_value, posted_index
from qualification.models import FieldMapping, RecordType
from qualification.services import TARGET_MODELS

LARGEST_ID = 2**63 - 1
RECORD_KEY = "record"
PICK_A_RECORD = "Select the {record} to use to see what it will take from the lead."
NOTHING_MAPPED = "The lead's field mappings write no field on this {record}."


def merge_prefix(record_type: str) -> str:
    return f"{record_type}-merge-"


def linked_choices_parse(data: QueryDict | None, record_type: str) -> LinkedChoices | None:
    """The posted choices for one record type, None when none were posted."""
    if data is None:
        return None
    prefix = merge_prefix(record_type)
    fields = {
        key[len(prefix) :]: str(data.get(key, ""))
        for key in data
        if key.startswith(prefix) and key != prefix + RECORD_KEY
    }
    record_id = posted_index(data.get(prefix + RECORD_KEY), maximum=LARGEST_ID)
    if not fields and record_id is None:
        return None
    return LinkedChoices(record_id=record_id, fields=fields)


@dataclass(frozen=True)
class PreviewRow:
    field: LinkedField
    old: str
    new: str


class MergePreview:
    """The preview of one record type for one existing record (or none picked yet)."""

    def __init__(
        self,
        *,
        record_type: str,
        record: models.Model | None,
        mappings: list[FieldMapping],
        lead_values: dict[str, Any],
        data: QueryDict | None = None,
    ) -> None:
        self.record_type = RecordType(record_type)
        self.model = TARGET_MODELS[record_type]
        self.record = record
        self.mappings = mappings
        self.lead_values = lead_values
        self.choices = linked_choices_parse(data, record_type)

    @property
    def label(self) -> str:
        return str(self.record_type.label).lower()

    @property
    def prefix(self) -> str:
        return merge_prefix(self.record_type)

    @cached_property
    def errors(self) -> list[str]:
        if self.choices is None:
            return []
        problems = linked_choices_check(
            record_type=self.record_type,
            model=self.model,
            mappings=self.mappings,
            choices=self.choices,
        )
        return [problem.message for problem in problems]

    @cached_property
    def rows(self) -> list[PreviewRow]:
        if self.record is None:
            return []
        fields = linked_fields(
            model=self.model,
            record=self.record,
            mappings=self.mappings,
            lead_values=self.lead_values,
            choices=self.choices,
        )
        return [
            PreviewRow(
                field=row, old=self._shown(row.name, row.old), new=self._shown(row.name, row.new)
            )
            for row in fields
            # A field empty on both sides says nothing.
            if not (row.old in (None, "") and row.new in (None, ""))
        ]

    @property
    def changes(self) -> int:
        return sum(row.field.changes for row in self.rows)

    @property
    def empty_message(self) -> str:
        if self.record is None:
            return PICK_A_RECORD.format(record=self.label)
        return NOTHING_MAPPED.format(record=self.label)

    def _shown(self, name: str, value: Any) -> str:
        if value in (None, ""):
            return ""
        return display_value(self.model, name, value)


def _picked(data: QueryDict, record_type: str) -> int | None:
    """The record the screen has picked: the duplicate dialog's, else Use existing's."""
    for key in (f"duplicate_{record_type}", f"{record_type}-existing"):
        picked = posted_index(data.get(key), maximum=LARGEST_ID)
        if picked:
            return picked
    return None


def merge_preview_for(*, plan: QualifyPlan, record_type: str, data: QueryDict) -> MergePreview:
    """The preview the screens ask for when the picked record changes: the lead's Existing
    Account/Contact when it has one, else the record picked in the dialog or the pane."""
    record_plan = getattr(plan, record_type)
    if record_plan.mode == PlanMode.EXISTING:
        record = record_plan.existing
    else:
        picked = _picked(data, record_type)
        model = TARGET_MODELS[record_type]
        record = model.objects.filter(pk=picked).first() if picked else None
    return MergePreview(
        record_type=record_type,
        record=record,
        mappings=plan.config.mappings[record_type],
        lead_values=record_plan.initial,
        data=data,
    )


def dialog_previews(
    *, plan: QualifyPlan, matches: dict[str, list[Any]], data: QueryDict
) -> dict[str, MergePreview]:
    """The duplicate dialog's preview per record type it asks about: for its one match (picked
    already), or the match the salesperson picked, else none yet."""
    previews = {}
    for record_type, records in matches.items():
        if not records:
            continue
        picked = _picked(data, record_type)
        record = records[0] if len(records) == 1 else None
        record = next((r for r in records if r.pk == picked), record)
        previews[record_type] = MergePreview(
            record_type=record_type,
            record=record,
            mappings=plan.config.mappings[record_type],
            lead_values=getattr(plan, record_type).initial,
            data=data if record is not None and picked == record.pk else None,
        )
    return previews
