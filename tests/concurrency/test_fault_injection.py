"""A database error at each write step of the qualify engines leaves nothing behind.

The fault is a real PostgreSQL error raised by a row trigger on the table the step writes
(see conftest.failing_write), so it strikes inside the very statement the engine runs, after
the rows before it in that statement and after every earlier step were written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.test.utils import CaptureQueriesContext

from crm.models import Account, Contact, Opportunity, TimelineEntry
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    BulkOptions,
    QualifyDecisions,
    bulk,
    lead_qualify,
    leads_bulk_qualify,
)
from qualification.models import (
    BulkJobStatus,
    BulkQualifyJob,
    CreationMode,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
)
from qualification.services import qualification_settings_update
from qualification.tasks import bulk_qualify_job_resume, bulk_qualify_job_run
from tests.concurrency.tools import FAULT_MESSAGE, failing_write, tables_written
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]

ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}
ACCOUNT = Account._meta.db_table
CONTACT = Contact._meta.db_table
OPPORTUNITY = Opportunity._meta.db_table
ORIGIN = LeadOrigin._meta.db_table
LEAD = Lead._meta.db_table
QUALIFICATION = Qualification._meta.db_table
QUALIFICATION_OPPORTUNITY = QualificationOpportunity._meta.db_table
TIMELINE = TimelineEntry._meta.db_table
# The engine's write order (qualification/engine/write.py, leads_write), for one lead or a
# bulk chunk alike.
ENGINE_ORDER = BULK_ORDER = [
    ACCOUNT,
    CONTACT,
    OPPORTUNITY,
    ORIGIN,
    QUALIFICATION,
    QUALIFICATION_OPPORTUNITY,
    TIMELINE,
    LEAD,
]


@dataclass(frozen=True)
class Step:
    """One write of an engine: the table, the statement, which of its rows fails."""

    name: str
    table: str
    condition: str = "TRUE"
    # May name {lead}, {lead_type} or {opportunity_type}: ids known once the rows exist.
    operation: str = "INSERT"

    def __str__(self) -> str:
        return self.name


def record_counts() -> dict[str, int]:
    return {
        "accounts": Account.objects.count(),
        "contacts": Contact.objects.count(),
        "opportunities": Opportunity.objects.count(),
        "origins": LeadOrigin.objects.count(),
        "qualifications": Qualification.objects.count(),
        "qualification opportunities": QualificationOpportunity.objects.count(),
        "timeline entries": TimelineEntry.objects.count(),
    }


def lead_row(lead: Lead) -> dict[str, Any]:
    return Lead.objects.filter(pk=lead.pk).values().get()


SINGLE_STEPS = [
    Step("account", ACCOUNT),
    Step("contact", CONTACT),
    Step("opportunity-1", OPPORTUNITY, "NEW.topic = 'Deal 1'"),
    Step("opportunity-2", OPPORTUNITY, "NEW.topic = 'Deal 2'"),
    Step("opportunity-3", OPPORTUNITY, "NEW.topic = 'Deal 3'"),
    Step("origin-of-an-opportunity", ORIGIN, "NEW.opportunity_id IS NOT NULL"),
    # The last row of the origins' INSERT: the opportunities' and the account's went first.
    Step("origin-of-the-contact", ORIGIN, "NEW.contact_id IS NOT NULL"),
    Step("qualification", QUALIFICATION),
    Step("qualification-opportunity-3", QUALIFICATION_OPPORTUNITY, "NEW.position = 2"),
    Step("timeline-event", TIMELINE, "NEW.kind = 'system'"),
    # The last row of the timeline's INSERT: the event and the lead's summary went first.
    Step(
        "timeline-summary-of-the-opportunity",
        TIMELINE,
        "NEW.kind = 'summary' AND NEW.content_type_id = {opportunity_type}",
    ),
    Step("lead-update", LEAD, "NEW.state = 'qualified'", operation="UPDATE"),
]


@pytest.fixture(autouse=True)
def _builtin_summary(settings) -> None:
    settings.SUMMARY_LLM_URL = ""


@pytest.fixture
def three_opportunities() -> QualifyDecisions:
    """Everything a qualify can write: a new account and contact, three opportunities and
    a summary on the timeline."""
    qualification_settings_update(
        qualification_settings=QualificationSettings.load(),
        account_mode=CreationMode.AUTOMATIC,
        contact_mode=CreationMode.AUTOMATIC,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
        summarize_after_qualify=True,
        detect_duplicates=True,
    )
    return QualifyDecisions(opportunities=[{"topic": f"Deal {n}"} for n in (1, 2, 3)])


@pytest.mark.parametrize("step", SINGLE_STEPS, ids=str)
def test_a_fault_at_any_write_of_a_qualify_leaves_nothing_and_the_lead_open(
    step, three_opportunities
):
    owner = UserFactory()
    lead = LeadFactory(owner=owner, company_name="Northwind Traders")
    before = lead_row(lead)
    values = {"opportunity_type": ContentType.objects.get_for_model(Opportunity).pk}
    condition = step.condition.format(**values)

    with failing_write(table=step.table, condition=condition, operation=step.operation):
        with CaptureQueriesContext(connection) as queries:
            with pytest.raises(DatabaseError, match=FAULT_MESSAGE):
                lead_qualify(lead_id=lead.pk, acting_user=owner, decisions=three_opportunities)

    # The fault struck at this step, after every earlier write of the qualify was made.
    earlier = ENGINE_ORDER[: ENGINE_ORDER.index(step.table) + 1]
    assert set(earlier) <= tables_written(queries.captured_queries)
    assert record_counts() == dict.fromkeys(record_counts(), 0)
    assert lead_row(lead) == before
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)
    assert lead.parent_account is None and lead.parent_contact is None
    assert lead.qualifying_opportunity is None

    # Nothing half-written stands in the way (no leftover account seen as a duplicate).
    result = lead_qualify(lead_id=lead.pk, acting_user=owner, decisions=three_opportunities)
    assert [o.topic for o in result.opportunities] == ["Deal 1", "Deal 2", "Deal 3"]
    assert Qualification.objects.get(lead=lead).account.name == "Northwind Traders"


BULK_STEPS = [
    Step("account", ACCOUNT, "NEW.name = 'Beta 3 Ltd'"),
    Step("contact", CONTACT, "NEW.email = 'beta3@beta.example'"),
    Step("opportunity", OPPORTUNITY, "NEW.topic = 'Beta deal 3'"),
    Step("origin", ORIGIN, "NEW.lead_id = {lead}"),
    Step("qualification", QUALIFICATION, "NEW.lead_id = {lead}"),
    Step(
        "qualification-opportunity",
        QUALIFICATION_OPPORTUNITY,
        "EXISTS (SELECT 1 FROM qualification_qualification q"
        " WHERE q.id = NEW.qualification_id AND q.lead_id = {lead})",
    ),
    Step(
        "timeline-event",
        TIMELINE,
        "NEW.title = 'Lead qualified' AND NEW.object_id = {lead}"
        " AND NEW.content_type_id = {lead_type}",
    ),
    Step(
        "timeline-opportunity-created",
        TIMELINE,
        "NEW.title = 'Opportunity created' AND NEW.body LIKE '%(Beta deal 3)%'",
    ),
    Step("lead-update", LEAD, "NEW.id = {lead} AND NEW.state = 'qualified'", operation="UPDATE"),
]


@pytest.fixture
def two_chunks(monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_QUALIFY_CHUNK_SIZE", 3)


def _chunk_leads(owner: Any) -> tuple[list[Lead], list[Lead]]:
    """Chunk one: Alpha 1-3. Chunk two: Beta 1-3, where Beta 1 is Alpha 1's company and
    Beta 2 is Alpha 2's person, so the failing chunk also links records of the first."""
    alpha = [
        LeadFactory(
            owner=owner,
            topic=f"Alpha deal {n}",
            company_name=f"Alpha {n} Ltd",
            website="",
            email=f"alpha{n}@alpha.example",
        )
        for n in (1, 2, 3)
    ]
    beta = [
        LeadFactory(
            owner=owner,
            topic=f"Beta deal {n}",
            company_name="Alpha 1 Ltd" if n == 1 else f"Beta {n} Ltd",
            website="",
            first_name=alpha[1].first_name if n == 2 else "Bea",
            last_name=alpha[1].last_name if n == 2 else f"Beta{n}",
            email="alpha2@alpha.example" if n == 2 else f"beta{n}@beta.example",
        )
        for n in (1, 2, 3)
    ]
    return alpha, beta


