from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, transaction

from crm.forms import NoteForm
from crm.models import Opportunity, TimelineEntry, TimelineEntryKind
from crm.selectors import timeline_for
from crm.services.timeline import (
    TIMELINE_NOTE_EMPTY,
    TIMELINE_RECORD_GONE,
    AttachmentTooLargeError,
    TimelineNoteEmptyError,
    TimelineRecordGoneError,
    attachment_too_large_message,
    timeline_delete_for,
    timeline_entries_bulk_add,
    timeline_entry_add,
    timeline_event_add,
    timeline_note_add,
)
from tests.factories import LeadFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Factories hash a password for every user they make; a fast hasher keeps this quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def upload(name: str = "quote.pdf", content: bytes = b"%PDF-1.4 quote") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_it_adds_a_note() -> None:
    lead, author = LeadFactory(), UserFactory()

    entry = timeline_note_add(record=lead, author=author, title=" Call ", body="Line 1\nLine 2")

    entry.refresh_from_db()
    assert entry.kind == TimelineEntryKind.NOTE
    assert (entry.title, entry.body) == ("Call", "Line 1\nLine 2")
    assert entry.author == author
    assert entry.record == lead


def test_it_stores_the_attachment_under_the_record() -> None:
    opportunity = OpportunityFactory()

    entry = timeline_note_add(
        record=opportunity, author=opportunity.owner, title="", body="", attachment=upload()
    )

    assert entry.attachment.name.endswith("/quote.pdf")
    assert entry.attachment.storage.exists(entry.attachment.name)
    with entry.attachment.open("rb") as handle:
        assert handle.read() == b"%PDF-1.4 quote"
    assert timeline_for(record=opportunity).get().attachment_name == "quote.pdf"


@pytest.mark.parametrize(("title", "body"), [("", ""), ("  ", "\n \n")])
def test_it_refuses_an_empty_note(title: str, body: str) -> None:
    lead = LeadFactory()

    with pytest.raises(TimelineNoteEmptyError) as error:
        timeline_note_add(record=lead, author=lead.owner, title=title, body=body)

    assert error.value.message == TIMELINE_NOTE_EMPTY
    assert not TimelineEntry.objects.exists()


