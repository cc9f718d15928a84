"""The forms of the Qualify screens (the side pane, the legacy dialog, the "Processing"
dialog, the duplicate dialog, the bulk dialog). They parse and display: what can be carried
out is the engine's to decide, and its typed problems are mapped back onto the fields."""

from __future__ import annotations

from qualification.forms.bulk import BulkQualifyOptionsForm, BulkUndoForm
from qualification.forms.duplicates import (
    PICK_DUPLICATE,
    DuplicateChoiceForm,
    carried_fields,
)
from qualification.forms.fields import mapped_values
from qualification.forms.merge import (
    MergePreview,
    dialog_previews,
    linked_choices_parse,
    merge_preview_for,
)
from qualification.forms.opportunities import (
    MAX_OPPORTUNITY_INDEX,
    ONE_OPPORTUNITY,
    OPPORTUNITY_LIMIT,
    OpportunityAdder,
    OpportunityChangeForm,
    OpportunityForm,
)
from qualification.forms.records import (
    CHOOSE_ONE,
    RECORD_MODELS,
    DuplicateOverrideForm,
    RecordChoiceForm,
    RecordSearchForm,
)
from qualification.forms.screen import SETTINGS_CHANGED, LegacyChoicesForm, QualifyForm

__all__ = [
    "CHOOSE_ONE",
    "MAX_OPPORTUNITY_INDEX",
    "ONE_OPPORTUNITY",
    "OPPORTUNITY_LIMIT",
    "PICK_DUPLICATE",
    "RECORD_MODELS",
    "SETTINGS_CHANGED",
    "BulkQualifyOptionsForm",
    "BulkUndoForm",
    "DuplicateChoiceForm",
    "DuplicateOverrideForm",
    "LegacyChoicesForm",
    "MergePreview",
    "OpportunityAdder",
    "OpportunityChangeForm",
    "OpportunityForm",
    "QualifyForm",
    "RecordChoiceForm",
    "RecordSearchForm",
    "carried_fields",
    "dialog_previews",
    "linked_choices_parse",
    "mapped_values",
    "merge_preview_for",
]
