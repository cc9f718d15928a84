"""What a qualify writes on an existing account or contact it links to: per mapped field, the
admin's policy (fill empty, overwrite, never), unless the salesperson chose for that field in
the merge preview (keep existing / take the lead's). The same rows are the preview the screens
show and the changes the engine writes; nothing here makes a query.

A lead without a value never blanks a field: there is nothing to take. A choice made for one
record applies to that record only: when the qualify links another one (the salesperson
picked another record, the duplicate dialog found another), that record gets the policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import models

from crm.models import Account, Contact
from crm.rows import instances_update
from crm.services.fields import ACCOUNT_MATCH_FIELDS, CONTACT_MATCH_FIELDS
from crm.services.records import account_match_keys, contact_match_keys
from qualification.engine.errors import FieldProblem
from qualification.models import FieldMapping, LinkedPolicy, RecordType
from qualification.services import record_editable_fields

if TYPE_CHECKING:
    from qualification.engine.decide import LeadDecision

KEEP = "keep"
TAKE = "take"
CHOICES = (KEEP, TAKE)

NOT_MAPPED = "“{field}” is not a field the lead's mappings write on the {record}."
BAD_CHOICE = "Choose Keep existing or Take the lead's for “{field}”."
NEVER_WRITTEN = "“{field}” is never updated from a lead (the administrator's policy)."

# What will happen to one field, as the preview says it.
FILLS = "Fills the empty field"
REPLACES = "Replaces the existing value"
KEEPS = "Keeps the existing value"
SAME = "Same value: no change"
NO_LEAD_VALUE = "The lead has no value: no change"
NEVER = "Never updated from a lead"


@dataclass(frozen=True)
class LinkedChoices:
    """The salesperson's per-field choices for one existing record: {field: KEEP or TAKE}."""

    record_id: int | None = None
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class LinkedField:
    """One mapped field of an existing record: its value, the lead's, and what happens."""

    name: str
    label: str
    policy: str
    old: Any
    new: Any
    choice: str  # KEEP or TAKE, after the salesperson's choice or the policy

    @property
    def differs(self) -> bool:
        return not _empty(self.new) and self.new != self.old

    @property
    def choosable(self) -> bool:
        """The salesperson can choose: the lead has another value and the policy allows it."""
        return self.differs and self.policy != LinkedPolicy.NEVER

    @property
    def changes(self) -> bool:
        return self.choosable and self.choice == TAKE

    @property
    def outcome(self) -> str:
        if _empty(self.new):
            return NO_LEAD_VALUE
        if not self.differs:
            return SAME
        if self.policy == LinkedPolicy.NEVER:
            return NEVER
        if self.choice == KEEP:
            return KEEPS
        return FILLS if _empty(self.old) else REPLACES


def _empty(value: Any) -> bool:
    return value in validators.EMPTY_VALUES


@cache
def _plain_fields(model: type[models.Model]) -> frozenset[str]:
    return frozenset(record_editable_fields(model=model))


def _mapped(model: type[models.Model], mappings: list[FieldMapping]) -> dict[str, FieldMapping]:
    """The mappings that write a plain field of the record, by target field."""
    allowed = _plain_fields(model)
    return {m.target_field: m for m in mappings if m.target_field in allowed}


def _lead_value(model: type[models.Model], name: str, raw: Any) -> Any:
    """The lead's value as the record's field holds it; a value the field would refuse is no
    value (the record keeps its own)."""
    model_field = model._meta.get_field(name)
    try:
        value = model_field.formfield().clean(raw)
        if not _empty(value):
            model_field.run_validators(value)
    except ValidationError:
        return None
    return value


def _default_choice(policy: str, old: Any) -> str:
    if policy == LinkedPolicy.OVERWRITE:
        return TAKE
    if policy == LinkedPolicy.FILL_EMPTY and _empty(old):
        return TAKE
    return KEEP


