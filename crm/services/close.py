"""Close an opportunity as won or lost, and reopen a closed one.

A closed opportunity is read-only (every change service refuses it, see crm.services.locks)
until it is reopened. Closing as won completes the process: the stage becomes Close, which the
process bar then shows done.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.template.defaultfilters import date as date_format

from crm.models import (
    OPPORTUNITY_STATUS_BY_STATE,
    Opportunity,
    OpportunityState,
    OpportunityStatus,
    SalesStage,
)
from crm.money import format_money
from crm.selectors.permissions import owner_or_manager
from crm.services.errors import (
    ActualCloseDateRequiredError,
    ActualRevenueRequiredError,
    CloseReasonError,
    CloseStateError,
    OpportunityNotClosedError,
    OpportunityPermissionError,
)
from crm.services.locks import copy_back, record_lock, record_lock_for_change
from crm.services.timeline import timeline_event_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

CLOSED_TITLE = "Opportunity closed as {reason}"
REOPENED_TITLE = "Opportunity reopened"
CLOSE_FIELDS = ("state", "status_reason", "actual_revenue", "actual_close_date", "stage")


def close_reasons(state: str) -> tuple[str, ...]:
    """The status reasons an opportunity may close with as `state` (won or lost)."""
    if state not in (OpportunityState.WON, OpportunityState.LOST):
        raise CloseStateError
    return OPPORTUNITY_STATUS_BY_STATE[state]


def _check(
    state: str,
    status_reason: str,
    actual_revenue: Decimal | None,
    actual_close_date: datetime.date | None,
) -> None:
    reasons = close_reasons(state)
    if status_reason not in reasons:
        raise CloseReasonError(
            reasons=" or ".join(str(OpportunityStatus(reason).label) for reason in reasons)
        )
    if state == OpportunityState.WON and actual_revenue is None:
        raise ActualRevenueRequiredError
    if actual_close_date is None:
        raise ActualCloseDateRequiredError


def _closed_body(opportunity: Opportunity, description: str) -> str:
    lines = []
    if opportunity.actual_revenue is not None:
        lines.append(f"Actual Revenue: {format_money(opportunity.actual_revenue)}")
    lines.append(f"Actual Close Date: {date_format(opportunity.actual_close_date, 'M j, Y')}")
    if description.strip():
        lines.append(description.strip())
    return "\n".join(lines)


def opportunity_close(
    *,
    opportunity: Opportunity,
    state: str,
    status_reason: str,
    actual_revenue: Decimal | None,
    actual_close_date: datetime.date | None,
    acting_user: AbstractBaseUser,
    description: str = "",
) -> Opportunity:
    """Close as Won (status reason Won; Actual Revenue and Actual Close Date required) or as
    Lost (Canceled or Out-Sold; Actual Close Date required). The timeline records the close
    with the actual figures and the description. Refused for a closed opportunity and for a
    user who is neither its owner nor a sales manager."""
    _check(state, status_reason, actual_revenue, actual_close_date)
    with transaction.atomic():
        # Locked and re-checked: a second Close in another tab finds it closed.
        locked = record_lock_for_change(opportunity, acting_user=acting_user)
        locked.state = state
        locked.status_reason = status_reason
        locked.actual_revenue = actual_revenue
        locked.actual_close_date = actual_close_date
        if state == OpportunityState.WON:
            locked.stage = SalesStage.CLOSE
        locked.save(update_fields=[*CLOSE_FIELDS, "updated_at"])
        timeline_event_add(
            record=locked,
            author=acting_user,
            title=CLOSED_TITLE.format(reason=locked.get_status_reason_display()),
            body=_closed_body(locked, description),
        )
    copy_back(locked, opportunity, (*CLOSE_FIELDS, "updated_at"))
    return opportunity


def opportunity_reopen(*, opportunity: Opportunity, acting_user: AbstractBaseUser) -> Opportunity:
    """Back to Open (In Progress) at the stage it had, its actual figures cleared (the
    timeline keeps them). Refused for an open opportunity and for another salesperson's."""
    with transaction.atomic():
        locked = record_lock(opportunity)
        if not owner_or_manager(user=acting_user, owner_id=locked.owner_id):
            raise OpportunityPermissionError
        if locked.state == OpportunityState.OPEN:
            raise OpportunityNotClosedError
        body = f"Was {locked.get_state_display()}: {locked.get_status_reason_display()}.\n"
        body += _closed_body(locked, "") if locked.actual_close_date else ""
        locked.state = OpportunityState.OPEN
        locked.status_reason = OpportunityStatus.IN_PROGRESS
        locked.actual_revenue = None
        locked.actual_close_date = None
        locked.save(update_fields=[*CLOSE_FIELDS, "updated_at"])
        timeline_event_add(record=locked, author=acting_user, title=REOPENED_TITLE, body=body)
    copy_back(locked, opportunity, (*CLOSE_FIELDS, "updated_at"))
    return opportunity
