"""The bulk qualify dialog: which record types to create for every selected lead."""

from __future__ import annotations

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
    result listed (else the grid's selection, read by the view); `confirm` once the
    salesperson has said yes."""

    job = forms.ModelChoiceField(queryset=BulkQualifyJob.objects.all(), required=False)
    # Any record's id is accepted: the undo refuses, lead by lead, what the user may not undo.
    ids = IdListField(required=False)
    confirm = forms.BooleanField(required=False)
