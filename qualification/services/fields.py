"""Which fields a qualify may fill, and the field mappings read for each qualify (lead field ->
field of a new account, contact or opportunity)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from functools import lru_cache
from operator import attrgetter
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import models

from crm.models import Account, Contact, Opportunity
from crm.services.fields import ACCOUNT_MATCH_FIELDS, CONTACT_MATCH_FIELDS
from crm.services.records import STAGE_STEPS
from leads.models import Lead
from qualification.models import (
    FieldMapping,
    RecordType,
)

TARGET_MODELS: dict[str, type[models.Model]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
    RecordType.OPPORTUNITY: Opportunity,
}

# Fields the engine sets itself: never typed in by the salesperson.
SYSTEM_FIELDS: dict[type[models.Model], frozenset[str]] = {
    Account: frozenset({*ACCOUNT_MATCH_FIELDS, "owner"}),
    Contact: frozenset({*CONTACT_MATCH_FIELDS, "owner", "account"}),
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
    targets, read = _mapping_reader(tuple([(m.source_field, m.target_field) for m in mappings]))
    return dict(zip(targets, read(lead), strict=True))


def _no_reads(lead: Lead) -> tuple[()]:
    return ()


@lru_cache(maxsize=256)
def _mapping_reader(
    pairs: tuple[tuple[str, str], ...],
) -> tuple[tuple[str, ...], Callable[[Lead], tuple[Any, ...]]]:
    """(target fields, a function reading the lead's values for them, in that order) of
    each (source, target) pair whose source the lead has; worked out once per list of
    mappings, not once per lead of a bulk qualify."""
    reads = []
    for source_field, target_field in pairs:
        try:
            source = Lead._meta.get_field(source_field)
        except FieldDoesNotExist:
            continue
        reads.append((target_field, source.attname if source.is_relation else source.name))
    targets = tuple(target for target, _ in reads)
    if not reads:
        return targets, _no_reads
    getter = attrgetter(*(attribute for _, attribute in reads))
    if len(reads) == 1:
        return targets, lambda lead: (getter(lead),)
    return targets, getter


def field_mapping_split(
    *, model: type[models.Model], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mapped values split into plain values and relation ids (`{attname: id}`, stored on the
    new record's `<field>_id`). A name the model does not have is dropped."""
    plain: dict[str, Any] = {}
    relations: dict[str, Any] = {}
    for value, (relation, key) in zip(
        values.values(), _split_kinds(model, tuple(values)), strict=True
    ):
        if relation is None:
            continue
        (relations if relation else plain)[key] = value
    return plain, relations


@lru_cache(maxsize=256)
def _split_kinds(
    model: type[models.Model], names: tuple[str, ...]
) -> tuple[tuple[bool | None, str], ...]:
    """Per name: (True, attname) for a relation, (False, name) for a plain field, (None, name)
    for a name the model does not have."""
    kinds: list[tuple[bool | None, str]] = []
    for name in names:
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            kinds.append((None, name))
            continue
        if model_field.is_relation:
            kinds.append((True, model_field.attname))
        else:
            kinds.append((False, name))
    return tuple(kinds)


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
