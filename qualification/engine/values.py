"""The one check of the values a qualify writes on new records (mapped from the lead, edited
in the side pane, or sent by the API): each value goes through its model field's form field,
then the model's validators, the way a ModelForm checks it. No query is made, so bulk qualify
checks every lead of a chunk before its single INSERT per table, and a bad value fails that one
lead instead of aborting the chunk."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any

from django import forms
from django.core import validators
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models
from django.utils import translation

from qualification.engine.errors import REQUIRED, UNKNOWN_FIELD
from qualification.services import field_mapping_split, record_editable_fields


@cache
def _editable(model: type[models.Model]) -> frozenset[str]:
    return frozenset(record_editable_fields(model=model))


@cache
def _required(model: type[models.Model]) -> tuple[str, ...]:
    """The editable fields a new record cannot do without."""
    return tuple(
        name
        for name in record_editable_fields(model=model)
        if not model._meta.get_field(name).blank
        and not isinstance(model._meta.get_field(name), models.BooleanField)
    )


@cache
def _form_field(model: type[models.Model], name: str) -> forms.Field:
    # Form fields are stateless once built, so one per model field serves every value.
    return model._meta.get_field(name).formfield()


# Form fields whose `clean` of a str (or a bool) depends on the value alone, not on the active
# language's formats (dates and decimals do): their results are remembered, a bounded number.
_PURE = (forms.CharField, forms.ChoiceField, forms.BooleanField)
_REMEMBERED = 4096


@lru_cache(maxsize=_REMEMBERED)
def _clean_remembered(
    model: type[models.Model], name: str, raw: str | bool, language: str | None
) -> tuple[Any, tuple[str, ...]]:
    """(cleaned value, messages in `language`) of one value; the same answer every time for
    the same value, so bulk qualify checks "United States" or an empty Street 2 once, not on
    every lead."""
    try:
        return _clean_one(model, name, raw), ()
    except ValidationError as error:
        return None, tuple(error.messages)


@cache
def _model_validates_more(model: type[models.Model], name: str) -> bool:
    """Whether the model field has a validator its form field does not have already. A
    ModelForm runs both lists, but a validator the form field ran on the same value has
    passed, and its twin (same class, same settings) would pass again: when every validator
    of the model field has its twin on the form field (a URL, an email, a maximum length),
    the value is checked once, not twice."""
    ran = _form_field(model, name).validators
    return any(
        not any(type(other) is type(validator) and vars(other) == vars(validator) for other in ran)
        for validator in model._meta.get_field(name).validators
    )


def _clean_one(model: type[models.Model], name: str, raw: Any) -> Any:
    value = _form_field(model, name).clean(raw)
    if value not in validators.EMPTY_VALUES and _model_validates_more(model, name):
        model._meta.get_field(name).run_validators(value)
    return value


def values_clean(
    *, model: type[models.Model], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """(cleaned values, {field: messages}). Relations are not values here (the engine sets
    them); a field the salesperson may not set (unknown, system) is an error, and a required
    field left empty is one."""
    allowed = _editable(model)
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    language = translation.get_language()
    for name, raw in values.items():
        if name not in allowed:
            errors[name] = [UNKNOWN_FIELD]
            continue
        if type(raw) in (str, bool) and isinstance(_form_field(model, name), _PURE):
            value, messages = _clean_remembered(model, name, raw, language)
            if messages:
                errors[name] = list(messages)
                continue
            cleaned[name] = value
            continue
        try:
            value = _clean_one(model, name, raw)
        except FieldDoesNotExist:
            errors[name] = [UNKNOWN_FIELD]
            continue
        except ValidationError as error:
            errors[name] = list(error.messages)
            continue
        cleaned[name] = value
    for name in _required(model):
        if cleaned.get(name) in validators.EMPTY_VALUES and name not in errors:
            errors[name] = [REQUIRED]
    return cleaned, errors


def mapped_plain_values(*, model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The mapped values a new record takes as typed values. A mapping row naming a field the
    engine sets itself (possible only around the admin's checks) is ignored, not an error the
    salesperson could not fix."""
    allowed = _editable(model)
    plain, _ = field_mapping_split(model=model, values=values)
    return {name: value for name, value in plain.items() if name in allowed}
