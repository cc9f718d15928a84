"""The timeline every record shares: notes (with an optional attachment) and system events.

Entries hang off any record through a generic relation, so leads (a higher app) use these
functions without `crm` knowing about them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import UploadedFile
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone

from crm.errors import DomainError
from crm.models import TimelineEntry, TimelineEntryKind
from crm.rows import rows_insert

if TYPE_CHECKING:
    from django.contrib.auth.models import User

TIMELINE_NOTE_EMPTY = "Write a title or a note, or attach a file."
TIMELINE_RECORD_GONE = "This {record} no longer exists: the note was not added."
ATTACHMENT_TOO_LARGE = "The attachment is too large: files up to {limit} are accepted."
TITLE_MAX_LENGTH = TimelineEntry._meta.get_field("title").max_length or 200


class TimelineError(DomainError):
    """A domain error the screens show as it is (`str(error)` or `error.message`)."""

    message = "The note could not be added."


class TimelineNoteEmptyError(TimelineError):
    message = TIMELINE_NOTE_EMPTY


class TimelineRecordGoneError(TimelineError):
    """The record was deleted before its note could be written."""

    def __init__(self, record: models.Model) -> None:
        super().__init__(TIMELINE_RECORD_GONE.format(record=record._meta.verbose_name))


class AttachmentTooLargeError(TimelineError):
    def __init__(self) -> None:
        super().__init__(attachment_too_large_message())


def attachment_too_large_message() -> str:
    """The message names the limit in force (it comes from the environment)."""
    return ATTACHMENT_TOO_LARGE.format(limit=filesizeformat(settings.ATTACHMENT_MAX_BYTES))


def _entry(
    *, record: models.Model, author: User | None, kind: str, title: str, body: str
) -> TimelineEntry:
    # Titles of system events are built from record names that may be longer than the column;
    # notes typed by people are validated by NoteForm before they get here.
    return TimelineEntry(
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        kind=kind,
        title=(title or "").strip()[:TITLE_MAX_LENGTH],
        body=(body or "").strip(),
        author=author,
    )


def timeline_entry_add(
    *, record: models.Model, author: User | None, kind: str, title: str, body: str = ""
) -> TimelineEntry:
    """Add one entry of any kind (note, system event, lead summary) to a record's timeline."""
    entry = _entry(record=record, author=author, kind=kind, title=title, body=body)
    entry.save()
    return entry


def timeline_note_add(
    *,
    record: models.Model,
    author: User,
    title: str,
    body: str,
    attachment: UploadedFile | None = None,
) -> TimelineEntry:
    """Add a note; it needs a title, a body or an attachment (files up to ATTACHMENT_MAX_BYTES).

    Raises TimelineNoteEmptyError, AttachmentTooLargeError or TimelineRecordGoneError (the
    record was deleted meanwhile) and then writes nothing: no row, no file.
    """
    title = (title or "").strip()
    body = (body or "").strip()
    # A form without an upload gives None (or an empty file object): both mean "no file".
    attachment = attachment or None
    if not title and not body and not attachment:
        raise TimelineNoteEmptyError
    if attachment is not None and attachment.size > settings.ATTACHMENT_MAX_BYTES:
        raise AttachmentTooLargeError
    with transaction.atomic():
        # The record's row lock, the one its delete takes: a delete that started first has
        # committed when the lock is granted (the record is gone: refused), and one that starts
        # later waits for this note and then deletes it with its file. Without it a note
        # written during a delete outlives the record, its file still downloadable.
        _record_lock(record)
        entry = _entry(
            record=record, author=author, kind=TimelineEntryKind.NOTE, title=title, body=body
        )
        if attachment is None:
            entry.save()
            return entry
        # upload_to reads content_type_id and object_id, which _entry has set already.
        entry.attachment.save(attachment.name, attachment, save=False)
        try:
            entry.save()
        except BaseException:
            # The row was not written: its file must not stay behind.
            entry.attachment.storage.delete(entry.attachment.name)
            raise
    return entry


def _record_lock(record: models.Model) -> None:
    """Lock the record's row until the transaction ends; TimelineRecordGoneError if deleted."""
    rows = type(record)._default_manager.select_for_update().filter(pk=record.pk)
    if not rows.values_list("pk", flat=True):
        raise TimelineRecordGoneError(record)


def timeline_event_add(
    *, record: models.Model, author: User | None, title: str, body: str = ""
) -> TimelineEntry:
    """Record a system event (qualified, disqualified, stage changed, ...) on a record."""
    return timeline_entry_add(
        record=record, author=author, kind=TimelineEntryKind.SYSTEM, title=title, body=body
    )


_ENTRY_ATTNAMES = (
    "content_type_id",
    "object_id",
    "kind",
    "title",
    "body",
    "attachment",
    "author_id",
    "created_at",
)


def timeline_entries_bulk_add(
    *,
    entries: list[tuple[models.Model, User | None, str, str, str]],
    batch_size: int | None = 500,
) -> None:
    """Add many entries in one INSERT per `batch_size` (None: all of them in one statement),
    each a row as `_entry` builds it, without a model instance per entry (`crm.rows`).

    Each tuple is (record, author, kind, title, body); kind is a TimelineEntryKind value.
    Content types come from Django's cache, so this costs one query per batch.
    """
    if not entries:
        return
    now = timezone.now()
    content_types: dict[type[models.Model], int] = {}

    def content_type_id(record: models.Model) -> int:
        model = type(record)
        if model not in content_types:
            content_types[model] = ContentType.objects.get_for_model(record).pk
        return content_types[model]

    rows = [
        (
            content_type_id(record),
            record.pk,
            kind,
            (title or "").strip()[:TITLE_MAX_LENGTH],
            (body or "").strip(),
            "",
            author.pk if author is not None else None,
            now,
        )
        for record, author, kind, title, body in entries
    ]
    step = batch_size or len(rows)
    for start in range(0, len(rows), step):
        rows_insert(
            model=TimelineEntry,
            attnames=_ENTRY_ATTNAMES,
            rows=rows[start : start + step],
            returning=False,
        )


def timeline_delete_for(*, record: models.Model) -> None:
    """Delete a record's timeline entries and their attachment files.

    Files are removed once the surrounding transaction commits, so a rollback never leaves
    entries pointing at deleted files (in tests, wrap the call in
    `django_capture_on_commit_callbacks(execute=True)`). A file already gone is not an error.
    """
    timeline_entries_delete(
        entries=TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
    )


def timeline_entries_delete(*, entries: models.QuerySet[TimelineEntry]) -> None:
    """Delete these entries and, after commit, their attachment files (see timeline_delete_for)."""
    file_names = list(entries.exclude(attachment="").values_list("attachment", flat=True))
    entries.delete()
    if file_names:
        transaction.on_commit(lambda: _delete_files(file_names), robust=True)


def _delete_files(file_names: list[str]) -> None:
    storage = TimelineEntry._meta.get_field("attachment").storage
    for name in file_names:
        # FileSystemStorage.delete ignores a missing file; other storages may raise instead.
        try:
            storage.delete(name)
        except FileNotFoundError:
            continue
