"""Row locks the record services take before they re-check and write.

Every write locks its rows first and re-checks what it is about to rely on inside the
transaction: two people (or two tabs) acting on one record at once must not both succeed on a
stale copy, e.g. a stage moved on an opportunity that was closed a moment ago.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from crm.models import Opportunity, OpportunityState
from crm.selectors.permissions import owner_or_manager
from crm.services.errors import OpportunityClosedError, OpportunityPermissionError, RecordError

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def opportunity_change_refusal(
    opportunity: Opportunity, *, acting_user: AbstractBaseUser | AnonymousUser
) -> RecordError | None:
    """Why no change at all can be made to the opportunity now: closed, or not the user's."""
    if opportunity.state != OpportunityState.OPEN:
        return OpportunityClosedError()
    if not owner_or_manager(user=acting_user, owner_id=opportunity.owner_id):
        return OpportunityPermissionError()
    return None


def opportunity_lock(opportunity: Opportunity) -> Opportunity:
    """The opportunity's row, locked until the transaction ends, as it is now."""
    return Opportunity.objects.select_for_update().get(pk=opportunity.pk)


def opportunity_lock_for_change(
    opportunity: Opportunity, *, acting_user: AbstractBaseUser | AnonymousUser
) -> Opportunity:
    """Lock the row and re-read it, then refuse when it is closed or not the user's: two tabs
    moving the same stage must not both win on a stale copy, and an opportunity closed
    meanwhile stays untouched."""
    locked = opportunity_lock(opportunity)
    refusal = opportunity_change_refusal(locked, acting_user=acting_user)
    if refusal is not None:
        raise refusal
    return locked


def copy_back(source: Opportunity, target: Opportunity, fields: tuple[str, ...]) -> None:
    """Give the caller's instance the values just written on the locked copy."""
    for name in fields:
        setattr(target, name, getattr(source, name))
