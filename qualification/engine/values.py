"""The one check of the values a qualify writes on new records (mapped from the lead, edited
in the side pane, or sent by the API): each value goes through its model field's form field,
then the model's validators, the way a ModelForm checks it. No query is made, so bulk qualify
checks every lead of a chunk before its single INSERT per table, and a bad value fails that one
lead instead of aborting the chunk."""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Any, NamedTuple

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


# The validators a plain CharField's `clean` runs, which `_plain_text` checks as they do.
_TEXT_VALIDATORS = (
    validators.MaxLengthValidator,
    validators.MinLengthValidator,
    validators.ProhibitNullCharactersValidator,
)


class _PlainText(NamedTuple):
    strip: bool
    max_length: int | None
    min_length: int | None
    required: bool
    empty_value: Any


@cache
def _plain_text(model: type[models.Model], name: str) -> _PlainText | None:
    """How a field whose form field is a plain CharField (a name, a phone, a street: no
    choices, no email or URL check) and whose model field adds no validator of its own
    cleans a text; None for any other field."""
    form_field = _form_field(model, name)
    if type(form_field) is not forms.CharField or _model_validates_more(model, name):
        return None
    if any(type(validator) not in _TEXT_VALIDATORS for validator in form_field.validators):
        return None
    return _PlainText(
        form_field.strip,
        form_field.max_length,
        form_field.min_length,
        form_field.required,
        form_field.empty_value,
    )


# `_text_clean` could not tell: the form field decides.
_UNSURE = object()


def _text_clean(text: _PlainText, raw: str) -> Any:
    """What a plain CharField's `clean` returns for a text it accepts (the text stripped, or
    the field's empty value for an empty text on an optional field), without calling it;
    `_UNSURE` for a text it might refuse (too long or too short, a null character, empty on a
    required field): the form field then decides, with its own messages. Most texts a bulk
    qualify writes are unique (a name, a phone), so remembering them would not help; this
    check costs a few string operations."""
    value = raw.strip() if text.strip else raw
    if not value:
        return _UNSURE if text.required else text.empty_value
    if (
        (text.max_length is not None and len(value) > text.max_length)
        or (text.min_length is not None and len(value) < text.min_length)
        or "\x00" in value
    ):
        return _UNSURE
    return value


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
    language = _UNSURE
    for name, raw in values.items():
        if name not in allowed:
            errors[name] = [UNKNOWN_FIELD]
            continue
        if type(raw) is str:
            text = _plain_text(model, name)
            if text is not None:
                value = _text_clean(text, raw)
                if value is not _UNSURE:
                    cleaned[name] = value
                    continue
        if type(raw) in (str, bool) and isinstance(_form_field(model, name), _PURE):
            if language is _UNSURE:
                language = translation.get_language()
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
