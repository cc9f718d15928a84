"""A record's timeline as its page shows it."""

from __future__ import annotations

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Value
from django.db.models.functions import Reverse, Right, StrIndex
from django.shortcuts import get_object_or_404

from crm.models import TimelineEntry


def timeline_entry_get(*, pk: int) -> TimelineEntry:
    return get_object_or_404(TimelineEntry, pk=pk)


def timeline_for(*, record: models.Model) -> models.QuerySet[TimelineEntry]:
    """A record's timeline, newest first, with each author and the attachment's file name.

    `attachment_name` is the last part of the stored path, computed in SQL so that the
    template needs no per-entry work.
    """
    return (
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("author")
        .annotate(
            attachment_name=Right(
                F("attachment"), StrIndex(Reverse(F("attachment")), Value("/")) - 1
            )
        )
        .order_by("-created_at", "-id")
    )
