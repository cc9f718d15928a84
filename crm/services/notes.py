"""Notes (with an optional attachment) on the timeline of accounts, contacts and
opportunities, by the people who may change the record."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction

from crm.models import TimelineEntry
from crm.services.locks import record_lock_for_change
from crm.services.timeline import timeline_note_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def record_note_add(
    *,
    record: models.Model,
    acting_user: AbstractBaseUser,
    title: str,
    body: str,
    attachment: UploadedFile | None = None,
) -> TimelineEntry:
    """Add a note to the record's timeline. Refused for a user who is neither the record's
    owner nor a sales manager, for a closed opportunity, and for a record merged away or
    deleted meanwhile (a merge holding the row makes this wait, then find it gone, so no note
    is ever left on a record that no longer exists)."""
    with transaction.atomic():
        locked = record_lock_for_change(record, acting_user=acting_user)
        return timeline_note_add(
            record=locked, author=acting_user, title=title, body=body, attachment=attachment
        )
