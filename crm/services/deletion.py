"""Deleting customer records.

Two callers, one way of deleting. Django admin deletes accounts, contacts and opportunities
(`records_delete`); the app's Delete command deletes an account or a contact unless records
still being worked on point at it (`record_delete`, refused with `record_delete_refusal`).

What points at a record is read from the models themselves (`crm.links`, `_meta`), since the
lead model lives in a higher app: an opportunity whose Potential Customer it is (a PROTECT
link) and open opportunities and open leads that name it block the app's delete; closed ones
only lose the link. Links that a delete clears (SET_NULL foreign keys: a lead's Existing
Account, a contact's Account, ...) are not cleared silently: each record that loses one gets
a system event on its timeline saying what was cleared and why, and Django admin's
confirmation page lists them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.db.models import Count

from crm.links import Link, links_by_model
from crm.models import TimelineEntryKind
from crm.services.errors import RecordError, RecordInUseError
from crm.services.locks import record_change_refusal, record_lock
from crm.services.timeline import timeline_delete_for, timeline_entries_bulk_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

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
        _locked_delete(model=model, records=locked, acting_user=acting_user)
    return len(locked)


def _locked_delete(
    *, model: type[models.Model], records: list[models.Model], acting_user: AbstractBaseUser
) -> None:
    """Delete locked records with their timelines and tell each record that loses its link."""
    links = record_links_cleared(records=records)
    for record in records:
        timeline_delete_for(record=record)
    model._default_manager.filter(pk__in=[record.pk for record in records]).delete()
    timeline_entries_bulk_add(
        entries=[
            (link.record, acting_user, TimelineEntryKind.SYSTEM, link.title, link.body)
            for link in links
        ]
    )


def record_delete_blockers(*, record: models.Model) -> list[tuple[Link, int]]:
    """The links that keep the record from being deleted, each with its number of rows. One
    query per model that can block (opportunities, leads), whatever the number of rows."""
    model = type(record)
    blockers = []
    for link_model, links in links_by_model(model):
        blocking = [(link, link.open_rows) for link in links if link.open_rows is not None]
        if not blocking:
            continue
        counts = link_model._base_manager.aggregate(
            **{
                f"link{index}": Count("pk", filter=link.pointing_at(model, [record.pk]) & open_rows)
                for index, (link, open_rows) in enumerate(blocking)
            }
        )
        blockers += [
            (link, counts[f"link{index}"])
            for index, (link, _open) in enumerate(blocking)
            if counts[f"link{index}"]
        ]
    return blockers


def _describe(link: Link, count: int) -> str:
    state = "" if link.protects else "open "
    return f"{count} {state}{link.title(count)}"


def record_delete_refusal(
    *, record: models.Model, acting_user: AbstractBaseUser | AnonymousUser
) -> RecordError | None:
    """Why `record_delete` would refuse now (None: it would not), so that the Delete dialog
    can say it before anything is asked. The delete itself checks again, locked."""
    refusal = record_change_refusal(record, acting_user=acting_user)
    if refusal is not None:
        return refusal
    blockers = record_delete_blockers(record=record)
    if blockers:
        links = ", ".join(_describe(link, count) for link, count in blockers)
        return RecordInUseError(
            record=str(record._meta.verbose_name), name=str(record), links=links
        )
    return None


def record_delete(*, record: models.Model, acting_user: AbstractBaseUser) -> None:
    """Delete the record with its timeline; its attachment files go once the delete commits.
    Contacts under a deleted account and closed opportunities naming it keep going without
    the link (their foreign keys are SET_NULL); its Originating Lead link goes with it."""
    with transaction.atomic():
        # Locked: a merge or a note racing this delete waits, then finds the record gone.
        locked = record_lock(record)
        refusal = record_delete_refusal(record=locked, acting_user=acting_user)
        if refusal is not None:
            raise refusal
        _locked_delete(model=type(locked), records=[locked], acting_user=acting_user)
