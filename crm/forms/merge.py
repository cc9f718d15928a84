"""The merge page's input: which records (`?ids=3&ids=7`), which one is the master, and per
field the record whose value wins. Parsing only: crm.services.merge decides."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models

from crm.selectors.merge import MERGE_FIELDS
from crm.services.errors import MERGE_SOURCE_INVALID

# Record ids are positive and fit a signed 64-bit column; anything else names no record.
LARGEST_ID = 2**63 - 1
SELECTION_NOT_VALID = "Select two or more {records} in the grid to merge."


class RecordIdsField(forms.Field):
    """Repeated record ids (`ids=3&ids=7`), each between 1 and LARGEST_ID, in the order given
    (a repeated id stays repeated: the merge service refuses a record merged with itself)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        try:
            ids = [int(item) for item in values]
        except (TypeError, ValueError):
            raise forms.ValidationError("not a record id") from None
        if any(not 1 <= item <= LARGEST_ID for item in ids):
            raise forms.ValidationError("not a record id")
        return ids


class MergeSelectionForm(forms.Form):
    """`ids` and, optionally, `master` (one of them; the first id by default)."""

    ids = RecordIdsField(required=False)
    master = forms.IntegerField(required=False, min_value=1, max_value=LARGEST_ID)

    def __init__(self, data: Any, *, model: type[models.Model]) -> None:
        super().__init__(data)
        self.records_word = str(model._meta.verbose_name_plural)

    def selection(self) -> tuple[int, list[int]] | None:
        """(master id, the other ids in the order given), or None when the input is bad."""
        if not self.is_valid():
            return None
        ids = self.cleaned_data["ids"]
        if not ids:
            return None
        master = self.cleaned_data["master"]
        if master is None or master not in ids:
            master = ids[0]
        others = list(ids)
        others.remove(master)
        return master, others

    def refusal(self) -> str:
        return SELECTION_NOT_VALID.format(records=self.records_word)


class MergeChoicesForm(forms.Form):
    """Per merge field, `field-<name>`: the id of the record whose value wins (whether it is one
    of the merged records is the merge service's to say)."""

    def __init__(self, data: Any, *, model: type[models.Model]) -> None:
        super().__init__(data)
        self.model = model
        for name in MERGE_FIELDS[model]:
            self.fields[f"field-{name}"] = forms.IntegerField(
                required=False, min_value=1, max_value=LARGEST_ID
            )

    def field_sources(self) -> dict[str, int]:
        """The choices made (fields left out keep the merge's default)."""
        return {
            key.removeprefix("field-"): value
            for key, value in self.cleaned_data.items()
            if value is not None
        }

    def refusal(self) -> str:
        """What is wrong with the first choice that is not a record id."""
        name = next(iter(self.errors)).removeprefix("field-")
        label = self.model._meta.get_field(name).verbose_name
        return MERGE_SOURCE_INVALID.format(
            field=label, records=self.model._meta.verbose_name_plural
        )
