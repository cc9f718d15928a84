"""lead_qualify: one transaction, the lead locked and re-checked, all or nothing."""

from __future__ import annotations

import socket
from decimal import Decimal
from itertools import product
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

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
from qualification import duplicates, engine
from qualification.engine import (
    ACCOUNT_NEEDS_NAME,
    EXISTING_NOT_FOUND,
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    OPPORTUNITY_CREATED_BODY,
    OPPORTUNITY_CREATED_TITLE,
    OPPORTUNITY_NEEDS_CUSTOMER,
    QUALIFIED_TITLE,
    SUMMARY_TITLE,
    UNKNOWN_FIELD,
    Choice,
    DuplicatesFoundError,
    LeadAlreadyQualifiedError,
    LeadClosedError,
    QualifyDecisions,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
)
from qualification.models import (
    CreationMode,
    Experience,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
)
from qualification.services import qualification_settings_update
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    TimelineEntryFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

# On PostgreSQL the decisive duplicate check is preceded by one statement that takes the
# advisory locks of the new records' match keys; SQLite already serialises writers, so there
# the lock makes no query and the SQLite pins are unchanged.
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0

CREATE = RecordDecision(choice=Choice.CREATE)
SKIP = RecordDecision(choice=Choice.SKIP)


def configure(**fields: object) -> QualificationSettings:
    return qualification_settings_update(
        qualification_settings=QualificationSettings.load(), **fields
    )


def record_counts() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "origins": LeadOrigin.objects.count(),
        "qualifications": Qualification.objects.count(),
        "timeline": TimelineEntry.objects.exclude(kind=TimelineEntryKind.NOTE).count(),
    }


def timeline_of(record) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        ).order_by("id")
    )


@pytest.fixture
def user():
    return UserFactory(username="qualifier")


@pytest.fixture
def lead():
    return LeadFactory(
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        job_title="Buyer",
        company_name="Fabrikam, Inc.",
        email="Nina.Novak@Fabrikam.example",
        website="https://www.fabrikam.example",
        business_phone="+1 555 100 2000",
        mobile_phone="+1 555 100 3000",
        city="Springfield",
        budget_amount=Decimal("12500.00"),
        purchase_timeframe=PurchaseTimeframe.THIS_QUARTER,
        purchase_process=PurchaseProcess.COMMITTEE,
        need=Need.MUST_HAVE,
        decision_maker=True,
        qualification_comments="Wants a demo first.",
    )


def assert_nothing_written(lead: Lead, before: dict[str, int]) -> None:
    assert record_counts() == before
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert lead.parent_account_id is None
    assert lead.qualifying_opportunity_id is None


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
    assert raised.value.errors == {"opportunity-0": {"__all__": [OPPORTUNITY_NEEDS_CUSTOMER]}}
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

    assert "opportunities" in raised.value.errors
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
        mock.patch("qualification.engine.lead_summary_build") as summarise,
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
        mock.patch("qualification.engine.lead_summary_build") as summarise,
        pytest.raises(DuplicatesFoundError),
    ):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    summarise.assert_not_called()


