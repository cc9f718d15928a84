"""Close as Won, Close as Lost and Reopen (crm.services.close)."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest

from crm.models import OpportunityState, OpportunityStatus, SalesStage
from crm.selectors import opportunity_stages, timeline_for
from crm.services.close import opportunity_close, opportunity_reopen
from crm.services.errors import (
    ACTUAL_CLOSE_DATE_REQUIRED,
    ACTUAL_REVENUE_REQUIRED,
    CLOSE_REASON_INVALID,
    OPPORTUNITY_CHANGE_FORBIDDEN,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_NOT_CLOSED,
    ActualCloseDateRequiredError,
    ActualRevenueRequiredError,
    CloseReasonError,
    CloseStateError,
    OpportunityClosedError,
    OpportunityNotClosedError,
    OpportunityPermissionError,
)
from crm.services.opportunities import opportunity_update
from crm.services.process import opportunity_stage_next
from tests.factories import OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 3)


def close_won(opportunity, **changes):
    values = {
        "state": OpportunityState.WON,
        "status_reason": OpportunityStatus.WON,
        "actual_revenue": Decimal("12500.00"),
        "actual_close_date": DAY,
        "acting_user": opportunity.owner,
    } | changes
    return opportunity_close(opportunity=opportunity, **values)


def test_close_as_won_records_the_actual_figures_and_completes_the_process() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.PROPOSE)

    close_won(opportunity, description="Signed at the trade show.")

    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("won", "won")
    assert (opportunity.actual_revenue, opportunity.actual_close_date) == (Decimal("12500"), DAY)
    assert opportunity.stage == SalesStage.CLOSE
    assert [cell.state for cell in opportunity_stages(opportunity=opportunity)] == ["done"] * 3
    event = timeline_for(record=opportunity).get()
    assert (event.title, event.author) == ("Opportunity closed as Won", opportunity.owner)
    assert event.body == (
        "Actual Revenue: $12,500.00\nActual Close Date: Mar 3, 2026\nSigned at the trade show."
    )


def test_close_as_lost_keeps_the_stage_and_needs_no_revenue() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.PROPOSE)

    opportunity_close(
        opportunity=opportunity,
        state=OpportunityState.LOST,
        status_reason=OpportunityStatus.OUT_SOLD,
        actual_revenue=None,
        actual_close_date=DAY,
        acting_user=opportunity.owner,
    )

    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("lost", "out_sold")
    assert opportunity.stage == SalesStage.PROPOSE
    assert timeline_for(record=opportunity).get().title == "Opportunity closed as Out-Sold"


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        (
            {"status_reason": OpportunityStatus.CANCELED},
            CloseReasonError,
            CLOSE_REASON_INVALID.format(reasons="Won"),
        ),
        ({"actual_revenue": None}, ActualRevenueRequiredError, ACTUAL_REVENUE_REQUIRED),
        ({"actual_close_date": None}, ActualCloseDateRequiredError, ACTUAL_CLOSE_DATE_REQUIRED),
    ],
)
def test_it_refuses_bad_input_and_changes_nothing(changes, error, message) -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(error) as raised:
        close_won(opportunity, **changes)

    assert raised.value.message == message
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.OPEN
    assert not timeline_for(record=opportunity).exists()


def test_lost_takes_only_its_reasons() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(CloseReasonError) as raised:
        opportunity_close(
            opportunity=opportunity,
            state=OpportunityState.LOST,
            status_reason=OpportunityStatus.WON,
            actual_revenue=None,
            actual_close_date=DAY,
            acting_user=opportunity.owner,
        )

    assert raised.value.message == CLOSE_REASON_INVALID.format(reasons="Canceled or Out-Sold")
    assert raised.value.field == "status_reason"


def test_it_closes_only_as_won_or_lost() -> None:
    with pytest.raises(CloseStateError):
        close_won(OpportunityFactory(), state=OpportunityState.OPEN)


def test_a_closed_opportunity_cannot_be_closed_again() -> None:
    opportunity = OpportunityFactory()
    close_won(opportunity)

    with pytest.raises(OpportunityClosedError) as raised:
        close_won(opportunity, actual_revenue=Decimal("1"))

    assert raised.value.message == OPPORTUNITY_CLOSED
    opportunity.refresh_from_db()
    assert opportunity.actual_revenue == Decimal("12500")


def test_a_closed_opportunity_is_read_only_until_reopened() -> None:
    opportunity = OpportunityFactory(topic="Chairs")
    close_won(opportunity)

    with pytest.raises(OpportunityClosedError):
        opportunity_update(opportunity=opportunity, acting_user=opportunity.owner, topic="Desks")
    with pytest.raises(OpportunityClosedError):
        opportunity_stage_next(opportunity=opportunity, acting_user=opportunity.owner)

    opportunity_reopen(opportunity=opportunity, acting_user=opportunity.owner)
    opportunity_update(opportunity=opportunity, acting_user=opportunity.owner, topic="Desks")
    opportunity.refresh_from_db()
    assert opportunity.topic == "Desks"


def test_another_salesperson_cannot_close_it() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityPermissionError) as raised:
        close_won(opportunity, acting_user=UserFactory())

    assert raised.value.message == OPPORTUNITY_CHANGE_FORBIDDEN
    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.OPEN


def test_reopen_clears_the_actual_figures_and_says_what_they_were() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.PROPOSE)
    close_won(opportunity)

    opportunity_reopen(opportunity=opportunity, acting_user=opportunity.owner)

    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("open", "in_progress")
    assert (opportunity.actual_revenue, opportunity.actual_close_date) == (None, None)
    assert opportunity.stage == SalesStage.CLOSE
    event = timeline_for(record=opportunity).first()
    assert event.title == "Opportunity reopened"
    assert event.body == (
        "Was Won: Won.\nActual Revenue: $12,500.00\nActual Close Date: Mar 3, 2026"
    )


def test_reopen_refuses_an_open_opportunity() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityNotClosedError) as raised:
        opportunity_reopen(opportunity=opportunity, acting_user=opportunity.owner)

    assert raised.value.message == OPPORTUNITY_NOT_CLOSED


def test_reopen_refuses_another_salesperson() -> None:
    opportunity = OpportunityFactory(state="lost", status_reason="canceled")

    with pytest.raises(OpportunityPermissionError):
        opportunity_reopen(opportunity=opportunity, acting_user=UserFactory())

    opportunity.refresh_from_db()
    assert opportunity.state == OpportunityState.LOST
