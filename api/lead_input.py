"""A lead's fields from an API request, parsed and checked by the screens' own forms (the lead
form and the Qualify stage's), so the API refuses what the screens refuse, with their messages
("This field is required.", "Select a valid choice. ..."), and amounts parse alike."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.forms import ModelForm, model_to_dict

from api.schemas import LeadIn
from leads.forms import LeadForm, QualifyStageForm
from leads.models import Lead


def _as_data(value: Any) -> Any:
    """A JSON value as a form's data holds it: null is an empty field."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return str(value)
    return value


def _form_values(
    form_class: type[ModelForm], sent: dict[str, Any], lead: Lead | None
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    names = [name for name in form_class._meta.fields if name in sent]
    data = {}
    if lead is not None:
        # The fields not sent keep their values: the form sees the lead as it is.
        data = {name: _as_data(value) for name, value in model_to_dict(lead).items()}
    data.update({name: _as_data(sent[name]) for name in names})
    form = form_class(data=data)
    form.is_valid()
    errors = {
        name: list(messages)
        for name, messages in form.errors.items()
        if name in names or lead is None or name == "__all__"
    }
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}, errors


def lead_values(payload: LeadIn, *, lead: Lead | None = None) -> dict[str, Any]:
    """The fields sent, cleaned (relations as records); raises ValidationError with each
    field's messages. A new lead (`lead` None) needs the lead form's required fields."""
    sent = payload.model_dump(exclude_unset=True)
    values: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for form_class in (LeadForm, QualifyStageForm):
        needed = lead is None and form_class is LeadForm
        if needed or any(name in sent for name in form_class._meta.fields):
            cleaned, problems = _form_values(form_class, sent, lead)
            values.update(cleaned)
            errors.update(problems)
    if errors:
        raise ValidationError(errors)
    return values