def linked_fields(
    *,
    model: type[models.Model],
    record: models.Model,
    mappings: list[FieldMapping],
    lead_values: dict[str, Any],
    choices: LinkedChoices | None = None,
) -> list[LinkedField]:
    """Every mapped field of `record`, in the mappings' order. `lead_values` are the lead's
    mapped values ({target field: value}); `choices` apply when made for this record."""
    chosen = choices.fields if choices is not None and choices.record_id == record.pk else {}
    rows = []
    for name, mapping in _mapped(model, mappings).items():
        old = getattr(record, name)
        new = _lead_value(model, name, lead_values.get(name))
        choice = chosen.get(name) or _default_choice(mapping.linked_policy, old)
        rows.append(
            LinkedField(
                name=name,
                label=str(model._meta.get_field(name).verbose_name),
                policy=mapping.linked_policy,
                old=old,
                new=new,
                choice=choice,
            )
        )
    return rows


def linked_choices_check(
    *,
    record_type: RecordType,
    model: type[models.Model],
    mappings: list[FieldMapping],
    choices: LinkedChoices,
) -> list[FieldProblem]:
    """The problems of posted choices: a field no mapping writes, a choice that is neither
    keep nor take, a take on a field the admin never lets a lead update."""
    mapped = _mapped(model, mappings)
    record = record_type.label.lower()
    problems = []
    for name, choice in choices.fields.items():
        if name not in mapped:
            message = NOT_MAPPED.format(field=name, record=record)
        elif choice not in CHOICES:
            message = BAD_CHOICE.format(field=model._meta.get_field(name).verbose_name)
        elif choice == TAKE and mapped[name].linked_policy == LinkedPolicy.NEVER:
            message = NEVER_WRITTEN.format(field=model._meta.get_field(name).verbose_name)
        else:
            continue
        problems.append(FieldProblem(record_type, message, "existing", standalone=True))
    return problems


@dataclass(frozen=True)
class LinkedChange:
    """One field a qualify changes on an existing record (the qualification records it)."""

    record_type: RecordType
    record: models.Model
    name: str
    old: Any
    new: Any


_MATCH_KEYS: dict[type[models.Model], tuple[Callable[[Any], Any], tuple[str, ...]]] = {
    Account: (account_match_keys, ACCOUNT_MATCH_FIELDS),
    Contact: (contact_match_keys, CONTACT_MATCH_FIELDS),
}


def linked_changes_write(
    *, decisions: list[LeadDecision], now: datetime
) -> list[list[LinkedChange]]:
    """Apply the mapped values to the existing records the decided leads link, lead by lead
    (two leads of a batch linking one record: the second sees the first one's values), then
    write them with one UPDATE per record type, whatever the number of leads. Must run before
    the new records are inserted (a record without a primary key is a new one, not linked).
    Returns each lead's changes, in order."""
    canonical: dict[tuple[type[models.Model], int], models.Model] = {}
    changed: dict[type[models.Model], dict[int, set[str]]] = {Account: {}, Contact: {}}
    per_lead: list[list[LinkedChange]] = []
    for decision in decisions:
        changes: list[LinkedChange] = []
        for pick, model in ((decision.account, Account), (decision.contact, Contact)):
            linked = pick.record
            if linked is None or linked.pk is None:
                continue
            record = canonical.setdefault((model, linked.pk), linked)
            record_plan = getattr(decision.plan, pick.record_type)
            rows = linked_fields(
                model=model,
                record=record,
                mappings=decision.plan.config.mappings[pick.record_type],
                lead_values=record_plan.initial,
                choices=decision.linked_choices.get(pick.record_type),
            )
            for row in rows:
                if not row.changes:
                    continue
                changes.append(LinkedChange(pick.record_type, record, row.name, row.old, row.new))
                for instance in {id(record): record, id(linked): linked}.values():
                    setattr(instance, row.name, row.new)
                changed[model].setdefault(record.pk, set()).add(row.name)
        per_lead.append(changes)
    for model, records in changed.items():
        if not records:
            continue
        match_keys, key_fields = _MATCH_KEYS[model]
        objects = []
        for pk in records:
            record = canonical[(model, pk)]
            match_keys(record)
            record.updated_at = now
            objects.append(record)
        names = sorted(set().union(*records.values()))
        instances_update(model=model, objs=objects, fields=[*names, *key_fields, "updated_at"])
    return per_lead
