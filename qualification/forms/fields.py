"""What every Qualify screen's form shares: form fields made from the model's fields (labels
are the SPEC's words), how a value is shown read-only, and reading a number a client posted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.db import models

from crm.money import format_money
from qualification.engine import FieldProblem
from qualification.services import record_editable_fields


def model_form_field(model: type[models.Model], name: str) -> forms.Field:
    """The model field's form field, with a browser date picker and small text areas."""
    model_field = model._meta.get_field(name)
    form_field = model_field.formfield()
    if isinstance(model_field, models.DateField) and not isinstance(
        model_field, models.DateTimeField
    ):
        form_field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    elif isinstance(model_field, models.TextField):
        form_field.widget = forms.Textarea(attrs={"rows": 2})
    form_field.shows_required = form_field.required
    return form_field


def engine_checked(form_field: forms.Field) -> forms.Field:
    """The field draws as the model's form field would (label, widget, initial value), but its
    value goes to the engine as typed: the engine checks it, together with every other value of
    the screen, so the salesperson sees every problem at once and each rule lives once."""
    form_field.required = False
    form_field.clean = lambda value: value  # type: ignore[method-assign]
    return form_field


def display_value(model: type[models.Model], name: str, value: Any) -> str:
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, Decimal):
        return format_money(value)
    return str(value)


def mapped_values(model: type[models.Model], initial: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, value) of what the field mappings put on a new record, empty values left out,
    in the mappings' order (names first, then the address, as the admin lists them)."""
    editable = set(record_editable_fields(model=model))
    return [
        (str(model._meta.get_field(name).verbose_name), display_value(model, name, value))
        for name, value in initial.items()
        if name in editable and value not in (None, "", False)
    ]


def posted_index(raw: object, *, maximum: int) -> int | None:
    """A non-negative whole number a client posted (a form's index, a record id), or None for
    anything else: text, "²" (a digit to `str.isdigit`, not to `int`), a number past `maximum`."""
    text = str(raw or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None


def problems_add(form: forms.Form, model: type[models.Model], problems: list[FieldProblem]) -> None:
    """Put the engine's problems on a form: next to the field when the form shows it, else
    at the top of the form, saying which field it is about."""
    for problem in problems:
        if problem.field in form.fields:
            form.add_error(problem.field, problem.message)
        elif problem.field is None:
            form.add_error(None, problem.message)
        else:
            label = model._meta.get_field(problem.field).verbose_name
            form.add_error(None, f"{label}: {problem.message}")
