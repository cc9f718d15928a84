"""Qualified demo leads go through the real qualify engine, so their accounts, contacts,
opportunities, originating-lead links and timeline events are the ones a salesperson gets."""

from __future__ import annotations

from datetime import date, timedelta

from crm.services.records import opportunity_stage_next
from leads.models import Lead, LeadState
from qualification.demo.leads import is_qualify_candidate
from qualification.demo.values import DemoValues
from qualification.engine import (
    Choice,
    DuplicatesFoundError,
    QualifyDecisions,
    QualifyError,
    RecordDecision,
    lead_qualify,
)
from qualification.models import Qualification


def leads_qualify(demo: DemoValues, leads: list[Lead]) -> int:
    qualified = 0
    candidates = [
        lead
        for index, lead in enumerate(leads)
        if is_qualify_candidate(index) and lead.state == LeadState.OPEN
    ]
    for position, lead in enumerate(candidates):
        if _qualify(demo, lead):
            qualified += 1
            if position % 3 == 1:  # some have moved on since
                _advance(demo, lead)
    _qualified_after_created(demo, candidates)
    return qualified


def _qualified_after_created(demo: DemoValues, leads: list[Lead]) -> None:
    """The engine stamps "now": each qualification happened a few days after its lead
    came in (the lead's closed_at and its qualification record say when)."""
    qualifications = list(Qualification.objects.filter(lead__in=leads).select_related("lead"))
    for qualification in qualifications:
        qualification.created_at = demo.after(qualification.lead.created_at)
        qualification.lead.closed_at = qualification.created_at
    Qualification.objects.bulk_update(qualifications, ["created_at"])
    Lead.objects.bulk_update([q.lead for q in qualifications], ["closed_at"])


def _qualify(demo: DemoValues, lead: Lead) -> bool:
    row = {
        "estimated_revenue": lead.budget_amount or demo.budget(),
        "estimated_close_date": date.today() + timedelta(days=demo.random.randint(20, 120)),
    }
    decisions = QualifyDecisions(
        account=RecordDecision(choice=Choice.CREATE),
        contact=RecordDecision(choice=Choice.CREATE),
        opportunities=[row],
    )
    try:
        lead_qualify(lead_id=lead.pk, acting_user=lead.owner, decisions=decisions, summarize=False)
    except DuplicatesFoundError as duplicates:
        # Link the existing records, as a salesperson would in the duplicate dialog.
        if duplicates.accounts:
            decisions.account = RecordDecision(
                choice=Choice.EXISTING, existing_id=duplicates.accounts[0].pk, matched=True
            )
        if duplicates.contacts:
            decisions.contact = RecordDecision(
                choice=Choice.EXISTING, existing_id=duplicates.contacts[0].pk, matched=True
            )
        try:
            lead_qualify(
                lead_id=lead.pk, acting_user=lead.owner, decisions=decisions, summarize=False
            )
        except QualifyError as error:
            demo.skipped.append(f"Lead {lead.pk} left open: {error.message}")
            return False
    except QualifyError as error:
        demo.skipped.append(f"Lead {lead.pk} left open: {error.message}")
        return False
    return True


def _advance(demo: DemoValues, lead: Lead) -> None:
    lead.refresh_from_db(fields=["qualifying_opportunity"])
    if lead.qualifying_opportunity is not None:
        opportunity_stage_next(opportunity=lead.qualifying_opportunity, acting_user=lead.owner)
