"""Rules for what admins control: field mappings (which lead field fills which field of a new
record) and the qualification settings (which combinations of options make sense).

The admin forms call these functions; the engine reads the mappings through them.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db import models

from crm.models import Account, Contact, Opportunity
from leads.models import Lead
from qualification.models import FieldMapping, RecordType

TARGET_MODELS: dict[str, type[models.Model]] = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
    RecordType.OPPORTUNITY: Opportunity,
}


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
        except models.FieldDoesNotExist:
            continue
        if source.is_relation:
            values[mapping.target_field] = getattr(lead, source.attname)
        else:
            values[mapping.target_field] = getattr(lead, source.name)
    return values


# Fields the engine sets itself: never mapped, never typed in by the salesperson.
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
