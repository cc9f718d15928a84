"""lead_qualify: one lead in one transaction, the lead locked and re-checked, all or nothing;
every settings combination, the summary, existing records, links and the audit record."""

from __future__ import annotations

import socket
from decimal import Decimal
from itertools import product
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError

from crm.models import (
    Account,
    Contact,
    Need,
    Opportunity,
    PurchaseProcess,
    PurchaseTimeframe,
    SalesStage,
    TimelineEntry,
    TimelineEntryKind,
)
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from qualification import duplicates
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    LEAD_NOT_OWNED,
    OPPORTUNITY_CREATED_BODY,
    OPPORTUNITY_CREATED_TITLE,
    OPPORTUNITY_NEEDS_CUSTOMER,
    QUALIFIED_TITLE,
    SUMMARY_TITLE,
    Choice,
    DuplicatesFoundError,
    LeadAlreadyQualifiedError,
    LeadClosedError,
    LeadGoneError,
    LeadNotOwnedError,
    QualifyDecisions,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
    write,
)
from qualification.models import (
    CreationMode,
    Experience,
    Qualification,
    QualificationOpportunity,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    TimelineEntryFactory,
    UserFactory,
)
from tests.unit.engine.conftest import (
    LOCK_QUERIES,
    assert_nothing_written,
    configure,
    problems_of,
    record_counts,
    timeline_of,
)

pytestmark = pytest.mark.django_db

CREATE = RecordDecision(choice=Choice.CREATE)
SKIP = RecordDecision(choice=Choice.SKIP)


# Every settings combination --------------------------------------------------------------


def test_it_creates_account_contact_and_opportunity_for_legacy_automatic(lead, user):
    configure(experience=Experience.LEGACY, legacy_create_automatically=True)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    lead.refresh_from_db()
    assert lead.closed_at is not None and lead.closed_at >= lead.created_at
    account, contact = result.account, result.contact
    [opportunity] = result.opportunities
    assert account.name == "Fabrikam, Inc."
    assert account.normalized_name == "fabrikam"
    assert account.website_domain == "fabrikam.example"
    assert account.phone == "+1 555 100 2000"
    assert account.city == "Springfield"
    assert account.owner == lead.owner
    assert contact.full_name == "Nina Novak"
    assert contact.email_normalized == "nina.novak@fabrikam.example"
    assert contact.full_name_normalized == "nina novak"
    assert contact.mobile_phone == "+1 555 100 3000"
    assert contact.account == account
    assert opportunity.topic == "Office chairs"
    assert opportunity.customer_account == account
    assert opportunity.customer_contact is None
    assert opportunity.account == account
    assert opportunity.contact == contact
    assert opportunity.budget_amount == Decimal("12500.00")
    assert opportunity.purchase_timeframe == PurchaseTimeframe.THIS_QUARTER
    assert opportunity.purchase_process == PurchaseProcess.COMMITTEE
    assert opportunity.need == Need.MUST_HAVE
    assert opportunity.decision_maker is True
    assert opportunity.description == "Wants a demo first."
    assert opportunity.stage == SalesStage.DEVELOP
    assert opportunity.owner == lead.owner
    assert result.qualification.experience == Experience.LEGACY
    assert result.summary == ""


LEGACY_CHECKBOXES = [
    combo for combo in product([True, False], repeat=3) if combo[0] or combo[1] or not combo[2]
]


@pytest.mark.parametrize(("account", "contact", "opportunity"), LEGACY_CHECKBOXES)
def test_it_creates_what_the_legacy_dialog_ticks(lead, user, account, contact, opportunity):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=CREATE if account else SKIP,
            contact=CREATE if contact else SKIP,
            opportunities=None if opportunity else [],
        ),
    )

    assert (result.account is not None) == account
    assert (result.contact is not None) == contact
    assert len(result.opportunities) == (1 if opportunity else 0)
    assert Account.objects.count() == int(account)
    assert Contact.objects.count() == int(contact)
    assert Opportunity.objects.count() == int(opportunity)
    if contact and account:
        assert result.contact.account == result.account
    if opportunity:
        assert result.opportunities[0].potential_customer == (result.account or result.contact)
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_it_refuses_an_opportunity_without_a_customer(lead, user):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(account=SKIP, contact=SKIP),
        )

    assert str(raised.value) == OPPORTUNITY_NEEDS_CUSTOMER
    assert problems_of(raised.value) == {("opportunity", 0, None, OPPORTUNITY_NEEDS_CUSTOMER)}
    assert_nothing_written(lead, before)


