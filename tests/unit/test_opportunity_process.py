from __future__ import annotations

import datetime

import pytest

from crm.models import OpportunityState, OpportunityStatus, SalesStage
from crm.selectors import timeline_for
from crm.services.errors import (
    FUTURE_STAGE_READ_ONLY,
    OPPORTUNITY_CHANGE_FORBIDDEN,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_FIRST_STAGE,
    OPPORTUNITY_LAST_STAGE,
    OpportunityClosedError,
    OpportunityFirstStageError,
    OpportunityFutureStageError,
    OpportunityLastStageError,
    OpportunityPermissionError,
    OpportunityStageUnknownError,
)
from crm.services.process import (
    opportunity_stage_next,
    opportunity_stage_previous,
    opportunity_stage_set,
    opportunity_steps_refusal,
    opportunity_steps_update,
)
from tests.factories import OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_moves_through_the_stages_and_records_each_move() -> None:
    opportunity = OpportunityFactory()
    user = opportunity.owner

    opportunity_stage_next(opportunity=opportunity, acting_user=user)
    assert opportunity.stage == SalesStage.PROPOSE
    opportunity_stage_next(opportunity=opportunity, acting_user=user)
    assert opportunity.stage == SalesStage.CLOSE
    opportunity_stage_previous(opportunity=opportunity, acting_user=user)

    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE
    events = list(timeline_for(record=opportunity))
    assert [event.title for event in events] == [
        "Stage changed to Propose",
        "Stage changed to Close",
        "Stage changed to Propose",
    ]
    assert {(event.kind, event.author) for event in events} == {("system", user)}


def test_it_refuses_next_stage_on_close() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.CLOSE)

    with pytest.raises(OpportunityLastStageError) as error:
        opportunity_stage_next(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_LAST_STAGE
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.CLOSE
    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_previous_stage_on_develop() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityFirstStageError) as error:
        opportunity_stage_previous(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_FIRST_STAGE
    assert not timeline_for(record=opportunity).exists()


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (OpportunityState.WON, OpportunityStatus.WON),
        (OpportunityState.LOST, OpportunityStatus.OUT_SOLD),
    ],
)
def test_it_refuses_stage_moves_on_a_closed_opportunity(state: str, status: str) -> None:
    opportunity = OpportunityFactory(state=state, status_reason=status)

    with pytest.raises(OpportunityClosedError) as error:
        opportunity_stage_next(opportunity=opportunity, acting_user=opportunity.owner)

    assert error.value.message == OPPORTUNITY_CLOSED
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP


def test_it_sees_a_close_made_in_another_tab() -> None:
    opportunity = OpportunityFactory()
    stale = type(opportunity).objects.get(pk=opportunity.pk)
    type(opportunity).objects.filter(pk=opportunity.pk).update(
        state=OpportunityState.WON, status_reason=OpportunityStatus.WON
    )

    with pytest.raises(OpportunityClosedError):
        opportunity_stage_next(opportunity=stale, acting_user=opportunity.owner)


def test_it_sets_a_stage_directly() -> None:
    opportunity = OpportunityFactory()

    opportunity_stage_set(
        opportunity=opportunity, stage=SalesStage.CLOSE, acting_user=opportunity.owner
    )

    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.CLOSE
    assert timeline_for(record=opportunity).get().body == "Moved from Develop to Close."


def test_it_records_nothing_when_the_stage_does_not_change() -> None:
    opportunity = OpportunityFactory()

    opportunity_stage_set(
        opportunity=opportunity, stage=SalesStage.DEVELOP, acting_user=opportunity.owner
    )

    assert not timeline_for(record=opportunity).exists()


def test_it_refuses_an_unknown_stage() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityStageUnknownError, match="qualify"):
        opportunity_stage_set(opportunity=opportunity, stage="qualify", acting_user=None)


def test_it_saves_the_steps_of_one_stage() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.CLOSE)

    opportunity_steps_update(
        opportunity=opportunity,
        stage=SalesStage.CLOSE,
        values={"decision_date": datetime.date(2026, 12, 1), "send_thank_you": True},
        acting_user=opportunity.owner,
    )

    opportunity.refresh_from_db()
    assert opportunity.decision_date == datetime.date(2026, 12, 1)
    assert opportunity.send_thank_you is True


def test_it_refuses_a_step_of_another_stage() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(TypeError, match="identify_stakeholders"):
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.CLOSE,
            values={"identify_stakeholders": True},
            acting_user=opportunity.owner,
        )

    opportunity.refresh_from_db()
    assert opportunity.identify_stakeholders is False


def test_it_refuses_steps_on_a_closed_opportunity() -> None:
    opportunity = OpportunityFactory(state=OpportunityState.WON, status_reason="won")

    with pytest.raises(OpportunityClosedError):
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.DEVELOP,
            values={"identify_stakeholders": True},
            acting_user=opportunity.owner,
        )

    opportunity.refresh_from_db()
    assert opportunity.identify_stakeholders is False


def test_it_refuses_the_steps_of_a_stage_not_reached_yet() -> None:
    # A crafted POST for Close while the opportunity is at Develop: the service says no.
    opportunity = OpportunityFactory(stage=SalesStage.DEVELOP)

    with pytest.raises(OpportunityFutureStageError) as error:
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.CLOSE,
            values={"send_thank_you": True},
            acting_user=opportunity.owner,
        )

    assert error.value.message == FUTURE_STAGE_READ_ONLY
    opportunity.refresh_from_db()
    assert opportunity.send_thank_you is False


def test_it_takes_the_steps_of_an_earlier_stage() -> None:
    opportunity = OpportunityFactory(stage=SalesStage.PROPOSE)

    opportunity_steps_update(
        opportunity=opportunity,
        stage=SalesStage.DEVELOP,
        values={"identify_competitors": True},
        acting_user=opportunity.owner,
    )

    opportunity.refresh_from_db()
    assert opportunity.identify_competitors is True


def test_it_refuses_the_steps_of_another_salespersons_opportunity() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityPermissionError):
        opportunity_steps_update(
            opportunity=opportunity,
            stage=SalesStage.DEVELOP,
            values={"identify_competitors": True},
            acting_user=UserFactory(),
        )

    opportunity.refresh_from_db()
    assert opportunity.identify_competitors is False


@pytest.mark.parametrize(
    ("stage", "state", "owner", "refusal"),
    [
        (SalesStage.DEVELOP, "open", True, None),
        (SalesStage.CLOSE, "open", True, FUTURE_STAGE_READ_ONLY),
        (SalesStage.DEVELOP, "open", False, OPPORTUNITY_CHANGE_FORBIDDEN),
        (SalesStage.DEVELOP, "won", True, OPPORTUNITY_CLOSED),
    ],
)
def test_the_refusal_says_why_before_anything_is_posted(stage, state, owner, refusal) -> None:
    opportunity = OpportunityFactory(
        state=state, status_reason="won" if state == "won" else "in_progress"
    )
    user = opportunity.owner if owner else UserFactory()

    answer = opportunity_steps_refusal(opportunity=opportunity, stage=stage, acting_user=user)

    assert (answer.message if answer else None) == refusal


def test_another_salesperson_cannot_move_the_stage() -> None:
    opportunity = OpportunityFactory()

    with pytest.raises(OpportunityPermissionError):
        opportunity_stage_next(opportunity=opportunity, acting_user=UserFactory())

    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.DEVELOP