def _condition(step: Step, lead: Lead) -> str:
    return step.condition.format(lead=lead.pk, lead_type=ContentType.objects.get_for_model(Lead).pk)


def assert_first_chunk_kept_and_second_left_untouched(
    alpha: list[Lead], beta: list[Lead], beta_before: list[dict[str, Any]]
) -> None:
    for lead in alpha:
        lead.refresh_from_db()
        assert lead.state == LeadState.QUALIFIED
        assert Qualification.objects.filter(lead=lead).count() == 1
    assert [lead_row(lead) for lead in beta] == beta_before
    assert not Qualification.objects.filter(lead__in=beta).exists()
    assert not LeadOrigin.objects.filter(lead__in=beta).exists()
    assert not TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), object_id__in=[b.pk for b in beta]
    ).exists()
    assert record_counts() == {
        "accounts": 3,
        "contacts": 3,
        "opportunities": 3,
        "origins": 9,
        "qualifications": 3,
        "qualification opportunities": 3,
        # "Lead qualified" on each lead and "Opportunity created" on each opportunity.
        "timeline entries": 6,
    }
    assert not Account.objects.filter(name__startswith="Beta").exists()
    assert not Contact.objects.filter(email__endswith="@beta.example").exists()
    assert not Opportunity.objects.filter(topic__startswith="Beta").exists()
    # Records of the first chunk that the failing chunk linked gained nothing.
    assert Contact.objects.filter(account__name="Alpha 1 Ltd").count() == 1
    assert Opportunity.objects.filter(contact__email="alpha2@alpha.example").count() == 1


