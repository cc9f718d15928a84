"""Undo a qualification: allowed while what it created is untouched, refused (nothing
changed) for each kind of touch, with what and by whom; the lead back to Open as it was."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import Account, Contact, Opportunity, OpportunityState, TimelineEntry
from crm.services.close import opportunity_close
from crm.services.records import account_update, contact_create, opportunity_update
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.services import lead_reactivate
from qualification.engine import lead_qualify
from qualification.models import (
    FieldMapping,
    LinkedPolicy,
    Qualification,
    QualificationOpportunity,
)
from qualification.services.undo import (
    UNDO_ALREADY_DONE,
    UNDO_REFUSED,
    UNDONE_TITLE,
    UndoRefusedError,
    qualification_undo,
    undo_blockers,
    undo_preview,
)
from tests.factories import AccountFactory, LeadFactory, TimelineEntryFactory

pytestmark = pytest.mark.django_db

LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0


def _timeline(record) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("id")
    )


@pytest.fixture
def lead(salesperson):
    return LeadFactory(
        owner=salesperson,
        contacted=True,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Fabrikam, Inc.",
        email="nina@fabrikam.example",
        budget_amount=Decimal("12500.00"),
        qualification_comments="Wants a demo first.",
    )


@pytest.fixture
def qualified(lead, salesperson):
    TimelineEntryFactory(record=lead, author=salesperson, title="Called her")
    return lead_qualify(lead_id=lead.pk, acting_user=salesperson)


def test_it_deletes_what_the_qualification_created_and_reopens_the_lead(
    qualified, lead, salesperson
):
    account, contact = qualified.account, qualified.contact
    [opportunity] = qualified.opportunities
    qualification = qualification_undo(
        qualification=qualified.qualification, acting_user=salesperson
    )
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.filter(pk=contact.pk).exists()
    assert not Opportunity.objects.filter(pk=opportunity.pk).exists()
    assert not LeadOrigin.objects.filter(lead=lead).exists()
    assert not QualificationOpportunity.objects.exists()
    assert _timeline(opportunity) == []
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.CONTACTED)
    assert lead.parent_account is None and lead.parent_contact is None
    assert lead.qualifying_opportunity is None and lead.closed_at is None
    # Its own values stay.
    assert lead.budget_amount == Decimal("12500.00")
    assert lead.qualification_comments == "Wants a demo first."
    titles = [entry.title for entry in _timeline(lead)]
    assert titles == ["Called her", "Lead qualified", UNDONE_TITLE.format(who="Sam Seller")]
    event = _timeline(lead)[-1]
    assert event.author == salesperson
    assert event.body.startswith("Deleted: Opportunity Office chairs; Contact Nina Novak;")
    # The record stays, marked undone, naming what went.
    qualification.refresh_from_db()
    assert qualification.undone_by == salesperson and qualification.undone_at is not None
    assert [(r["record_type"], r["action"]) for r in qualification.undone_records] == [
        ("opportunity", "deleted"),
        ("contact", "deleted"),
        ("account", "deleted"),
    ]


def test_the_lead_can_be_qualified_again_after_an_undo(qualified, lead, salesperson):
    qualification_undo(qualification=qualified.qualification, acting_user=salesperson)
    again = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    assert again.account.name == "Fabrikam, Inc."
    assert again.qualification.lead_status_before == LeadStatus.CONTACTED


def test_it_keeps_linked_records_and_removes_the_leads_link(salesperson):
    existing = AccountFactory(name="Contoso Ltd", owner=salesperson)
    lead = LeadFactory(owner=salesperson, existing_account=existing, company_name="Contoso")
    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    assert not result.account_created
    preview = undo_preview(qualification=result.qualification, acting_user=salesperson)
    assert preview.kept == [existing]
    assert {type(record) for record in preview.created} == {Contact, Opportunity}
    qualification_undo(qualification=result.qualification, acting_user=salesperson)
    assert Account.objects.filter(pk=existing.pk).exists()
    lead.refresh_from_db()
    assert lead.parent_account is None
    assert lead.existing_account == existing  # the Qualify-stage value stays
    event = _timeline(lead)[-1]
    assert "Kept, without the link to this lead: Account Contoso Ltd." in event.body
    record = Qualification.objects.get(pk=result.qualification.pk)
    assert record.account == existing
    assert {
        "record_type": "account",
        "id": existing.pk,
        "label": "Contoso Ltd",
        "action": "unlinked",
    } in record.undone_records


# Refused: nothing changed, and the reason says what and by whom ------------------------------


def _assert_refused(qualified, lead, user, reason_part: str) -> None:
    before = (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count())
    with pytest.raises(UndoRefusedError) as refusal:
        qualification_undo(qualification=qualified.qualification, acting_user=user)
    assert refusal.value.message == UNDO_REFUSED
    assert any(reason_part in reason for reason in refusal.value.reasons), refusal.value.reasons
    assert undo_blockers(qualification=qualified.qualification, acting_user=user) == (
        refusal.value.reasons
    )
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == before
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert Qualification.objects.get(pk=qualified.qualification.pk).undone_at is None


def test_it_refuses_when_the_created_account_was_edited(qualified, lead, salesperson):
    account_update(account=qualified.account, acting_user=salesperson, phone="+1 555 0000")
    _assert_refused(qualified, lead, salesperson, "Account Fabrikam, Inc. was edited on")


def test_it_refuses_when_the_created_opportunity_was_edited(qualified, lead, salesperson):
    [opportunity] = qualified.opportunities
    opportunity_update(opportunity=opportunity, acting_user=salesperson, description="Rush")
    _assert_refused(qualified, lead, salesperson, "Opportunity Office chairs was edited on")


def test_it_refuses_when_a_person_added_a_note(qualified, lead, salesperson, other_salesperson):
    timeline_note_add(
        record=qualified.contact, author=other_salesperson, title="Met at the fair", body=""
    )
    _assert_refused(
        qualified, lead, salesperson, "Contact Nina Novak has a note by Olga Other: Met at the fair"
    )


def test_it_refuses_when_a_contact_was_added_under_the_account(
    qualified, lead, salesperson, other_salesperson
):
    contact_create(owner=other_salesperson, last_name="Roe", account=qualified.account)
    _assert_refused(
        qualified,
        lead,
        salesperson,
        "Account Fabrikam, Inc. has contact Roe (Account Name), owner Olga Other.",
    )


def test_it_refuses_when_the_opportunity_is_no_longer_open(qualified, lead, salesperson):
    [opportunity] = qualified.opportunities
    opportunity_close(
        opportunity=opportunity,
        state=OpportunityState.WON,
        status_reason="won",
        actual_revenue=Decimal("100"),
        actual_close_date=datetime.date(2026, 1, 5),
        acting_user=salesperson,
    )
    _assert_refused(
        qualified, lead, salesperson, "Opportunity Office chairs is no longer open (Won)."
    )


def test_it_refuses_when_another_qualification_linked_the_account(
    qualified, lead, salesperson, other_salesperson
):
    other = LeadFactory(owner=other_salesperson, existing_account=qualified.account)
    lead_qualify(lead_id=other.pk, acting_user=other_salesperson)
    reasons = undo_blockers(qualification=qualified.qualification)
    assert (
        f"Account Fabrikam, Inc. is linked by the qualification of {other} by Olga Other."
        in reasons
    )
    _assert_refused(qualified, lead, salesperson, "is linked by the qualification of")


def test_it_refuses_another_salespersons_lead(qualified, lead, other_salesperson):
    _assert_refused(qualified, lead, other_salesperson, "a lead you own")


def test_a_manager_undoes_anyones_qualification(qualified, lead, manager):
    qualification_undo(qualification=qualified.qualification, acting_user=manager)
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_it_refuses_a_second_undo(qualified, lead, salesperson):
    qualification_undo(qualification=qualified.qualification, acting_user=salesperson)
    with pytest.raises(UndoRefusedError) as refusal:
        qualification_undo(qualification=qualified.qualification, acting_user=salesperson)
    assert refusal.value.message == UNDO_ALREADY_DONE
    assert refusal.value.reasons[0].startswith("It was already undone on")


def test_it_refuses_a_qualification_the_lead_has_moved_on_from(qualified, lead, salesperson):
    lead_reactivate(lead=lead, acting_user=salesperson)
    reasons = undo_blockers(qualification=qualified.qualification)
    assert reasons == [
        "Its lead is no longer qualified by it (reactivated or qualified again since)."
    ]


def test_an_untouched_qualification_has_no_blockers(qualified):
    assert undo_blockers(qualification=qualified.qualification) == []


def test_it_pins_the_queries_of_an_undo(qualified, salesperson, django_assert_num_queries):
    ContentType.objects.get_for_models(Lead, Opportunity, Account, Contact)
    # The savepoint and its release; the lead ids, the lead locked, the qualification,
    # its opportunity links, [PostgreSQL: the match keys locked], the account, contact and
    # opportunity locked; the walk of what points at them (contacts, opportunities, leads,
    # origins, qualifications, their opportunity links, timeline entries); the timelines'
    # files and their delete; Django's delete of the opportunity, contact and account with what
    # hangs off them (20); the lead; the field changes on linked records (none); the
    # qualification record; the lead's event.
    with django_assert_num_queries(44 + LOCK_QUERIES):
        qualification_undo(qualification=qualified.qualification, acting_user=salesperson)


# The values a qualification wrote on a linked record ----------------------------------------


def _overwrite(record_type: str, target_field: str) -> None:
    FieldMapping.objects.filter(target=record_type, target_field=target_field).update(
        linked_policy=LinkedPolicy.OVERWRITE
    )


@pytest.fixture
def linked(salesperson):
    existing = AccountFactory(
        name="Contoso Ltd", owner=salesperson, phone="+1 555 999 0000", city="", website=""
    )
    lead = LeadFactory(
        owner=salesperson,
        existing_account=existing,
        company_name="Contoso",
        business_phone="+1 555 100 2000",
        city="Springfield",
    )
    _overwrite("account", "phone")
    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    existing.refresh_from_db()
    assert (existing.phone, existing.city) == ("+1 555 100 2000", "Springfield")
    return result


def test_it_puts_back_the_values_written_on_a_linked_record(linked, salesperson):
    qualification_undo(qualification=linked.qualification, acting_user=salesperson)
    account = Account.objects.get(pk=linked.account.pk)
    assert (account.phone, account.city) == ("+1 555 999 0000", "")
    event = _timeline(linked.lead)[-1]
    assert "Put back on Account Contoso Ltd: " in event.body
    [entry] = Qualification.objects.get(pk=linked.qualification.pk).undone_records[-1:]
    assert sorted(entry["restored"]) == ["city", "phone"]


def test_a_value_changed_since_stays_and_is_named(linked, salesperson):
    account_update(account=linked.account, acting_user=salesperson, city="Shelbyville")
    qualification_undo(qualification=linked.qualification, acting_user=salesperson)
    account = Account.objects.get(pk=linked.account.pk)
    assert (account.phone, account.city) == ("+1 555 999 0000", "Shelbyville")
    event = _timeline(linked.lead)[-1]
    assert "Not put back on Account Contoso Ltd, changed since: City." in event.body


def test_insights_and_the_grids_filter_words_leave_an_undone_qualification_out(
    qualified, lead, salesperson
):
    from django.utils import timezone

    from leads.selectors import lead_list
    from qualification.insights.periods import DayRange
    from qualification.insights.selectors.scope import insights_scope

    day = timezone.localdate(qualified.qualification.created_at)
    today = day.isoformat()

    def found() -> list[Lead]:
        return list(lead_list(user=salesperson, view="all", query=f"qualified:{today}"))

    assert found() == [lead]
    qualification_undo(qualification=qualified.qualification, acting_user=salesperson)
    assert found() == []
    scope = insights_scope(user=salesperson, days=DayRange(day, day), owner_id=None)
    assert not scope.qualifications().exists()
