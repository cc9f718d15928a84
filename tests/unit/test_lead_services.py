from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import TimelineEntry, TimelineEntryKind
from crm.selectors import timeline_for
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import (
    DISQUALIFY_REASON_INVALID,
    LEAD_ALREADY_DELETED,
    LEAD_CLOSED,
    LEAD_CLOSED_READ_ONLY,
    LEAD_DELETE_NOT_ALLOWED,
    LEAD_GONE,
    LEAD_HAS_OPPORTUNITY,
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
    DisqualifyReasonError,
    LeadAlreadyDeletedError,
    LeadClosedError,
    LeadDeleteNotAllowedError,
    LeadHasOpportunityError,
    LeadNotClosedError,
    LeadPermissionError,
    LeadReadOnlyError,
    lead_create,
    lead_delete,
    lead_disqualify,
    lead_qualify_stage_update,
    lead_reactivate,
    lead_update,
    leads_delete,
    leads_disqualify,
    leads_reactivate,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _note_with_file(lead: Lead, author: User) -> TimelineEntry:
    return timeline_note_add(
        record=lead,
        author=author,
        title="Call notes",
        body="Wants a demo",
        attachment=SimpleUploadedFile("notes.txt", b"hello", content_type="text/plain"),
    )


def _events(lead: Lead) -> list[str]:
    return list(
        timeline_for(record=lead)
        .filter(kind=TimelineEntryKind.SYSTEM)
        .values_list("title", flat=True)
    )


# Create and edit ------------------------------------------------------------------------------


def test_it_creates_an_open_new_lead_owned_by_the_acting_user(salesperson: User) -> None:
    lead = lead_create(
        acting_user=salesperson,
        data={"topic": "Coffee machines", "last_name": "Lee", "company_name": "Contoso"},
    )

    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert lead.owner == salesperson
    assert lead.company_name == "Contoso"


def test_it_refuses_to_create_a_lead_without_last_name(salesperson: User) -> None:
    with pytest.raises(ValidationError) as error:
        lead_create(acting_user=salesperson, data={"topic": "Coffee machines"})

    assert "last_name" in error.value.message_dict
    assert not Lead.objects.exists()


def test_it_updates_an_open_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Old")

    lead_update(lead=lead, acting_user=salesperson, data={"topic": "New", "city": "Oslo"})

    lead.refresh_from_db()
    assert (lead.topic, lead.city) == ("New", "Oslo")


def test_it_ignores_fields_outside_the_form_on_update(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    lead_update(
        lead=lead,
        acting_user=salesperson,
        data={"state": LeadState.QUALIFIED, "status_reason": LeadStatus.QUALIFIED},
    )

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_it_refuses_to_update_a_closed_lead(salesperson: User, trait: str) -> None:
    lead = LeadFactory(owner=salesperson, topic="Kept", **{trait: True})

    with pytest.raises(LeadReadOnlyError) as error:
        lead_update(lead=lead, acting_user=salesperson, data={"topic": "Changed"})

    assert error.value.message == LEAD_CLOSED_READ_ONLY
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_refuses_to_update_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, topic="Kept")

    with pytest.raises(LeadPermissionError) as error:
        lead_update(lead=lead, acting_user=salesperson, data={"topic": "Changed"})

    assert error.value.message == LEAD_NOT_YOURS
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_it_lets_a_manager_update_any_lead(manager: User, other_salesperson: User) -> None:
    lead = LeadFactory(owner=other_salesperson)

    lead_update(lead=lead, acting_user=manager, data={"topic": "By the manager"})

    lead.refresh_from_db()
    assert lead.topic == "By the manager"
    assert lead.owner == other_salesperson


def test_it_saves_the_qualify_stage_steps(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    account = AccountFactory()
    contact = ContactFactory(account=account)

    lead_qualify_stage_update(
        lead=lead,
        acting_user=salesperson,
        data={
            "existing_account": account,
            "existing_contact": contact,
            "purchase_timeframe": "this_quarter",
            "budget_amount": Decimal("25000.50"),
            "purchase_process": "committee",
            "decision_maker": True,
            "qualification_comments": "Ready to buy",
        },
    )

    lead.refresh_from_db()
    assert lead.existing_account == account
    assert lead.existing_contact == contact
    assert lead.purchase_timeframe == "this_quarter"
    assert lead.budget_amount == Decimal("25000.50")
    assert lead.decision_maker is True
    assert lead.qualification_comments == "Ready to buy"


def test_it_refuses_a_budget_above_the_limit(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    with pytest.raises(ValidationError) as error:
        lead_qualify_stage_update(
            lead=lead, acting_user=salesperson, data={"budget_amount": Decimal("1e12") + 1}
        )

    assert "budget_amount" in error.value.message_dict
    lead.refresh_from_db()
    assert lead.budget_amount is None


def test_it_refuses_qualify_steps_on_a_closed_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, disqualified=True)

    with pytest.raises(LeadReadOnlyError):
        lead_qualify_stage_update(
            lead=lead, acting_user=salesperson, data={"purchase_timeframe": "immediate"}
        )

    lead.refresh_from_db()
    assert lead.purchase_timeframe == ""


# Disqualify -----------------------------------------------------------------------------------


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
    assert _events(lead) == [f"Lead disqualified: {label}"]


def test_it_keeps_notes_and_attachments_when_disqualifying(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    note = _note_with_file(lead, salesperson)

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
    assert _events(lead) == []


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
        assert _events(lead) == ["Lead disqualified: No Longer Interested"]
    for lead in (qualified, disqualified, with_opportunity, theirs):
        before = (lead.state, lead.status_reason)
        lead.refresh_from_db()
        assert (lead.state, lead.status_reason) == before
        assert _events(lead) == []


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


# Reactivate -----------------------------------------------------------------------------------


def test_it_reactivates_a_disqualified_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    note = _note_with_file(lead, salesperson)
    lead_disqualify(lead=lead, reason=LeadStatus.CANNOT_CONTACT, acting_user=salesperson)

    lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert _events(lead) == ["Lead reactivated", "Lead disqualified: Cannot Contact"]
    event = timeline_for(record=lead).filter(title="Lead reactivated").get()
    assert event.body == "Was Disqualified: Cannot Contact."
    note.refresh_from_db()
    assert default_storage.exists(note.attachment.name)


def test_it_reactivates_a_qualified_lead_and_clears_its_links(salesperson: User) -> None:
    account = AccountFactory(name="Contoso")
    contact = ContactFactory(first_name="Ann", last_name="Lee", account=account)
    opportunity = OpportunityFactory(topic="50 coffee machines", customer_account=account)
    lead = LeadFactory(
        owner=salesperson,
        qualified=True,
        parent_account=account,
        parent_contact=contact,
        qualifying_opportunity=opportunity,
    )

    lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert lead.parent_account is None
    assert lead.parent_contact is None
    assert lead.qualifying_opportunity is None
    event = timeline_for(record=lead).get(title="Lead reactivated")
    assert event.body.splitlines() == [
        "Was Qualified: Qualified.",
        f"Parent account: Contoso (#{account.pk})",
        f"Parent contact: Ann Lee (#{contact.pk})",
        f"Qualifying opportunity: 50 coffee machines (#{opportunity.pk})",
    ]
    # The records themselves stay.
    assert type(opportunity).objects.filter(pk=opportunity.pk).exists()


def test_it_lets_a_reactivated_lead_be_qualified_again(salesperson: User) -> None:
    from qualification.engine import lead_qualify

    lead = LeadFactory(owner=salesperson, company_name="Fabrikam", disqualified=True)
    lead_reactivate(lead=lead, acting_user=salesperson)

    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert result.lead.pk == lead.pk


def test_it_refuses_to_reactivate_an_open_lead(salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, contacted=True)

    with pytest.raises(LeadNotClosedError) as error:
        lead_reactivate(lead=lead, acting_user=salesperson)

    assert error.value.message == LEAD_NOT_CLOSED
    lead.refresh_from_db()
    assert lead.status_reason == LeadStatus.CONTACTED
    assert _events(lead) == []


def test_it_refuses_to_reactivate_another_salespersons_lead(
    salesperson: User, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, disqualified=True)

    with pytest.raises(LeadPermissionError):
        lead_reactivate(lead=lead, acting_user=salesperson)

    lead.refresh_from_db()
    assert lead.state == LeadState.DISQUALIFIED


def test_it_reactivates_a_mixed_batch(salesperson: User, other_salesperson: User) -> None:
    closed = [
        LeadFactory(owner=salesperson, disqualified=True),
        LeadFactory(owner=salesperson, qualified=True),
    ]
    open_lead = LeadFactory(owner=salesperson)
    theirs = LeadFactory(owner=other_salesperson, disqualified=True)

    outcome = leads_reactivate(
        lead_ids=[closed[0].pk, open_lead.pk, theirs.pk, closed[1].pk],
        acting_user=salesperson,
    )

    assert sorted(outcome.done) == sorted(lead.pk for lead in closed)
    reasons = {failure.lead_id: failure.reason for failure in outcome.failures}
    assert reasons == {open_lead.pk: LEAD_NOT_CLOSED, theirs.pk: LEAD_NOT_YOURS}
    assert Lead.objects.filter(pk__in=[lead.pk for lead in closed], state="open").count() == 2
    theirs.refresh_from_db()
    assert theirs.state == LeadState.DISQUALIFIED


# Delete ---------------------------------------------------------------------------------------


def test_it_deletes_a_lead_with_its_notes_and_files(
    salesperson: User, django_capture_on_commit_callbacks
) -> None:
    lead = LeadFactory(owner=salesperson)
    note = _note_with_file(lead, salesperson)
    file_path = Path(default_storage.path(note.attachment.name))
    kept = LeadFactory(owner=salesperson)
    kept_note = _note_with_file(kept, salesperson)

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


def test_it_says_a_lead_deleted_meanwhile_was_already_deleted(
    salesperson: User, manager: User
) -> None:
    lead = LeadFactory(owner=salesperson)
    stale = Lead.objects.get(pk=lead.pk)
    lead_delete(lead=lead, acting_user=manager)

    with pytest.raises(LeadAlreadyDeletedError) as error:
        lead_delete(lead=stale, acting_user=salesperson)

    assert error.value.message == LEAD_ALREADY_DELETED


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
    note = _note_with_file(mine[0], salesperson)
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


def test_it_records_when_a_lead_closes_and_forgets_it_on_reactivation(salesperson: User) -> None:
    one, many = LeadFactory(owner=salesperson), LeadFactory(owner=salesperson)

    lead_disqualify(lead=one, reason=LeadStatus.LOST, acting_user=salesperson)
    leads_disqualify(lead_ids=[many.pk], reason=LeadStatus.LOST, acting_user=salesperson)

    one.refresh_from_db()
    many.refresh_from_db()
    assert one.closed_at is not None and one.closed_at >= one.created_at
    assert many.closed_at is not None
    lead_reactivate(lead=one, acting_user=salesperson)
    leads_reactivate(lead_ids=[many.pk], acting_user=salesperson)
    assert Lead.objects.filter(pk__in=[one.pk, many.pk], closed_at__isnull=True).count() == 2