def test_it_creates_everything_for_new_all_automatic(lead, user):
    configure(experience=Experience.NEW)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.account is not None
    assert result.contact.account == result.account
    assert result.primary_opportunity.customer_account == result.account
    assert result.qualification.experience == Experience.NEW
    assert result.qualification.account_created
    assert result.qualification.contact_created


def test_it_links_an_existing_account_the_salesperson_picked(lead, user):
    configure(account_mode=CreationMode.SALESPERSON)
    picked = AccountFactory(name="Northwind")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=picked.pk)
        ),
    )

    assert result.account == picked
    assert Account.objects.count() == 1
    assert result.contact.account == picked
    assert result.primary_opportunity.customer_account == picked
    assert not result.qualification.account_created
    assert not LeadOrigin.objects.filter(account=picked).exists()


def test_it_makes_the_contact_the_customer_when_the_account_is_skipped(lead, user):
    configure(account_mode=CreationMode.SALESPERSON)

    result = lead_qualify(
        lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(account=SKIP)
    )

    assert result.account is None
    assert result.contact.account is None
    opportunity = result.primary_opportunity
    assert opportunity.customer_account is None
    assert opportunity.customer_contact == result.contact
    assert opportunity.contact == result.contact


def test_it_creates_the_contact_with_the_salespersons_edits(lead, user):
    configure(contact_mode=CreationMode.SALESPERSON)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            contact=RecordDecision(
                choice=Choice.CREATE,
                values={"job_title": "Head of Purchasing", "email": "NINA@fabrikam.example"},
            )
        ),
    )

    assert result.contact.job_title == "Head of Purchasing"
    assert result.contact.email == "NINA@fabrikam.example"
    assert result.contact.email_normalized == "nina@fabrikam.example"
    assert result.contact.last_name == "Novak"


def test_it_creates_no_opportunity_when_the_salesperson_removes_it(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON)

    result = lead_qualify(
        lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(opportunities=[])
    )

    assert result.opportunities == []
    lead.refresh_from_db()
    # Qualified without an opportunity: the process stays on Qualify, nothing to open.
    assert lead.state == LeadState.QUALIFIED
    assert lead.qualifying_opportunity is None


def test_it_creates_up_to_five_opportunities_the_first_primary(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)
    rows = [{"topic": f"Deal {n}", "estimated_revenue": Decimal(n * 1000)} for n in range(1, 6)]

    result = lead_qualify(
        lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(opportunities=rows)
    )

    assert [o.topic for o in result.opportunities] == [f"Deal {n}" for n in range(1, 6)]
    assert all(o.customer_account == result.account for o in result.opportunities)
    assert all(o.stage == SalesStage.DEVELOP for o in result.opportunities)
    # Mapped values fill what the quick-create form did not show.
    assert all(o.budget_amount == Decimal("12500.00") for o in result.opportunities)
    links = QualificationOpportunity.objects.filter(qualification=result.qualification)
    assert [(link.position, link.opportunity.topic) for link in links] == [
        (n - 1, f"Deal {n}") for n in range(1, 6)
    ]
    lead.refresh_from_db()
    assert lead.qualifying_opportunity == result.opportunities[0]


def test_it_refuses_a_sixth_opportunity(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(opportunities=[{"topic": f"D{n}"} for n in range(6)]),
        )

    [problem] = raised.value.problems
    assert (problem.record, problem.position, problem.field) == ("opportunity", None, None)
    assert problem.text == "You can create at most 5 opportunities when you qualify a lead."
    assert_nothing_written(lead, before)


