"""Delete customer records (accounts, contacts, opportunities) with their timelines, and tell
every record that loses its link to them.

Deleting an account clears the Existing Account of the leads that named it (and the Account
of its contacts, ...): the foreign keys are SET_NULL. Done silently, a salesperson would find
the field empty and qualify the lead into a new account. So the records whose link is cleared
are listed before the delete (Django admin's confirmation page warns with them) and each gets
a system event on its timeline saying what was cleared and why.

Generic over the models that point at the deleted ones, so `crm` needs no import of the apps
above it (leads): the links are read from the models' own relations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models, transaction

from crm.models import TimelineEntryKind
from crm.services.timeline import timeline_delete_for, timeline_entries_bulk_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

LINK_CLEARED_TITLE = "{field} cleared"
LINK_CLEARED_BODY = "The {model} {record} was deleted."


@dataclass(frozen=True)
class ClearedLink:
    """`record`'s field `field` points at `target`, which is about to be deleted."""

    record: models.Model
    field: models.ForeignKey
    target: models.Model

    @property
    def field_label(self) -> str:
        return str(self.field.verbose_name)

    @property
    def record_kind(self) -> str:
        return str(self.record._meta.verbose_name)

    @property
    def title(self) -> str:
        return LINK_CLEARED_TITLE.format(field=self.field_label)

    @property
    def body(self) -> str:
        return LINK_CLEARED_BODY.format(model=self.target._meta.verbose_name, record=self.target)


def _nullable_links_to(model: type[models.Model]) -> list[models.ForeignKey]:
    """The foreign keys of any model that point at `model` and are cleared when it goes."""
    return [
        relation.field
        for relation in model._meta.get_fields(include_hidden=True)
        if relation.auto_created
        and not relation.concrete
        and (relation.one_to_many or relation.one_to_one)
        and relation.field.remote_field.on_delete is models.SET_NULL
    ]


def record_links_cleared(*, records: Iterable[models.Model]) -> list[ClearedLink]:
    """The links that deleting `records` (all of one model) clears, in a stable order."""
    targets = {record.pk: record for record in records}
    if not targets:
        return []
    model = type(next(iter(targets.values())))
    links = []
    for field in _nullable_links_to(model):
        pointing = field.model._default_manager.filter(**{f"{field.name}__in": list(targets)})
        for record in pointing.order_by("pk"):
            target = targets[getattr(record, field.attname)]
            links.append(ClearedLink(record=record, field=field, target=target))
    return links


def records_delete(
    *, records: Sequence[models.Model] | models.QuerySet, acting_user: AbstractBaseUser
) -> int:
    """Delete the records (all of one model) with their timelines (files go after the
    commit); each record whose link to them is cleared gets a system event. Returns how many
    were deleted."""
    records = list(records)
    if not records:
        return 0
    model = type(records[0])
    with transaction.atomic():
        # Locked first, as a note being added locks them: a note cannot outlive its record.
        # A record being linked to one of them at this moment waits (on PostgreSQL its foreign
        # key check needs the row), so every link this delete clears is told about.
        locked = list(
            model._default_manager.select_for_update()
            .filter(pk__in=[record.pk for record in records])
            .order_by("pk")
        )
        links = record_links_cleared(records=locked)
        for record in locked:
            timeline_delete_for(record=record)
        model._default_manager.filter(pk__in=[record.pk for record in locked]).delete()
        timeline_entries_bulk_add(
            entries=[
                (link.record, acting_user, TimelineEntryKind.SYSTEM, link.title, link.body)
                for link in links
            ]
        )
    return len(locked)
