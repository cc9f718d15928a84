"""Rules for what admins control: field mappings (which lead field fills which field of a new
record) and the qualification settings (which combinations of options make sense).

The admin forms call these functions; the engine reads the mappings through them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from crm.models import Account, Contact, Opportunity
from crm.services.records import STAGE_STEPS
from leads.models import Lead
from qualification.models import (
    MAX_OPPORTUNITIES,
    CreationMode,
    Experience,
    FieldMapping,
    QualificationSettings,
    RecordType,
)

TARGET_MODELS: dict[str, type[models.Model]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
    RecordType.OPPORTUNITY: Opportunity,
}

# Fields the engine sets itself: never typed in by the salesperson.
SYSTEM_FIELDS: dict[type[models.Model], frozenset[str]] = {
    Account: frozenset({"normalized_name", "website_domain", "owner"}),
    Contact: frozenset({"email_normalized", "full_name_normalized", "owner", "account"}),
    Opportunity: frozenset(
        {
            "owner",
            "customer_account",
            "customer_contact",
            "account",
            "contact",
            "state",
            "status_reason",
            "stage",
        }
    ),
}
# Relations a mapping may fill: the opportunity's Account and Contact (from the lead's
# Existing Account / Existing Contact). A new contact's account is the qualify's account.
MAPPABLE_RELATIONS: dict[type[models.Model], frozenset[str]] = {
    Opportunity: frozenset({"account", "contact"}),
}
# Lead fields that describe the lead's own life cycle, not the customer: never a source.
LEAD_SYSTEM_FIELDS = frozenset(
    {
        "owner",
        "state",
        "status_reason",
        "parent_account",
        "parent_contact",
        "qualifying_opportunity",
    }
)
# The process bar's step fields are filled in on the opportunity, not at qualification.
PROCESS_STEP_FIELDS = frozenset(step for steps in STAGE_STEPS.values() for step in steps)

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

SETTINGS_MULTIPLE_NEEDS_SALESPERSON = (
    "“Let salespeople create up to {max} opportunities” needs Experience = New and "
    "Opportunity = Salesperson."
)
SETTINGS_SUMMARY_NEEDS_NEW = (
    "“Summarize the lead after it is qualified” applies to the New experience only."
)
SETTINGS_DUPLICATES_NEED_A_RULE = (
    "Duplicate detection needs at least one rule: tick an account or a contact rule, "
    "or turn detection off."
)
QUICK_CREATE_UNKNOWN = "“{field}” is not an opportunity field the quick-create form can show."
QUICK_CREATE_TWICE = "“{field}” is picked more than once."


class FieldMappingError(Exception):
    """An invalid field mapping; `field` names the form field the message belongs to."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldMappingDefaultError(FieldMappingError):
    def __init__(self) -> None:
        super().__init__(MAPPING_DEFAULT_LOCKED)


class QualificationSettingsError(Exception):
    """Settings that do not go together; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(message for messages in errors.values() for message in messages))
        self.errors = errors


# Reads -----------------------------------------------------------------------------------


def field_mappings_by_target() -> dict[str, list[FieldMapping]]:
    """Every field mapping grouped by record type (one query, read fresh for each qualify)."""
    grouped: dict[str, list[FieldMapping]] = defaultdict(list)
    for mapping in FieldMapping.objects.order_by("target", "id"):
        grouped[mapping.target].append(mapping)
    return {target: grouped.get(target, []) for target in RecordType.values}


def field_mapping_values(*, lead: Lead, mappings: list[FieldMapping]) -> dict[str, Any]:
    """{target field: the lead's value} for one record type's mappings.

    A relation (Existing Account -> Account) gives the related record's id, so the value can
    be stored on the target's `<field>_id` without loading the record.
    """
    values: dict[str, Any] = {}
    for mapping in mappings:
        try:
            source = Lead._meta.get_field(mapping.source_field)
        except FieldDoesNotExist:
            continue
        if source.is_relation:
            values[mapping.target_field] = getattr(lead, source.attname)
        else:
            values[mapping.target_field] = getattr(lead, source.name)
    return values


def field_mapping_split(
    *, model: type[models.Model], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mapped values split into plain values and relation ids (`{attname: id}`, stored on the
    new record's `<field>_id`). A name the model does not have is dropped."""
    plain: dict[str, Any] = {}
    relations: dict[str, Any] = {}
    for name, value in values.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if model_field.is_relation:
            relations[model_field.attname] = value
        else:
            plain[name] = value
    return plain, relations


def record_editable_fields(*, model: type[models.Model]) -> list[str]:
    """The plain (non-relation) fields of a record that a qualify may fill in, in model order."""
    system = SYSTEM_FIELDS.get(model, frozenset())
    return [
        model_field.name
        for model_field in model._meta.concrete_fields
        if model_field.editable
        and not model_field.primary_key
        and not model_field.is_relation
        and not isinstance(model_field, models.FileField)
        and model_field.name not in system
        and model_field.name not in {"created_at", "updated_at"}
    ]


def mapping_source_fields() -> list[models.Field]:
    """The lead fields a mapping may read, in model order."""
    return [
        model_field
        for model_field in Lead._meta.concrete_fields
        if model_field.editable
        and not model_field.primary_key
        and model_field.name not in LEAD_SYSTEM_FIELDS
        and model_field.name not in {"created_at", "updated_at"}
    ]


def mapping_target_fields(*, target: str) -> list[models.Field]:
    """The fields of a new account, contact or opportunity a mapping may fill, in model order."""
    model = TARGET_MODELS[target]
    plain = set(record_editable_fields(model=model))
    relations = MAPPABLE_RELATIONS.get(model, frozenset())
    return [
        model_field
        for model_field in model._meta.concrete_fields
        if model_field.name in plain or model_field.name in relations
    ]


def quick_create_field_choices() -> list[tuple[str, str]]:
    """(name, label) of the opportunity fields the quick-create form can show, Topic first."""
    return [
        (name, str(Opportunity._meta.get_field(name).verbose_name))
        for name in record_editable_fields(model=Opportunity)
        if name not in PROCESS_STEP_FIELDS
    ]


# Field mappings --------------------------------------------------------------------------

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
) -> None:
    """Refuse a mapping whose fields do not exist, whose types do not fit, or whose target
    field already has a source. Raises FieldMappingError naming the offending form field."""
    if target not in TARGET_MODELS:
        raise FieldMappingError(f"“{target}” is not a record type.", field="target")
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
    )
    mapping.save()
    return mapping


