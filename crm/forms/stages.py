"""The process bar's flyout forms, one per stage."""

from __future__ import annotations

from django import forms

from crm.models import Opportunity
from crm.process import STAGE_STEPS


def stage_steps_form_class(stage: str) -> type[forms.ModelForm]:
    """The flyout form of one process-bar stage: exactly that stage's step fields."""
    return forms.modelform_factory(
        Opportunity,
        fields=STAGE_STEPS[stage],
        widgets={
            "customer_need": forms.Textarea(attrs={"rows": 2}),
            "proposed_solution": forms.Textarea(attrs={"rows": 2}),
            "decision_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        },
    )