def test_it_refuses_a_second_opportunity_when_multiple_is_off(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=False)
    before = record_counts()

    with pytest.raises(QualifyValidationError):
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(opportunities=[{"topic": "A"}, {"topic": "B"}]),
        )

    assert_nothing_written(lead, before)


def test_it_adds_the_summary_to_the_lead_and_the_primary_opportunity(lead, user):
    configure(
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
        summarize_after_qualify=True,
    )
    TimelineEntryFactory(record=lead, title="First call", body="Needs 40 chairs by June.")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(opportunities=[{"topic": "Chairs"}, {"topic": "Desks"}]),
    )

    assert "Nina Novak is Buyer at Fabrikam, Inc." in result.summary
    assert "Needs 40 chairs by June." in result.summary
    assert result.qualification.summary == result.summary
    lead_summaries = [e for e in timeline_of(lead) if e.kind == TimelineEntryKind.SUMMARY]
    assert [(e.title, e.body, e.author) for e in lead_summaries] == [
        (SUMMARY_TITLE, result.summary, user)
    ]
    primary_entries = timeline_of(result.opportunities[0])
    [primary_summary] = [e for e in primary_entries if e.kind == TimelineEntryKind.SUMMARY]
    assert primary_summary.body == result.summary
    # The other opportunity gets no summary, only the event that says where it came from.
    assert [(e.kind, e.title) for e in timeline_of(result.opportunities[1])] == [
        (TimelineEntryKind.SYSTEM, OPPORTUNITY_CREATED_TITLE)
    ]


def test_it_records_on_each_opportunity_the_lead_it_came_from(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(opportunities=[{"topic": "Chairs"}, {"topic": "Desks"}]),
    )

    for opportunity in result.opportunities:
        [event] = timeline_of(opportunity)
        assert (event.kind, event.title, event.author) == (
            TimelineEntryKind.SYSTEM,
            OPPORTUNITY_CREATED_TITLE,
            user,
        )
        assert event.body == OPPORTUNITY_CREATED_BODY.format(lead=result.lead)


def test_it_writes_no_summary_when_the_setting_is_off(lead, user):
    configure(summarize_after_qualify=False)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.summary == ""
    assert result.qualification.summary == ""
    assert not TimelineEntry.objects.filter(kind=TimelineEntryKind.SUMMARY).exists()


def test_it_qualifies_with_the_builtin_summary_when_the_endpoint_is_down(lead, user, settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    settings.SUMMARY_LLM_URL = f"http://127.0.0.1:{free_port}/v1/chat/completions"
    settings.SUMMARY_LLM_TIMEOUT = 0.5
    configure(summarize_after_qualify=True)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.summary.startswith("Nina Novak is Buyer at Fabrikam, Inc.")
    assert result.lead.state == LeadState.QUALIFIED


def test_it_does_not_wait_for_a_summary_when_the_decisions_are_refused(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, summarize_after_qualify=True)

    with (
        mock.patch("qualification.summary.lead_summary_build") as summarise,
        pytest.raises(QualifyValidationError),
    ):
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(opportunities=[{"topic": ""}]),
        )

    summarise.assert_not_called()


def test_it_does_not_wait_for_a_summary_when_duplicates_stop_the_qualify(lead, user):
    configure(summarize_after_qualify=True)
    AccountFactory(name="Fabrikam", website="")

    with (
        mock.patch("qualification.summary.lead_summary_build") as summarise,
        pytest.raises(DuplicatesFoundError),
    ):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    summarise.assert_not_called()


