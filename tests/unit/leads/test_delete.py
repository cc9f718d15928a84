"""lead_delete and leads_delete: the lead, its notes and their files."""

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage

from crm.models import TimelineEntry
from leads.models import Lead
from leads.services import (
    LEAD_ALREADY_DELETED,
    LEAD_DELETE_NOT_ALLOWED,
    LeadAlreadyDeletedError,
    LeadDeleteNotAllowedError,
    lead_delete,
    leads_delete,
)
from tests.factories import (
    LeadFactory,
)
from tests.unit.leads.timeline import note_with_file

pytestmark = pytest.mark.django_db


def test_it_deletes_a_lead_with_its_notes_and_files(
    salesperson: User, django_capture_on_commit_callbacks
) -> None:
    lead = LeadFactory(owner=salesperson)
    note = note_with_file(lead, salesperson)
    file_path = Path(default_storage.path(note.attachment.name))
    kept = LeadFactory(owner=salesperson)
    kept_note = note_with_file(kept, salesperson)

    with django_capture_on_commit_callbacks() as callbacks:
        lead_delete(lead=lead, acting_user=salesperson)
        # The file stays until the deletion commits: a rollback must not lose it.
        assert file_path.exists()
    for callback in callbacks:
        callback()

    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not TimelineEntry.objects.filter(pk=note.pk).exists()
    assert not file_path.exists()
    assert TimelineEntry.objects.filter(pk=kept_note.pk).exists()
    assert default_storage.exists(kept_note.attachment.name)


def test_it_refuses_to_delete_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    with pytest.raises(LeadDeleteNotAllowedError) as error:
        lead_delete(lead=lead, acting_user=salesperson)

    assert error.value.message == LEAD_DELETE_NOT_ALLOWED
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_it_lets_a_user_with_the_delete_permission_delete_any_lead(
    manager: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, qualified=True)

    lead_delete(lead=lead, acting_user=manager)

    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_it_deletes_a_mixed_batch(
    salesperson: User, other_salesperson: User, django_capture_on_commit_callbacks
) -> None:
    mine = LeadFactory.create_batch(2, owner=salesperson)
    note = note_with_file(mine[0], salesperson)
    theirs = LeadFactory(owner=other_salesperson)

    with django_capture_on_commit_callbacks(execute=True):
        outcome = leads_delete(
            lead_ids=[mine[0].pk, theirs.pk, mine[1].pk], acting_user=salesperson
        )

    assert sorted(outcome.done) == sorted(lead.pk for lead in mine)
    assert [(f.lead_id, f.reason) for f in outcome.failures] == [
        (theirs.pk, LEAD_DELETE_NOT_ALLOWED)
    ]
    assert list(Lead.objects.values_list("pk", flat=True)) == [theirs.pk]
    assert not default_storage.exists(note.attachment.name)


def test_it_says_a_lead_deleted_meanwhile_was_already_deleted(
    salesperson: User, manager: User
) -> None:
    lead = LeadFactory(owner=salesperson)
    stale = Lead.objects.get(pk=lead.pk)
    lead_delete(lead=lead, acting_user=manager)

    with pytest.raises(LeadAlreadyDeletedError) as error:
        lead_delete(lead=stale, acting_user=salesperson)

    assert error.value.message == LEAD_ALREADY_DELETED
