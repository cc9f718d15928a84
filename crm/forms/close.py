"""The Close as Won and Close as Lost dialogs."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone

from crm.forms.renderer import FieldRenderer
from crm.models import Opportunity, OpportunityState, OpportunityStatus, money_validators
from crm.services.close import close_reasons


class CloseForm(forms.Form):
    """Status Reason, Actual Revenue, Actual Close Date and a description. The service decides
    what is required (Actual Revenue for a win, the date always) and names the field."""

    default_renderer = FieldRenderer

    status_reason = forms.ChoiceField(label="Status Reason")
    actual_revenue = forms.DecimalField(
        label="Actual Revenue",
        required=False,
        max_digits=15,
        decimal_places=2,
        validators=money_validators,
    )
    actual_close_date = forms.DateField(
        label="Actual Close Date",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, opportunity: Opportunity, state: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        reasons = close_reasons(state)
        self.fields["status_reason"].choices = [
            (reason, OpportunityStatus(reason).label) for reason in reasons
        ]
        self.fields["status_reason"].initial = reasons[0]
        self.fields["actual_close_date"].initial = timezone.localdate()
        if state == OpportunityState.WON:
            self.fields["actual_revenue"].initial = opportunity.estimated_revenue
