"""The admin's field mappings: both fields exist, their types fit, one source per target
field; the default mappings are fixed."""

from __future__ import annotations

from django.db import models

from crm.errors import DomainError
from qualification.models import (
    FieldMapping,
    LinkedPolicy,
    RecordType,
)
from qualification.services.fields import (
    TARGET_MODELS,
    mapping_source_fields,
    mapping_target_fields,
)

MAPPING_SOURCE_UNKNOWN = "The lead has no field “{field}” that can be mapped."
MAPPING_TARGET_UNKNOWN = "The {record} has no field “{field}” that can be mapped."
MAPPING_TYPES_DIFFER = (
    "Lead field “{source}” ({source_type}) cannot fill {record} field “{target}” ({target_type})."
)
MAPPING_TOO_LONG = (
    "Lead field “{source}” holds up to {source_length} characters but {record} field "
    "“{target}” only {target_length}: values would be cut."
)
MAPPING_CHOICES_DIFFER = (
    "{record} field “{target}” does not accept every choice of lead field “{source}” "
    "(missing: {missing})."
)
MAPPING_NEEDS_CHOICES = (
    "{record} field “{target}” only accepts its own choices; lead field “{source}” is free text."
)
MAPPING_RELATION_DIFFERS = (
    "Lead field “{source}” links to a {source_model}, {record} field “{target}” to a "
    "{target_model}."
)
MAPPING_TARGET_TAKEN = (
    "{record} field “{target}” already gets its value from lead field “{source}”: "
    "one source per target field."
)
MAPPING_DEFAULT_LOCKED = "Default field mappings cannot be changed or deleted."


class FieldMappingError(DomainError):
    """An invalid field mapping; `field` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class FieldMappingDefaultError(FieldMappingError):
    def __init__(self) -> None:
        super().__init__(MAPPING_DEFAULT_LOCKED)


_TEXT_FIELDS = (models.CharField, models.TextField)


def _kind(model_field: models.Field) -> str:
    """The value kind a field holds, for "do the types fit" (most specific class first)."""
    if model_field.is_relation:
        return "link"
    for kind, classes in (
        ("email", models.EmailField),
        ("URL", models.URLField),
        ("yes/no", models.BooleanField),
        ("date and time", models.DateTimeField),
        ("date", models.DateField),
        ("decimal", models.DecimalField),
        ("whole number", models.IntegerField),
        ("number", models.FloatField),
        ("text", _TEXT_FIELDS),
    ):
        if isinstance(model_field, classes):
            return kind
    return model_field.get_internal_type()


def _label(model_field: models.Field) -> str:
    return str(model_field.verbose_name)


def _types_fit(*, source: models.Field, target: models.Field, record: str) -> str | None:
    """None when every value of `source` fits `target`, else the reason it does not."""
    names = {
        "source": _label(source),
        "target": _label(target),
        "record": record,
        "source_type": _kind(source),
        "target_type": _kind(target),
    }
    source_kind, target_kind = _kind(source), _kind(target)
    if target_kind == "link" or source_kind == "link":
        if source_kind != target_kind:
            return MAPPING_TYPES_DIFFER.format(**names)
        if source.related_model is not target.related_model:
            return MAPPING_RELATION_DIFFERS.format(
                **names,
                source_model=source.related_model._meta.verbose_name,
                target_model=target.related_model._meta.verbose_name,
            )
        return None
    text_kinds = {"text", "email", "URL"}
    if target_kind == "text" and source_kind in text_kinds:
        pass  # any text fits plain text (length and choices are checked below)
    elif source_kind != target_kind:
        return MAPPING_TYPES_DIFFER.format(**names)
    if target.choices:
        if not source.choices:
            return MAPPING_NEEDS_CHOICES.format(**names)
        missing = {str(value) for value, _ in source.flatchoices} - {
            str(value) for value, _ in target.flatchoices
        }
        if missing:
            return MAPPING_CHOICES_DIFFER.format(**names, missing=", ".join(sorted(missing)))
    if isinstance(target, models.CharField) and target_kind in text_kinds:
        source_length = getattr(source, "max_length", None)
        if source_length is None or source_length > (target.max_length or 0):
            return MAPPING_TOO_LONG.format(
                **names,
                source_length=source_length or "unlimited",
                target_length=target.max_length,
            )
    if isinstance(target, models.DecimalField) and isinstance(source, models.DecimalField):
        source_whole = source.max_digits - source.decimal_places
        target_whole = target.max_digits - target.decimal_places
        if source_whole > target_whole or source.decimal_places > target.decimal_places:
            return MAPPING_TYPES_DIFFER.format(**names)
    return None


def field_mapping_validate(
    *,
    target: str,
    source_field: str,
    target_field: str,
    mapping_id: int | None = None,
    linked_policy: str = LinkedPolicy.FILL_EMPTY,
) -> None:
    """Refuse a mapping whose fields do not exist, whose types do not fit, or whose target
    field already has a source. Raises FieldMappingError naming the offending form field."""
    if target not in TARGET_MODELS:
        raise FieldMappingError(f"“{target}” is not a record type.", field="target")
    field_mapping_policy_check(target=target, linked_policy=linked_policy)
    record = RecordType(target).label.lower()
    sources = {model_field.name: model_field for model_field in mapping_source_fields()}
    targets = {
        model_field.name: model_field for model_field in mapping_target_fields(target=target)
    }
    if source_field not in sources:
        raise FieldMappingError(
            MAPPING_SOURCE_UNKNOWN.format(field=source_field), field="source_field"
        )
    if target_field not in targets:
        raise FieldMappingError(
            MAPPING_TARGET_UNKNOWN.format(record=record, field=target_field),
            field="target_field",
        )
    reason = _types_fit(source=sources[source_field], target=targets[target_field], record=record)
    if reason:
        raise FieldMappingError(reason, field="source_field")
    taken = (
        FieldMapping.objects.filter(target=target, target_field=target_field)
        .exclude(pk=mapping_id)
        .first()
    )
    if taken is not None:
        source_label = (
            _label(sources[taken.source_field])
            if taken.source_field in sources
            else taken.source_field
        )
        raise FieldMappingError(
            MAPPING_TARGET_TAKEN.format(
                record=RecordType(target).label,
                target=_label(targets[target_field]),
                source=source_label,
            ),
            field="target_field",
        )


def field_mapping_save(*, mapping: FieldMapping) -> FieldMapping:
    """Add or change an admin's mapping after validating it; default mappings are fixed."""
    if mapping.is_default:
        raise FieldMappingDefaultError
    field_mapping_validate(
        target=mapping.target,
        source_field=mapping.source_field,
        target_field=mapping.target_field,
        mapping_id=mapping.pk,
        linked_policy=mapping.linked_policy,
    )
    mapping.save()
    return mapping


