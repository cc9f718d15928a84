"""Delete an account or a contact, unless records still being worked on point at it.

What points at a record is read through `crm.links` (the lead model lives in a higher app):
an opportunity whose Potential Customer it is (a PROTECT link: the opportunity would lose its
customer), and open opportunities and open leads that name it (their models declare which rows
are open). Closed ones only lose the link.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models, transaction
from django.db.models import Count

from crm.links import Link, links_by_model
from crm.services.errors import RecordError, RecordInUseError
from crm.services.locks import record_change_refusal, record_lock
from crm.services.timeline import timeline_delete_for

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


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
        timeline_delete_for(record=locked)
        locked.delete()