def test_a_double_click_with_summaries_on_answers_already_qualified(lead, user, monkeypatch):
    """The late click reads the lead while it is open; its twin qualifies it before the late
    click's early duplicate check, which then finds the twin's account and contact. The late
    click answers "already qualified", not a duplicate dialog for a qualified lead."""
    configure(summarize_after_qualify=True)
    lead_get = engine._lead_get
    twins = []

    def read_then_the_twin_qualifies(*, lead_id: int, lock: bool) -> Lead:
        found = lead_get(lead_id=lead_id, lock=lock)
        if not lock and not twins:
            twins.append(lead_qualify(lead_id=lead_id, acting_user=user, summarize=False))
        return found

    monkeypatch.setattr(engine, "_lead_get", read_then_the_twin_qualifies)
    with (
        mock.patch("qualification.engine.lead_summary_build") as summarise,
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
    lead = LeadFactory(existing_account=account, existing_contact=contact)

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
    lead = LeadFactory(existing_account=account)

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
    lead = LeadFactory(existing_account=account, first_name="Ann", last_name="Lee")

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
    lead = LeadFactory(disqualified=True)

    with pytest.raises(LeadClosedError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert str(raised.value) == LEAD_CLOSED
    assert not isinstance(raised.value, LeadAlreadyQualifiedError)
    assert record_counts()["accounts"] == 0


def test_it_reads_the_settings_fresh_for_every_qualify(user):
    first, second = LeadFactory(), LeadFactory()
    configure(experience=Experience.LEGACY, legacy_create_automatically=True)
    assert lead_qualify(lead_id=first.pk, acting_user=user).qualification.experience == "legacy"

    configure(experience=Experience.NEW, summarize_after_qualify=True)
    result = lead_qualify(lead_id=second.pk, acting_user=user)

    assert result.qualification.experience == Experience.NEW
    assert result.summary


# All or nothing ------------------------------------------------------------------------------


def test_it_writes_nothing_when_the_second_opportunity_is_invalid(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON, allow_multiple_opportunities=True)
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                opportunities=[
                    {"topic": "Fine"},
                    {"topic": "", "budget_amount": Decimal("-1"), "need": "someday"},
                ]
            ),
        )

    errors = raised.value.errors
    assert set(errors) == {"opportunity-1"}
    assert errors["opportunity-1"]["topic"] == ["This field is required."]
    assert errors["opportunity-1"]["budget_amount"] == [
        "Ensure this value is greater than or equal to 0."
    ]
    assert "someday" in errors["opportunity-1"]["need"][0]
    assert_nothing_written(lead, before)


def test_it_refuses_a_budget_above_one_trillion(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                opportunities=[{"topic": "Big", "budget_amount": Decimal("1000000000000.01")}]
            ),
        )

    assert "budget_amount" in raised.value.errors["opportunity-0"]


def test_it_writes_nothing_when_the_database_fails_half_way(lead, user):
    before = record_counts()

    with (
        mock.patch.object(
            Opportunity.objects, "bulk_create", side_effect=DatabaseError("disk full")
        ),
        pytest.raises(DatabaseError),
    ):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert_nothing_written(lead, before)


def test_it_refuses_an_existing_record_that_is_gone(lead, user):
    configure(account_mode=CreationMode.SALESPERSON)
    gone = AccountFactory()
    gone_id = gone.pk
    gone.delete()
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                account=RecordDecision(choice=Choice.EXISTING, existing_id=gone_id)
            ),
        )

    assert raised.value.errors == {
        "account": {"existing_id": [EXISTING_NOT_FOUND.format(record="account")]}
    }
    assert_nothing_written(lead, before)


def test_it_refuses_a_field_the_salesperson_may_not_set(lead, user):
    configure(opportunity_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(opportunities=[{"topic": "A", "stage": "close"}]),
        )

    assert raised.value.errors == {"opportunity-0": {"stage": [UNKNOWN_FIELD]}}


def test_it_refuses_a_new_account_without_a_name(user):
    lead = LeadFactory(company_name="")
    configure(account_mode=CreationMode.SALESPERSON)

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(account=CREATE))

    assert raised.value.errors == {"account": {"name": [ACCOUNT_NEEDS_NAME]}}


def test_it_skips_an_automatic_account_without_a_company_name(user):
    lead = LeadFactory(company_name="")

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.account is None
    assert result.primary_opportunity.customer_contact == result.contact


# Duplicates ----------------------------------------------------------------------------------


def test_it_stops_on_duplicates_before_writing_anything(lead, user):
    existing_account = AccountFactory(name="FABRIKAM LTD", website="")
    existing_contact = ContactFactory(email="nina.novak@FABRIKAM.example")
    before = record_counts()

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert raised.value.accounts == [existing_account]
    assert raised.value.contacts == [existing_contact]
    assert_nothing_written(lead, before)


def test_it_uses_the_duplicate_the_salesperson_picked(lead, user):
    existing_account = AccountFactory(name="Fabrikam", website="")
    with pytest.raises(DuplicatesFoundError):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=existing_account.pk)
        ),
    )

    assert result.account == existing_account
    assert Account.objects.count() == 1
    assert result.contact.account == existing_account


