"""Dated history for the Insights tests: leads created and closed on given days, qualification
records of given days with the accounts, contacts, duplicate decisions and opportunities they
left. Times are noon UTC unless given."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User

from crm.models import Opportunity, OpportunityState, OpportunityStatus, SalesStage
from leads.models import LEAD_STATUS_BY_STATE, Lead, LeadSource, LeadStatus
from qualification.models import Qualification
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    QualificationFactory,
    QualificationOpportunityFactory,
    backdate,
)

NOON = time(12)


STATE_OF = {reason: state for state, reasons in LEAD_STATUS_BY_STATE.items() for reason in reasons}


def moment(day: date | datetime | None, at: time = NOON) -> datetime | None:
    """A datetime stays as it is; a date becomes that day at `at` (UTC)."""
    if day is None or isinstance(day, datetime):
        return day
    return datetime.combine(day, at, tzinfo=UTC)


def dated_lead(
    owner: User,
    *,
    created: date | datetime,
    closed: date | datetime | None = None,
    reason: str = LeadStatus.NEW,
    source: str = LeadSource.WEB,
    **fields: Any,
) -> Lead:
    """A lead created on `created`, with status reason `reason` (Qualified or a disqualify
    reason: closed on `closed`)."""
    lead = LeadFactory(
        owner=owner, state=STATE_OF[reason], status_reason=reason, lead_source=source, **fields
    )
    return backdate(lead, created_at=moment(created), closed_at=moment(closed))


def dated_qualification(
    lead: Lead,
    *,
    on: date | datetime,
    account: str = "created",
    contact: str = "created",
    account_duplicates: str = "",
    contact_duplicates: str = "",
    opportunities: list[dict[str, Any]] | None = None,
) -> Qualification:
    """The qualification record of `lead` on `on`: its account and contact "created",
    "linked" (an existing one) or "none", its duplicate decisions, and the opportunities it
    created ({"stage": ..., "state": ..., "estimated_revenue": ..., "budget_amount": ...})."""
    records = {}
    for name, use, factory in (
        ("account", account, AccountFactory),
        ("contact", contact, ContactFactory),
    ):
        records[name] = None if use == "none" else factory(owner=lead.owner)
        records[f"{name}_created"] = use == "created"
    qualification = QualificationFactory(
        lead=lead,
        qualified_by=lead.owner,
        account_duplicates=account_duplicates,
        contact_duplicates=contact_duplicates,
        **records,
    )
    for position, values in enumerate(opportunities or []):
        QualificationOpportunityFactory(
            qualification=qualification,
            position=position,
            opportunity=dated_opportunity(lead.owner, records["account"], **values),
        )
    return backdate(qualification, created_at=moment(on))


def dated_opportunity(
    owner: User,
    account: Any,
    *,
    stage: str = SalesStage.DEVELOP,
    state: str = OpportunityState.OPEN,
    estimated_revenue: Decimal | None = None,
    budget_amount: Decimal | None = None,
) -> Opportunity:
    status = {
        OpportunityState.OPEN: OpportunityStatus.IN_PROGRESS,
        OpportunityState.WON: OpportunityStatus.WON,
        OpportunityState.LOST: OpportunityStatus.CANCELED,
    }[state]
    return OpportunityFactory(
        owner=owner,
        customer_account=account or AccountFactory(owner=owner),
        stage=stage,
        state=state,
        status_reason=status,
        estimated_revenue=estimated_revenue,
        budget_amount=budget_amount,
    )