def field_mapping_create(*, target: str, source_field: str, target_field: str) -> FieldMapping:
    """Add an admin's mapping (never a default one) after validating it."""
    return field_mapping_save(
        mapping=FieldMapping(target=target, source_field=source_field, target_field=target_field)
    )


LINKED_POLICY_UNKNOWN = "“{policy}” is not a policy for linked records."
LINKED_POLICY_OPPORTUNITY = "Opportunities are always created new: the policy does not apply."


def field_mapping_policy_check(*, target: str, linked_policy: str) -> None:
    if linked_policy not in LinkedPolicy.values:
        raise FieldMappingError(
            LINKED_POLICY_UNKNOWN.format(policy=linked_policy), field="linked_policy"
        )
    if target == RecordType.OPPORTUNITY and linked_policy != LinkedPolicy.FILL_EMPTY:
        raise FieldMappingError(LINKED_POLICY_OPPORTUNITY, field="linked_policy")


def field_mapping_policy_set(*, mapping: FieldMapping, linked_policy: str) -> FieldMapping:
    """Set what a mapping does to an existing account or contact a qualify links to. Default
    mappings take a policy too: their fields are fixed, not what they do to linked records."""
    field_mapping_policy_check(target=mapping.target, linked_policy=linked_policy)
    mapping.linked_policy = linked_policy
    FieldMapping.objects.filter(pk=mapping.pk).update(linked_policy=linked_policy)
    return mapping


def field_mapping_delete(*, mapping: FieldMapping) -> None:
    if mapping.is_default:
        raise FieldMappingDefaultError
    mapping.delete()


def field_mappings_delete(*, mapping_ids: list[int]) -> tuple[int, int]:
    """Delete the admin's mappings among `mapping_ids`; defaults stay. (deleted, kept)."""
    mappings = FieldMapping.objects.filter(pk__in=mapping_ids)
    kept = mappings.filter(is_default=True).count()
    deleted, _ = mappings.filter(is_default=False).delete()
    return deleted, kept