def test_it_creates_a_new_record_anyway_when_asked(lead, user):
    AccountFactory(name="Fabrikam", website="")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.CREATE, create_anyway=True)
        ),
    )

    assert result.qualification.account_created
    assert Account.objects.count() == 2


def test_it_matches_a_contact_by_full_name_within_the_picked_account(user):
    account = AccountFactory(name="Contoso")
    twin = ContactFactory(first_name="Nina", last_name="NOVAK", email="", account=account)
    lead = LeadFactory(first_name="nina", last_name="novak", existing_account=account)

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert raised.value.accounts == []
    assert raised.value.contacts == [twin]


def _calls_in_order(monkeypatch) -> list[tuple[str, bool]]:
    """Record each match-key lock and duplicate lookup of the engine, in order, with whether
    it ran inside a transaction."""
    calls: list[tuple[str, bool]] = []

    def recorded(name, function):
        def call(**kwargs):
            calls.append((name, transaction.get_connection().in_atomic_block))
            return function(**kwargs)

        return call

    monkeypatch.setattr(engine, "match_keys_lock", recorded("lock", duplicates.match_keys_lock))
    monkeypatch.setattr(
        engine, "account_duplicates", recorded("accounts", duplicates.account_duplicates)
    )
    monkeypatch.setattr(
        engine, "contact_duplicates", recorded("contacts", duplicates.contact_duplicates)
    )
    return calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("summary", "early"), [(False, []), (True, ["accounts", "contacts"])])
def test_it_decides_on_duplicates_inside_the_transaction_after_the_lock(
    lead, user, monkeypatch, summary, early
):
    configure(experience=Experience.NEW, summarize_after_qualify=summary)
    calls = _calls_in_order(monkeypatch)

    lead_qualify(lead_id=lead.pk, acting_user=user)

    # With a summary, an early check (outside the transaction, no lock) gives quick feedback;
    # the one that decides always follows the lock, inside the transaction.
    assert calls == [(name, False) for name in early] + [
        ("lock", True),
        ("accounts", True),
        ("contacts", True),
    ]


@pytest.mark.parametrize(
    ("decisions", "accounts", "contacts"),
    [
        (None, [("fabrikam", "fabrikam.example")], [("nina.novak@fabrikam.example", "nina novak")]),
        (
            QualifyDecisions(account=SKIP, contact=CREATE),
            [],
            [("nina.novak@fabrikam.example", "nina novak")],
        ),
        # A record created anyway is locked too: a qualify checking at the same moment must
        # find it.
        (
            QualifyDecisions(
                account=RecordDecision(choice=Choice.CREATE, create_anyway=True), contact=SKIP
            ),
            [("fabrikam", "fabrikam.example")],
            [],
        ),
    ],
)
def test_it_locks_the_match_keys_of_the_records_it_creates(
    lead, user, monkeypatch, decisions, accounts, contacts
):
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)
    locked = []
    monkeypatch.setattr(engine, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user, decisions=decisions)

    [keys] = locked
    assert [(key.name, key.domain) for key in keys["accounts"]] == accounts
    assert [(key.email, key.full_name) for key in keys["contacts"]] == contacts


def test_it_locks_only_the_keys_of_the_match_rules_in_force(lead, user, monkeypatch):
    configure(match_account_by_domain=False, match_contact_by_name=False)
    locked = []
    monkeypatch.setattr(engine, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user)

    [keys] = locked
    assert [(key.name, key.domain) for key in keys["accounts"]] == [("fabrikam", "")]
    assert [(key.email, key.full_name) for key in keys["contacts"]] == [
        ("nina.novak@fabrikam.example", "")
    ]


def test_it_locks_nothing_when_detection_is_off(lead, user, monkeypatch):
    configure(detect_duplicates=False)
    locked = []
    monkeypatch.setattr(engine, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user)

    assert locked == []


def test_it_creates_duplicates_silently_when_detection_is_off(lead, user):
    AccountFactory(name="Fabrikam", website="")
    ContactFactory(email="nina.novak@fabrikam.example")
    configure(detect_duplicates=False)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.qualification.account_created
    assert Account.objects.count() == 2
    assert Contact.objects.count() == 2


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