def test_a_double_click_with_summaries_on_answers_already_qualified(lead, user, monkeypatch):
    """The late click reads the lead while it is open; its twin qualifies it before the late
    click's early duplicate check, which then finds the twin's account and contact. The late
    click answers "already qualified", not a duplicate dialog for a qualified lead."""
    configure(summarize_after_qualify=True)
    accounts_find = duplicates.accounts_find
    twins = []

    def the_twin_qualifies_first(**lookup):
        if not lookup["lock"] and not twins:
            twins.append(lead_qualify(lead_id=lead.pk, acting_user=user, summarize=False))
        return accounts_find(**lookup)

    monkeypatch.setattr(duplicates, "accounts_find", the_twin_qualifies_first)
    with (
        mock.patch("qualification.summary.lead_summary_build") as summarise,
        pytest.raises(LeadAlreadyQualifiedError) as refused,
    ):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert str(refused.value) == LEAD_ALREADY_QUALIFIED
    summarise.assert_not_called()
    [twin] = twins
    assert Qualification.objects.get(lead=lead) == twin.qualification
    assert (Account.objects.count(), Contact.objects.count()) == (1, 1)


def test_an_open_lead_with_duplicates_still_gets_them_from_the_early_check(lead, user):
    configure(summarize_after_qualify=True)
    account = AccountFactory(name="Fabrikam", website="")

    with pytest.raises(DuplicatesFoundError) as found:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert found.value.accounts == [account]
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


# Existing records, links, origins ----------------------------------------------------------


def test_it_uses_the_existing_account_and_contact_of_the_lead(user):
    account = AccountFactory(name="Contoso")
    contact = ContactFactory(account=account)
    lead = LeadFactory(owner=user, existing_account=account, existing_contact=contact)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.account == account
    assert result.contact == contact
    assert Account.objects.count() == 1
    assert Contact.objects.count() == 1
    opportunity = result.primary_opportunity
    assert opportunity.customer_account == account
    assert opportunity.account == account
    assert opportunity.contact == contact
    assert not result.qualification.account_created
    assert not result.qualification.contact_created
    assert list(LeadOrigin.objects.values_list("opportunity", flat=True)) == [opportunity.pk]


def test_it_puts_a_new_contact_under_the_existing_account(user):
    account = AccountFactory(name="Contoso")
    lead = LeadFactory(owner=user, existing_account=account)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.contact.account == account
    assert result.qualification.contact_created


def test_it_sets_the_originating_lead_on_every_created_record(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(opportunities=[{"topic": "A"}, {"topic": "B"}]),
    )

    assert Account.objects.get(pk=result.account.pk).origin.lead == lead
    assert Contact.objects.get(pk=result.contact.pk).origin.lead == lead
    for opportunity in result.opportunities:
        assert Opportunity.objects.get(pk=opportunity.pk).origin.lead == lead
    assert LeadOrigin.objects.count() == 4


def test_it_makes_the_lead_qualified_and_links_it(lead, user):
    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.status_reason == LeadStatus.QUALIFIED
    assert lead.is_closed
    assert lead.parent_account == result.account
    assert lead.parent_contact == result.contact
    assert lead.qualifying_opportunity == result.primary_opportunity
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 0


def test_it_keeps_the_audit_record(lead, user):
    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    qualification = Qualification.objects.get()
    assert qualification == result.qualification
    assert qualification.lead == lead
    assert qualification.lead_label == str(lead)
    assert qualification.qualified_by == user
    assert qualification.account == result.account
    assert qualification.contact == result.contact
    assert not qualification.bulk
    assert [link.opportunity for link in qualification.opportunity_links.all()] == [
        result.primary_opportunity
    ]


def test_it_records_the_qualification_on_the_timeline(user):
    account = AccountFactory(name="Contoso")
    lead = LeadFactory(owner=user, existing_account=account, first_name="Ann", last_name="Lee")

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    [event] = timeline_of(lead)
    assert event.kind == TimelineEntryKind.SYSTEM
    assert event.title == QUALIFIED_TITLE
    assert event.author == user
    assert event.body.splitlines() == [
        "Account: Contoso (linked)",
        "Contact: Ann Lee (created)",
        f"Opportunity: {result.primary_opportunity.topic} (created)",
    ]


