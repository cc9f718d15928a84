"""The bulk qualify dialog: which record types to create for every selected lead."""

from __future__ import annotations

from typing import Any

from django import forms

from leads.forms import IdListField
from qualification.engine import BulkOptions
from qualification.models import BulkQualifyJob


class BulkQualifyOptionsForm(forms.Form):
    create_account = forms.BooleanField(label="Account", required=False, initial=True)
    create_contact = forms.BooleanField(label="Contact", required=False, initial=True)
    create_opportunity = forms.BooleanField(label="Opportunity", required=False, initial=True)

    def options(self) -> BulkOptions:
        return BulkOptions(**self.cleaned_data)


class BulkUndoForm(forms.Form):
    """Which bulk qualify to undo: a background job, or the qualification records a bulk
    result listed; `confirm` once the salesperson has said yes."""

    job = forms.ModelChoiceField(queryset=BulkQualifyJob.objects.all(), required=False)
    # Any record's id is accepted: the undo refuses, lead by lead, what the user may not undo.
    ids = IdListField(required=False)
    confirm = forms.BooleanField(required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("job") is None and not data.get("ids"):
            raise forms.ValidationError("Nothing to undo.")
        return data

    def hidden_fields_for_confirm(self) -> list[tuple[str, Any]]:
        data = self.cleaned_data
        if data.get("job") is not None:
            return [("job", data["job"].pk)]
        return [("ids", pk) for pk in data.get("ids", [])]
