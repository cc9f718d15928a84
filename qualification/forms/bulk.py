"""The bulk qualify dialog: which record types to create for every selected lead."""

from __future__ import annotations

from django import forms

from qualification.engine import BulkOptions


class BulkQualifyOptionsForm(forms.Form):
    create_account = forms.BooleanField(label="Account", required=False, initial=True)
    create_contact = forms.BooleanField(label="Contact", required=False, initial=True)
    create_opportunity = forms.BooleanField(label="Opportunity", required=False, initial=True)

    def options(self) -> BulkOptions:
        return BulkOptions(**self.cleaned_data)