def test_it_refuses_an_attachment_over_the_limit(settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 10
    lead = LeadFactory()

    with pytest.raises(AttachmentTooLargeError) as error:
        timeline_note_add(
            record=lead, author=lead.owner, title="Quote", body="", attachment=upload()
        )

    assert error.value.message == attachment_too_large_message()
    assert "10\xa0bytes" in error.value.message
    assert not TimelineEntry.objects.exists()
    assert not (settings.MEDIA_ROOT / "attachments").exists()


@pytest.mark.parametrize("factory", [LeadFactory, OpportunityFactory])
def test_it_refuses_a_note_on_a_record_deleted_meanwhile(settings, factory) -> None:
    record = factory()
    author = UserFactory()
    type(record).objects.filter(pk=record.pk).delete()

    with pytest.raises(TimelineRecordGoneError) as error:
        timeline_note_add(record=record, author=author, title="Call", body="", attachment=upload())

    name = type(record)._meta.verbose_name
    assert error.value.message == TIMELINE_RECORD_GONE.format(record=name)
    assert error.value.message.startswith(f"This {name} no longer exists")
    assert not TimelineEntry.objects.exists()
    assert not (settings.MEDIA_ROOT / "attachments").exists()


def test_it_removes_the_file_when_the_note_cannot_be_written(settings, monkeypatch) -> None:
    lead = LeadFactory()

    def refuse(*args, **kwargs):
        raise DatabaseError("the database went away")

    monkeypatch.setattr(TimelineEntry, "save", refuse)
    with pytest.raises(DatabaseError):
        timeline_note_add(record=lead, author=lead.owner, title="", body="", attachment=upload())

    assert not TimelineEntry.objects.exists()
    assert [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()] == []


def test_it_adds_a_system_event_without_an_author() -> None:
    opportunity = OpportunityFactory()

    entry = timeline_event_add(record=opportunity, author=None, title="Stage changed to Propose")

    assert entry.kind == TimelineEntryKind.SYSTEM
    assert entry.author is None


def test_it_cuts_an_overlong_event_title_to_the_column() -> None:
    lead = LeadFactory()

    entry = timeline_entry_add(
        record=lead, author=None, kind=TimelineEntryKind.SUMMARY, title="x" * 300
    )

    assert len(entry.title) == 200


def test_it_bulk_adds_entries_in_one_query(django_assert_num_queries) -> None:
    leads = LeadFactory.create_batch(3)
    opportunity = OpportunityFactory()
    author = UserFactory()
    ContentType.objects.get_for_models(type(leads[0]), Opportunity)  # warm the cache

    with django_assert_num_queries(1):
        timeline_entries_bulk_add(
            entries=[
                *[(lead, author, TimelineEntryKind.SYSTEM, "Lead qualified", "") for lead in leads],
                (opportunity, None, TimelineEntryKind.SUMMARY, "Lead summary", "Text"),
            ]
        )

    assert [entry.title for entry in timeline_for(record=leads[1])] == ["Lead qualified"]
    summary = timeline_for(record=opportunity).get()
    assert (summary.kind, summary.body, summary.author) == ("summary", "Text", None)


def test_it_adds_nothing_for_an_empty_batch(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        timeline_entries_bulk_add(entries=[])


def test_it_lists_a_records_entries_newest_first() -> None:
    lead, other = LeadFactory(), LeadFactory()
    first = timeline_event_add(record=lead, author=None, title="First")
    second = timeline_note_add(record=lead, author=lead.owner, title="Second", body="")
    timeline_event_add(record=other, author=None, title="Elsewhere")

    assert list(timeline_for(record=lead)) == [second, first]


def test_it_deletes_entries_and_their_files(django_capture_on_commit_callbacks) -> None:
    lead, other = LeadFactory(), LeadFactory()
    entry = timeline_note_add(
        record=lead, author=lead.owner, title="", body="", attachment=upload()
    )
    timeline_event_add(record=lead, author=None, title="Event")
    kept = timeline_event_add(record=other, author=None, title="Other lead")
    storage, name = entry.attachment.storage, entry.attachment.name

    with django_capture_on_commit_callbacks(execute=True):
        timeline_delete_for(record=lead)

    assert not storage.exists(name)
    assert list(TimelineEntry.objects.all()) == [kept]


def test_it_deletes_when_the_file_is_already_gone(django_capture_on_commit_callbacks) -> None:
    lead = LeadFactory()
    entry = timeline_note_add(
        record=lead, author=lead.owner, title="", body="", attachment=upload()
    )
    entry.attachment.storage.delete(entry.attachment.name)

    with django_capture_on_commit_callbacks(execute=True):
        timeline_delete_for(record=lead)

    assert not TimelineEntry.objects.exists()


def test_it_keeps_the_files_when_the_delete_rolls_back(django_capture_on_commit_callbacks) -> None:
    lead = LeadFactory()
    entry = timeline_note_add(
        record=lead, author=lead.owner, title="", body="", attachment=upload()
    )

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            timeline_delete_for(record=lead)
            raise RuntimeError("the lead delete failed after the timeline went")

    assert entry.attachment.storage.exists(entry.attachment.name)
    assert TimelineEntry.objects.filter(pk=entry.pk).exists()


def test_the_note_form_names_its_fields_for_people() -> None:
    form = NoteForm()

    assert [form[name].label for name in ("title", "body", "attachment")] == [
        "Title",
        "Note",
        "Attachment",
    ]
    assert form["title"].html_name == "note-title"


def test_the_note_form_refuses_an_empty_note() -> None:
    form = NoteForm(data={"note-title": " ", "note-body": ""})

    assert not form.is_valid()
    assert form.non_field_errors() == [TIMELINE_NOTE_EMPTY]


def test_the_note_form_refuses_a_large_attachment(settings) -> None:
    settings.ATTACHMENT_MAX_BYTES = 4

    form = NoteForm(data={"note-title": "Quote"}, files={"note-attachment": upload()})

    assert not form.is_valid()
    assert form.errors["attachment"] == [attachment_too_large_message()]