@pytest.mark.parametrize("step", BULK_STEPS, ids=str)
def test_a_fault_at_any_write_of_a_bulk_chunk_leaves_nothing_of_that_chunk(step, two_chunks):
    owner = UserFactory()
    alpha, beta = _chunk_leads(owner)
    beta_before = [lead_row(lead) for lead in beta]
    ids = [lead.pk for lead in [*alpha, *beta]]

    with failing_write(
        table=step.table, condition=_condition(step, beta[2]), operation=step.operation
    ):
        with CaptureQueriesContext(connection) as queries:
            with pytest.raises(DatabaseError, match=FAULT_MESSAGE):
                leads_bulk_qualify(lead_ids=ids, acting_user=owner, options=BulkOptions())

    # Both chunks reached this step: the fault struck in the second one's statement.
    writes = Counter(
        table for query in queries.captured_queries for table in tables_written([query])
    )
    for table in BULK_ORDER[: BULK_ORDER.index(step.table) + 1]:
        assert writes[table] >= 2, (table, writes)
    assert_first_chunk_kept_and_second_left_untouched(alpha, beta, beta_before)

    outcome = leads_bulk_qualify(lead_ids=ids, acting_user=owner, options=BulkOptions())
    assert sorted(outcome.qualified_ids) == sorted(lead.pk for lead in beta)
    assert {issue.reason for issue in outcome.failures} == {LEAD_ALREADY_QUALIFIED}
    assert (outcome.accounts_created, outcome.accounts_linked) == (2, 1)
    assert (outcome.contacts_created, outcome.contacts_linked) == (2, 1)


def test_a_fault_in_a_background_job_fails_it_after_its_last_chunk_and_resume_finishes(
    two_chunks,
):
    owner = UserFactory()
    alpha, beta = _chunk_leads(owner)
    beta_before = [lead_row(lead) for lead in beta]
    ids = [lead.pk for lead in [*alpha, *beta]]
    job = BulkQualifyJob.objects.create(created_by=owner, lead_ids=ids, total=len(ids), **ALL)

    with failing_write(table=OPPORTUNITY, condition="NEW.topic = 'Beta deal 3'"):
        with pytest.raises(DatabaseError, match=FAULT_MESSAGE):
            bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.FAILED and FAULT_MESSAGE in job.error
    assert (job.processed, job.qualified_count, job.failures) == (3, 3, [])
    assert_first_chunk_kept_and_second_left_untouched(alpha, beta, beta_before)

    # Resume (the job page's button) queues the task again; a worker runs it.
    bulk_qualify_job_resume(job=job)
    call_command(
        "db_worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload", verbosity=0
    )

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.error == ""
    assert (job.processed, job.qualified_count, job.failures) == (6, 6, [])
    for lead in [*alpha, *beta]:
        assert Qualification.objects.filter(lead=lead).count() == 1
