"""lead_disqualify and leads_disqualify: a status reason; refused for closed leads and leads
with an opportunity; each lead of a batch on its own."""

import pytest
from django.contrib.auth.models import User
from django.core.files.storage import default_storage

from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import (
    DISQUALIFY_REASON_INVALID,
    LEAD_CLOSED,
    LEAD_GONE,
    LEAD_HAS_OPPORTUNITY,
    LEAD_NOT_YOURS,
    DisqualifyReasonError,
    LeadClosedError,
    LeadHasOpportunityError,
    LeadPermissionError,
    lead_disqualify,
    leads_disqualify,
)
from tests.factories import (
    AccountFactory,
    LeadFactory,
    OpportunityFactory,
)
from tests.unit.leads.timeline import events_of, note_with_file

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("reason", "label"),
    [
        (LeadStatus.LOST, "Lost"),
        (LeadStatus.CANNOT_CONTACT, "Cannot Contact"),
        (LeadStatus.NO_LONGER_INTERESTED, "No Longer Interested"),
        (LeadStatus.CANCELED, "Canceled"),
    ],
)
def test_it_disqualifies(salesperson: User, reason: str, label: str) -> None:
    lead = LeadFactory(owner=salesperson)

    result = lead_disqualify(lead=lead, reason=reason, acting_user=salesperson)

    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.DISQUALIFIED, reason)
    assert result.state == LeadState.DISQUALIFIED
    assert events_of(lead) == [f"Lead disqualified: {label}"]


def test_it_keeps_notes_and_attachments_when_disqualifying(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    note = note_with_file(lead, salesperson)

    lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    note.refresh_from_db()
    assert default_storage.exists(note.attachment.name)


def test_it_refuses_a_reason_that_is_not_a_disqualify_reason(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    with pytest.raises(DisqualifyReasonError) as error:
        lead_disqualify(lead=lead, reason=LeadStatus.QUALIFIED, acting_user=salesperson)

    assert error.value.message == DISQUALIFY_REASON_INVALID
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_it_refuses_to_disqualify_a_closed_lead(salesperson: User, trait: str) -> None:
    lead = LeadFactory(owner=salesperson, **{trait: True})
    before = (lead.state, lead.status_reason)

    with pytest.raises(LeadClosedError) as error:
        lead_disqualify(lead=lead, reason=LeadStatus.CANCELED, acting_user=salesperson)

    assert error.value.message == LEAD_CLOSED
    assert LEAD_CLOSED == "This lead is closed. Reactivate it before you qualify or disqualify it."
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == before
    assert events_of(lead) == []


def test_it_rechecks_the_state_stored_in_the_database(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    stale = Lead.objects.get(pk=lead.pk)
    Lead.objects.filter(pk=lead.pk).update(
        state=LeadState.QUALIFIED, status_reason=LeadStatus.QUALIFIED
    )

    with pytest.raises(LeadClosedError):
        lead_disqualify(lead=stale, reason=LeadStatus.LOST, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_it_refuses_to_disqualify_a_lead_with_a_qualifying_opportunity(
    salesperson: User,
) -> None:
    lead = LeadFactory(owner=salesperson, qualifying_opportunity=OpportunityFactory())

    with pytest.raises(LeadHasOpportunityError) as error:
        lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    assert error.value.message == LEAD_HAS_OPPORTUNITY
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_refuses_to_disqualify_the_originating_lead_of_an_opportunity(
    salesperson: User,
) -> None:
    lead = LeadFactory(owner=salesperson)
    LeadOrigin.objects.create(lead=lead, opportunity=OpportunityFactory())

    with pytest.raises(LeadHasOpportunityError):
        lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_disqualifies_the_originating_lead_of_an_account_only(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    LeadOrigin.objects.create(lead=lead, account=AccountFactory())

    lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


def test_it_refuses_to_disqualify_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson)

    with pytest.raises(LeadPermissionError):
        lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_lets_a_manager_disqualify_any_lead(manager: User, other_salesperson: User) -> None:
    lead = LeadFactory(owner=other_salesperson)

    lead_disqualify(lead=lead, reason=LeadStatus.CANCELED, acting_user=manager)

    lead.refresh_from_db()
    assert lead.status_reason == LeadStatus.CANCELED


def test_it_disqualifies_a_mixed_batch_lead_by_lead(
    salesperson: User, other_salesperson: User
) -> None:
    fine = LeadFactory.create_batch(2, owner=salesperson)
    qualified = LeadFactory(owner=salesperson, qualified=True)
    disqualified = LeadFactory(owner=salesperson, disqualified=True)
    with_opportunity = LeadFactory(owner=salesperson, qualifying_opportunity=OpportunityFactory())
    theirs = LeadFactory(owner=other_salesperson)
    missing_id = 999_999

    outcome = leads_disqualify(
        lead_ids=[
            fine[0].pk,
            qualified.pk,
            disqualified.pk,
            with_opportunity.pk,
            theirs.pk,
            fine[1].pk,
            missing_id,
            fine[0].pk,
        ],
        reason=LeadStatus.NO_LONGER_INTERESTED,
        acting_user=salesperson,
    )

    assert sorted(outcome.done) == sorted(lead.pk for lead in fine)
    assert outcome.done_count == 2
    assert outcome.failed_count == 5
    reasons = {failure.lead_id: failure.reason for failure in outcome.failures}
    assert reasons == {
        qualified.pk: LEAD_CLOSED,
        disqualified.pk: LEAD_CLOSED,
        with_opportunity.pk: LEAD_HAS_OPPORTUNITY,
        theirs.pk: LEAD_NOT_YOURS,
        missing_id: LEAD_GONE,
    }
    labels = {failure.lead_id: failure.label for failure in outcome.failures}
    assert labels[theirs.pk] == str(theirs)
    for lead in fine:
        lead.refresh_from_db()
        assert lead.status_reason == LeadStatus.NO_LONGER_INTERESTED
        assert events_of(lead) == ["Lead disqualified: No Longer Interested"]
    for lead in (qualified, disqualified, with_opportunity, theirs):
        before = (lead.state, lead.status_reason)
        lead.refresh_from_db()
        assert (lead.state, lead.status_reason) == before
        assert events_of(lead) == []


def test_it_refuses_a_batch_with_a_bad_reason(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    with pytest.raises(DisqualifyReasonError):
        leads_disqualify(lead_ids=[lead.pk], reason="nope", acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_disqualifies_a_batch_in_chunks(
    salesperson: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("leads.services.locking.BULK_CHUNK_SIZE", 2)
    leads = LeadFactory.create_batch(5, owner=salesperson)

    outcome = leads_disqualify(
        lead_ids=[lead.pk for lead in leads], reason=LeadStatus.LOST, acting_user=salesperson
    )

    assert outcome.done_count == 5
    assert Lead.objects.filter(state=LeadState.DISQUALIFIED).count() == 5
