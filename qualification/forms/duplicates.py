"""The duplicate dialog: use the selected records, create new ones anyway, or go back; its
answer is written into the screen's original post, which is carried along as hidden inputs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import QueryDict

from qualification.engine import Choice
from qualification.forms.records import RECORD_MODELS

PICK_DUPLICATE = "Select the record to use in each list, or choose Create new anyway."

# Keys of the duplicate dialog and of the pane's own buttons: never carried into a re-post.
DIALOG_KEYS = frozenset(
    {"duplicate_action", "duplicate_types", "duplicate_account", "duplicate_contact"}
)
BUTTON_KEYS = frozenset({"action", "search", "add_opportunity", "remove_opportunity"})
NOT_CARRIED = DIALOG_KEYS | BUTTON_KEYS | {"csrfmiddlewaretoken"}


def carried_fields(data: QueryDict, asked: list[str] = ()) -> list[tuple[str, str]]:
    """Everything a screen posted, as hidden inputs for the duplicate dialog's re-post. The
    merge choices of the record types the dialog `asked` about are its own to post."""
    dropped = tuple(f"{record_type}-merge-" for record_type in asked)
    return [
        (key, value)
        for key, values in data.lists()
        if key not in NOT_CARRIED and not (dropped and key.startswith(dropped))
        for value in values
    ]


class DuplicateChoiceForm(forms.Form):
    duplicate_action = forms.ChoiceField(
        choices=[("use", "Use selected"), ("create", "Create new anyway"), ("back", "Back")]
    )
    duplicate_types = forms.CharField(required=False)
    duplicate_account = forms.IntegerField(required=False, min_value=1)
    duplicate_contact = forms.IntegerField(required=False, min_value=1)

    @property
    def types(self) -> list[str]:
        raw = str(self.data.get("duplicate_types", ""))
        return [name for name in raw.split(",") if name in RECORD_MODELS]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        if cleaned.get("duplicate_action") == "use" and any(
            cleaned.get(f"duplicate_{record_type}") is None for record_type in self.types
        ):
            raise forms.ValidationError(PICK_DUPLICATE)
        return cleaned

    @property
    def going_back(self) -> bool:
        return self.is_valid() and self.cleaned_data["duplicate_action"] == "back"

    def resolved(self) -> QueryDict:
        """The screen's original post with this answer written into it."""
        data = self.data.copy()
        for key in DIALOG_KEYS:
            data.pop(key, None)
        action = self.cleaned_data["duplicate_action"]
        for record_type in self.types:
            if action == "use":
                data[f"{record_type}-choice"] = Choice.EXISTING.value
                data[f"{record_type}-existing"] = str(self.cleaned_data[f"duplicate_{record_type}"])
                data[f"{record_type}-matched"] = "1"
                data.pop(f"{record_type}-create_anyway", None)
            elif action == "create":
                data[f"{record_type}-create_anyway"] = "1"
                data.pop(f"{record_type}-matched", None)
        return data
