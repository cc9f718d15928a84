"""The opportunity's process bar: the steps of a stage, Next Stage and Previous Stage.

The rule of which steps can be edited lives here once: `opportunity_steps_refusal` says why a
stage's steps are read-only (closed, not the user's, a stage not reached yet); the flyout asks
it to show them read-only, and `opportunity_steps_update` asks it again on the locked row, so a
crafted POST cannot write a later stage's steps.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from crm.models import Opportunity, SalesStage
from crm.process import STAGE_ORDER, STAGE_STEPS
from crm.services.errors import (
    OpportunityFirstStageError,
    OpportunityFutureStageError,
    OpportunityLastStageError,
    OpportunityStageUnknownError,
    RecordError,
)
from crm.services.fields import check_fields
from crm.services.locks import copy_back, record_change_refusal, record_lock, record_lock_for_change
from crm.services.timeline import timeline_event_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def opportunity_steps_refusal(
    *, opportunity: Opportunity, stage: str, acting_user: AbstractBaseUser | AnonymousUser
) -> RecordError | None:
    """Why `opportunity_steps_update` would refuse the steps of `stage` now (None: it would
    not): the opportunity is closed, the user may not change it, or the stage is not reached."""
    if stage not in STAGE_STEPS:
        return OpportunityStageUnknownError(stage)
    refusal = record_change_refusal(opportunity, acting_user=acting_user)
    if refusal is not None:
        return refusal
    if STAGE_ORDER.index(stage) > STAGE_ORDER.index(opportunity.stage):
        return OpportunityFutureStageError()
    return None


def opportunity_steps_update(
    *,
    opportunity: Opportunity,
    stage: str,
    values: dict[str, Any],
    acting_user: AbstractBaseUser,
) -> Opportunity:
    """Save the steps of one stage (the flyout of the process bar). Only that stage's step
    fields are written; any other key is refused, and so is a stage not reached yet."""
    if stage not in STAGE_STEPS:
        raise OpportunityStageUnknownError(stage)
    check_fields(values, STAGE_STEPS[stage])
    with transaction.atomic():
        # Locked and re-checked: a Previous Stage or a close in another tab wins over a
        # flyout drawn before it.
        locked = record_lock(opportunity)
        refusal = opportunity_steps_refusal(
            opportunity=locked, stage=stage, acting_user=acting_user
        )
        if refusal is not None:
            raise refusal
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*values, "updated_at"])
    copy_back(locked, opportunity, (*values, "updated_at"))
    return opportunity


def opportunity_stage_set(
    *, opportunity: Opportunity, stage: str, acting_user: AbstractBaseUser
) -> Opportunity:
    """Move the opportunity to `stage` and record the move on its timeline."""
    if stage not in STAGE_ORDER:
        raise OpportunityStageUnknownError(stage)
    with transaction.atomic():
        locked = record_lock_for_change(opportunity, acting_user=acting_user)
        return _stage_move(opportunity=opportunity, locked=locked, stage=stage, user=acting_user)


def opportunity_stage_next(
    *, opportunity: Opportunity, acting_user: AbstractBaseUser
) -> Opportunity:
    """Develop -> Propose -> Close; refused on Close."""
    with transaction.atomic():
        locked = record_lock_for_change(opportunity, acting_user=acting_user)
        position = STAGE_ORDER.index(locked.stage)
        if position == len(STAGE_ORDER) - 1:
            raise OpportunityLastStageError
        return _stage_move(
            opportunity=opportunity,
            locked=locked,
            stage=STAGE_ORDER[position + 1],
            user=acting_user,
        )


def opportunity_stage_previous(
    *, opportunity: Opportunity, acting_user: AbstractBaseUser
) -> Opportunity:
    """Close -> Propose -> Develop; refused on Develop (Qualify is the lead's stage)."""
    with transaction.atomic():
        locked = record_lock_for_change(opportunity, acting_user=acting_user)
        position = STAGE_ORDER.index(locked.stage)
        if position == 0:
            raise OpportunityFirstStageError
        return _stage_move(
            opportunity=opportunity,
            locked=locked,
            stage=STAGE_ORDER[position - 1],
            user=acting_user,
        )


def _stage_move(
    *, opportunity: Opportunity, locked: Opportunity, stage: str, user: AbstractBaseUser
) -> Opportunity:
    previous = SalesStage(locked.stage).label
    if locked.stage == stage:
        copy_back(locked, opportunity, ("stage",))
        return opportunity
    locked.stage = stage
    locked.save(update_fields=["stage", "updated_at"])
    timeline_event_add(
        record=locked,
        author=user,
        title=f"Stage changed to {SalesStage(stage).label}",
        body=f"Moved from {previous} to {SalesStage(stage).label}.",
    )
    copy_back(locked, opportunity, ("stage", "updated_at"))
    return opportunity
