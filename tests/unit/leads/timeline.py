"""What the lead services' tests share: a note with a file, the events on a lead."""

from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import TimelineEntry, TimelineEntryKind
from crm.selectors import timeline_for
from crm.services.timeline import timeline_note_add
from leads.models import Lead


def note_with_file(lead: Lead, author: User) -> TimelineEntry:
    return timeline_note_add(
        record=lead,
        author=author,
        title="Call notes",
        body="Wants a demo",
        attachment=SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
    )


def events_of(lead: Lead) -> list[str]:
    return list(
        timeline_for(record=lead)
        .filter(kind=TimelineEntryKind.SYSTEM)
        .values_list("title", flat=True)
    )