def field_mapping_create(*, target: str, source_field: str, target_field: str) -> FieldMapping:
    """Add an admin's mapping (never a default one) after validating it."""
    return field_mapping_save(
        mapping=FieldMapping(target=target, source_field=source_field, target_field=target_field)
    )


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


# Settings --------------------------------------------------------------------------------


def quick_create_fields_clean(*, fields: list[str]) -> list[str]:
    """The admin's quick-create fields in order, Topic first; raises on unknown or repeated
    fields (QualificationSettingsError on "opportunity_quick_create_fields")."""
    allowed = {name for name, _ in quick_create_field_choices()}
    errors: list[str] = []
    seen: list[str] = []
    for name in fields:
        if not name:
            continue
        if name not in allowed:
            errors.append(QUICK_CREATE_UNKNOWN.format(field=name))
        elif name in seen:
            label = Opportunity._meta.get_field(name).verbose_name
            errors.append(QUICK_CREATE_TWICE.format(field=label))
        else:
            seen.append(name)
    if errors:
        raise QualificationSettingsError({"opportunity_quick_create_fields": errors})
    return ["topic", *(name for name in seen if name != "topic")]


def qualification_settings_validate(*, qualification_settings: QualificationSettings) -> None:
    """Refuse combinations that cannot apply. Raises QualificationSettingsError."""
    errors: dict[str, list[str]] = defaultdict(list)
    s = qualification_settings
    if s.allow_multiple_opportunities and not (
        s.experience == Experience.NEW and s.opportunity_mode == CreationMode.SALESPERSON
    ):
        errors["allow_multiple_opportunities"].append(
            SETTINGS_MULTIPLE_NEEDS_SALESPERSON.format(max=MAX_OPPORTUNITIES)
        )
    if s.summarize_after_qualify and s.experience != Experience.NEW:
        errors["summarize_after_qualify"].append(SETTINGS_SUMMARY_NEEDS_NEW)
    if s.detect_duplicates and not (
        s.match_account_by_name
        or s.match_account_by_domain
        or s.match_contact_by_email
        or s.match_contact_by_name
    ):
        errors["detect_duplicates"].append(SETTINGS_DUPLICATES_NEED_A_RULE)
    try:
        s.opportunity_quick_create_fields = quick_create_fields_clean(
            fields=list(s.opportunity_quick_create_fields or [])
        )
    except QualificationSettingsError as error:
        for name, messages in error.errors.items():
            errors[name].extend(messages)
    if errors:
        raise QualificationSettingsError(dict(errors))


def qualification_settings_update(
    *, qualification_settings: QualificationSettings, **fields: Any
) -> QualificationSettings:
    """Change the settings after checking the combination; the next qualify reads them."""
    for name, value in fields.items():
        setattr(qualification_settings, name, value)
    qualification_settings_validate(qualification_settings=qualification_settings)
    qualification_settings.save()
    return qualification_settings
