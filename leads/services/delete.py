"""Delete leads permanently, with their notes and attachment files."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from crm.services.timeline import timeline_delete_for
from leads.models import Lead
from leads.selectors import lead_can_delete
from leads.services.errors import (
    LEAD_DELETE_NOT_ALLOWED,
    LeadAlreadyDeletedError,
    LeadDeleteNotAllowedError,
    LeadGoneError,
)
from leads.services.locking import (
    BulkFailure,
    BulkOutcome,
    id_chunks,
    lead_lock,
    leads_lock,
    outcome_add_gone,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser


def lead_delete(*, lead: Lead, acting_user: AbstractBaseUser) -> None:
    """Delete the lead with its timeline; attachment files go once the deletion commits.

    Raises LeadAlreadyDeletedError when another delete got there first.
    """
    with transaction.atomic():
        # Locked so that a note added at the same moment cannot outlive its lead, and so that
        # of two deletes at once the second waits and then finds the lead gone.
        try:
            locked = lead_lock(lead.pk)
        except LeadGoneError:
            raise LeadAlreadyDeletedError from None
        if not lead_can_delete(acting_user, locked):
            raise LeadDeleteNotAllowedError
        timeline_delete_for(record=locked)
        locked.delete()


def leads_delete(*, lead_ids: list[int], acting_user: AbstractBaseUser) -> BulkOutcome:
    """Delete many leads with their timelines; those the user may not delete are reported."""
    outcome = BulkOutcome()
    for chunk in id_chunks(lead_ids):
        with transaction.atomic():
            # Locked as in lead_delete.
            leads = leads_lock(chunk)
            outcome_add_gone(outcome, chunk, leads)
            for lead in leads.values():
                if not lead_can_delete(acting_user, lead):
                    outcome.failures.append(
                        BulkFailure(lead.pk, str(lead), LEAD_DELETE_NOT_ALLOWED)
                    )
                    continue
                lead_id = lead.pk  # delete() clears it
                timeline_delete_for(record=lead)
                lead.delete()
                outcome.done.append(lead_id)
    return outcome
