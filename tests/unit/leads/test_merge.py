"""leads_merge: the master keeps the chosen (or best) values and every note, attachment and
timeline entry; the others are disqualified as Duplicate or deleted; refusals write nothing."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.files.storage import default_storage
from django.utils import timezone

from crm.models import TimelineEntry
from crm.selectors import timeline_for
from crm.services.errors import (
    MERGE_RECORD_GONE,
    MERGE_SAME_RECORD,
    MERGE_SOURCE_INVALID,
    MergePermissionError,
    MergeRecordGoneError,
    MergeSameRecordError,
    MergeSourceError,
)
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import (
    LeadError,
    MergeOutcome,
    lead_disqualify,
    leads_merge,
)
from leads.services.errors import (
    LEAD_ALREADY_MERGED,
    LEAD_MERGE_CLOSED,
    LEAD_MERGE_DELETE_NOT_ALLOWED,
    LEAD_MERGE_OUTCOME_INVALID,
    LEAD_MERGE_QUALIFIED,
    LeadAlreadyMergedError,
)
from leads.services.merge import lead_label, lead_merge_sources_default
from tests.factories import AccountFactory, LeadFactory, LeadOriginFactory, UserFactory
from tests.unit.leads.timeline import events_of, note_with_file

pytestmark = pytest.mark.django_db


def aged(lead: Lead, days: int) -> Lead:
    """The lead as if created `days` ago (the best values come from the newest lead)."""
    Lead.objects.filter(pk=lead.pk).update(created_at=timezone.now() - timedelta(days=days))
    lead.refresh_from_db()
    return lead


@pytest.fixture
def pair(salesperson):
    master = aged(
        LeadFactory(
            owner=salesperson,
            email="jon@contoso.com",
            business_phone="",
            job_title="Buyer",
            city="Seattle",
        ),
        days=5,
    )
    other = LeadFactory(
        owner=salesperson,
        email="JON@contoso.com",
        business_phone="+1 425 555 0100",
        job_title="Head of Purchasing",
        city="",
    )
    return master, other


def merge(master, others, user, *, outcome=MergeOutcome.DISQUALIFY, sources=None):
    return leads_merge(
        master_id=master.pk,
        other_ids=[lead.pk for lead in others],
        field_sources=sources or {},
        outcome=outcome,
        acting_user=user,
    )


def test_best_values_are_the_newest_non_empty_ones(pair):
    master, other = pair
    sources = lead_merge_sources_default(leads=[master, other], master_id=master.pk)
    assert sources["job_title"] == other.pk  # newest
    assert sources["business_phone"] == other.pk  # the master's is empty
    assert sources["city"] == master.pk  # the newest has none
    assert sources["topic"] == other.pk


def test_a_field_nobody_filled_stays_the_masters(salesperson):
    master = LeadFactory(owner=salesperson, industry="")
    other = LeadFactory(owner=salesperson, industry="")
    sources = lead_merge_sources_default(leads=[master, other], master_id=master.pk)
    assert sources["industry"] == master.pk


def test_it_keeps_the_chosen_values_and_disqualifies_the_other(pair, salesperson):
    master, other = pair
    result = merge(master, [other], salesperson, sources={"job_title": master.pk})

    master.refresh_from_db()
    other.refresh_from_db()
    assert master.job_title == "Buyer"
    assert master.business_phone == "+1 425 555 0100"
    assert master.business_phone_key == "255550100"  # trailing digits: country code ignored
    assert master.city == "Seattle"
    assert (other.state, other.status_reason) == (LeadState.DISQUALIFIED, LeadStatus.DUPLICATE)
    assert other.closed_at is not None
    assert result.merged == [lead_label(other)]
    assert f"Lead disqualified: Duplicate (merged into {lead_label(master)})" in events_of(other)


def test_notes_attachments_and_links_move_to_the_master(pair, salesperson):
    master, other = pair
    note = note_with_file(other, salesperson)
    origin = LeadOriginFactory(lead=other, account=AccountFactory())

    merge(master, [other], salesperson)

    note.refresh_from_db()
    assert note.object_id == master.pk
    assert default_storage.exists(note.attachment.name)
    assert LeadOrigin.objects.get(pk=origin.pk).lead_id == master.pk
    assert timeline_for(record=master).filter(pk=note.pk).exists()


def test_the_masters_timeline_says_who_merged_what(pair, salesperson):
    master, other = pair
    note_with_file(other, salesperson)

    merge(master, [other], salesperson)

    entry = timeline_for(record=master).get(title="Merged 1 lead into this one")
    assert entry.author == salesperson
    assert f"Merged: {lead_label(other)}." in entry.body
    assert f"Job Title from {lead_label(other)}" in entry.body
    assert "Moved here: 1 timeline entry." in entry.body
    assert "disqualified with the status reason Duplicate" in entry.body


def test_it_deletes_the_others_when_asked(pair, salesperson):
    master, other = pair
    note = note_with_file(other, salesperson)

    merge(master, [other], salesperson, outcome=MergeOutcome.DELETE)

    assert not Lead.objects.filter(pk=other.pk).exists()
    note.refresh_from_db()
    assert note.object_id == master.pk
    assert default_storage.exists(note.attachment.name)


def unchanged(*leads: Lead) -> None:
    for lead in leads:
        stored = Lead.objects.get(pk=lead.pk)
        assert (stored.state, stored.job_title, stored.updated_at) == (
            lead.state,
            lead.job_title,
            lead.updated_at,
        )


def test_a_qualified_lead_is_refused(pair, salesperson):
    master, other = pair
    Lead.objects.filter(pk=other.pk).update(
        state=LeadState.QUALIFIED, status_reason=LeadStatus.QUALIFIED
    )
    other.refresh_from_db()
    note = note_with_file(other, salesperson)

    with pytest.raises(LeadError) as raised:
        merge(master, [other], salesperson)

    assert raised.value.message == LEAD_MERGE_QUALIFIED.format(name=lead_label(other))
    unchanged(master, other)
    assert TimelineEntry.objects.get(pk=note.pk).object_id == other.pk


def test_a_closed_lead_is_refused(pair, salesperson):
    master, other = pair
    lead_disqualify(lead=other, reason="lost", acting_user=salesperson)
    other.refresh_from_db()

    with pytest.raises(LeadError) as raised:
        merge(master, [other], salesperson)

    assert raised.value.message == LEAD_MERGE_CLOSED.format(name=lead_label(other))
    unchanged(master, other)


def test_a_lead_already_merged_is_refused(pair, salesperson):
    master, other = pair
    merge(master, [other], salesperson)
    other.refresh_from_db()
    master.refresh_from_db()

    with pytest.raises(LeadAlreadyMergedError) as raised:
        merge(master, [other], salesperson)

    assert raised.value.message == LEAD_ALREADY_MERGED.format(name=lead_label(other))
    unchanged(master, other)


def test_another_owners_lead_is_refused_without_manager_rights(
    pair, salesperson, other_salesperson
):
    master, _ = pair
    theirs = LeadFactory(owner=other_salesperson, email="jon@contoso.com")

    with pytest.raises(MergePermissionError) as raised:
        merge(master, [theirs], salesperson)

    assert lead_label(theirs) in raised.value.message
    unchanged(master, theirs)


def test_a_manager_merges_anyones_leads(pair, manager):
    master, other = pair
    merge(master, [other], manager)
    assert Lead.objects.get(pk=other.pk).status_reason == LeadStatus.DUPLICATE


def test_deleting_another_owners_lead_needs_the_delete_permission(pair):
    master, other = pair
    # May change anyone's leads, but delete only its own.
    changer = UserFactory(salesperson=True)
    changer.user_permissions.add(Permission.objects.get(codename="manage_all_leads"))
    changer = User.objects.get(pk=changer.pk)  # the permission cache starts empty
    assert changer.has_perm("leads.manage_all_leads")

    with pytest.raises(LeadError) as raised:
        merge(master, [other], changer, outcome=MergeOutcome.DELETE)

    assert raised.value.message == LEAD_MERGE_DELETE_NOT_ALLOWED.format(name=lead_label(other))
    unchanged(master, other)


def test_a_value_from_a_lead_not_merged_is_refused(pair, salesperson):
    master, other = pair
    stranger = LeadFactory(owner=salesperson)
    with pytest.raises(MergeSourceError) as raised:
        merge(master, [other], salesperson, sources={"email": stranger.pk})
    assert raised.value.message == MERGE_SOURCE_INVALID.format(field="Email", records="leads")
    unchanged(master, other)


def test_a_lead_merged_with_itself_is_refused(pair, salesperson):
    master, _ = pair
    with pytest.raises(MergeSameRecordError) as raised:
        merge(master, [master], salesperson)
    assert raised.value.message == MERGE_SAME_RECORD.format(records="leads")


def test_a_lead_gone_is_refused(pair, salesperson):
    master, other = pair
    Lead.objects.filter(pk=other.pk).delete()
    with pytest.raises(MergeRecordGoneError) as raised:
        merge(master, [other], salesperson)
    assert raised.value.message == MERGE_RECORD_GONE.format(records="leads")
    unchanged(master)


def test_an_unknown_outcome_is_refused(pair, salesperson):
    master, other = pair
    with pytest.raises(LeadError) as raised:
        merge(master, [other], salesperson, outcome="archive")
    assert raised.value.message == LEAD_MERGE_OUTCOME_INVALID
    unchanged(master, other)


@pytest.mark.parametrize("notes", [1, 6])
def test_the_query_count_does_not_grow_with_the_notes(
    pair, salesperson, notes, django_assert_num_queries
):
    master, other = pair
    for _ in range(notes):
        note_with_file(other, salesperson)
    with django_assert_num_queries(11):
        merge(master, [other], salesperson)
    assert timeline_for(record=master).count() == notes + 1
