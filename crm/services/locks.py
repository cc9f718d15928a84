"""Row locks the record services take before they re-check and write, and the one answer to
"may this user change this record now".

Every write locks its row first and re-checks what it is about to rely on inside the
transaction: two people (or two tabs) acting on one record at once must not both succeed on a
stale copy, e.g. a stage moved on an opportunity that was closed a moment ago, or a note added
to an account that a merge is deleting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from crm.models import Opportunity, OpportunityState
from crm.selectors.permissions import owner_or_manager
from crm.services.errors import (
    OpportunityClosedError,
    OpportunityPermissionError,
    RecordError,
    RecordGoneError,
    RecordPermissionError,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def record_change_refusal[T: models.Model](
    record: T, *, acting_user: AbstractBaseUser | AnonymousUser
) -> RecordError | None:
    """Why no change at all can be made to the record now (None: it can). Accounts and
    contacts: not the user's. Opportunities: closed, or not the user's."""
    if isinstance(record, Opportunity):
        if record.state != OpportunityState.OPEN:
            return OpportunityClosedError()
        if not owner_or_manager(user=acting_user, owner_id=record.owner_id):
            return OpportunityPermissionError()
        return None
    if not owner_or_manager(user=acting_user, owner_id=record.owner_id):
        return RecordPermissionError(record=str(record._meta.verbose_name))
    return None


def record_lock[T: models.Model](record: T) -> T:
    """The record's row, locked until the transaction ends, as it is now (RecordGoneError
    when it was deleted or merged away meanwhile)."""
    model = type(record)
    try:
        return model._base_manager.select_for_update().get(pk=record.pk)
    except model.DoesNotExist:
        raise RecordGoneError(record=str(model._meta.verbose_name)) from None


def record_lock_for_change[T: models.Model](
    record: T, *, acting_user: AbstractBaseUser | AnonymousUser
) -> T:
    """Lock the row and re-read it, then refuse when the user may not change it now."""
    locked = record_lock(record)
    refusal = record_change_refusal(locked, acting_user=acting_user)
    if refusal is not None:
        raise refusal
    return locked


def copy_back(source: models.Model, target: models.Model, fields: tuple[str, ...]) -> None:
    """Give the caller's instance the values just written on the locked copy."""
    for name in fields:
        setattr(target, name, getattr(source, name))