# Closed leads and replays --------------------------------------------------------------------


def test_it_creates_nothing_on_a_second_qualify(lead, user):
    lead_qualify(lead_id=lead.pk, acting_user=user)
    before = record_counts()

    with pytest.raises(LeadAlreadyQualifiedError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert str(raised.value) == LEAD_ALREADY_QUALIFIED
    assert record_counts() == before


def test_it_refuses_a_disqualified_lead(user):
    lead = LeadFactory(owner=user, disqualified=True)

    with pytest.raises(LeadClosedError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert str(raised.value) == LEAD_CLOSED
    assert not isinstance(raised.value, LeadAlreadyQualifiedError)
    assert record_counts()["accounts"] == 0


def test_it_reads_the_settings_fresh_for_every_qualify(user):
    first, second = LeadFactory(owner=user), LeadFactory(owner=user)
    configure(experience=Experience.LEGACY, legacy_create_automatically=True)
    assert lead_qualify(lead_id=first.pk, acting_user=user).qualification.experience == "legacy"

    configure(experience=Experience.NEW, summarize_after_qualify=True)
    result = lead_qualify(lead_id=second.pk, acting_user=user)

    assert result.qualification.experience == Experience.NEW
    assert result.summary


def test_it_refuses_a_lead_the_user_does_not_own(lead):
    other = UserFactory(salesperson=True)
    before = record_counts()

    with pytest.raises(LeadNotOwnedError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=other)

    assert str(raised.value) == LEAD_NOT_OWNED
    assert_nothing_written(lead, before)


def test_a_sales_manager_qualifies_anyones_lead(lead):
    manager = UserFactory(manager=True)

    result = lead_qualify(lead_id=lead.pk, acting_user=manager)

    assert result.qualification.qualified_by == manager
    assert result.account.owner == lead.owner  # the records belong to the lead's owner


def test_it_refuses_a_lead_that_is_gone(lead, user):
    lead_id = lead.pk
    lead.delete()

    with pytest.raises(LeadGoneError):
        lead_qualify(lead_id=lead_id, acting_user=user)


# All or nothing ------------------------------------------------------------------------------


def test_it_writes_nothing_when_the_database_fails_half_way(lead, user):
    before = record_counts()
    insert = write.instances_insert

    def opportunities_fail(*, model, objs, now):
        # The account and the contact are in; the opportunities' INSERT fails.
        if model is Opportunity:
            raise DatabaseError("disk full")
        insert(model=model, objs=objs, now=now)

    with (
        mock.patch.object(write, "instances_insert", opportunities_fail),
        pytest.raises(DatabaseError),
    ):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert_nothing_written(lead, before)


def test_it_skips_an_automatic_account_without_a_company_name(user):
    lead = LeadFactory(owner=user, company_name="")

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.account is None
    assert result.primary_opportunity.customer_contact == result.contact


# Query counts --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("summary", "queries"), [(False, 15 + LOCK_QUERIES), (True, 19 + LOCK_QUERIES)]
)
def test_it_qualifies_with_three_opportunities_in_few_queries(
    lead, user, django_assert_num_queries, summary, queries
):
    configure(
        experience=Experience.NEW,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
        summarize_after_qualify=summary,
    )
    TimelineEntryFactory(record=lead)
    ContentType.objects.get_for_models(Lead, Opportunity)  # Django caches content types

    # settings, mappings, [summary: the lead, the duplicate checks before summarising, its
    # notes], savepoint, lead locked, [PostgreSQL: the match keys locked], account and contact
    # duplicates, account, contact,
    # opportunities, origins, lead, qualification, its opportunity links, timeline entries,
    # savepoint released
    with django_assert_num_queries(queries):
        result = lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                opportunities=[{"topic": "Chairs"}, {"topic": "Desks"}, {"topic": "Lamps"}]
            ),
        )

    assert len(result.opportunities) == 3
    assert result.account is not None
    assert result.contact is not None
