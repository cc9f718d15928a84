"""Reactivate closed leads: back to Open / New with the process on Qualify."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from crm.services.timeline import timeline_event_add
from leads.models import Lead, LeadState, LeadStatus
from leads.selectors import lead_can_change
from leads.services.errors import LeadError, LeadNotClosedError, LeadPermissionError
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

# The links a reactivation clears, read for the timeline event.
REACTIVATE_RELATED = ("parent_account", "parent_contact", "qualifying_opportunity")


def _refusal(lead: Lead, *, acting_user: AbstractBaseUser) -> LeadError | None:
    if not lead_can_change(acting_user, lead):
        return LeadPermissionError()
    if lead.is_open:
        return LeadNotClosedError()
    return None


def _reactivated_event_body(lead: Lead) -> str:
    lines = [f"Was {lead.get_state_display()}: {lead.get_status_reason_display()}."]
    links = [
        ("Parent account", lead.parent_account),
        ("Parent contact", lead.parent_contact),
        ("Qualifying opportunity", lead.qualifying_opportunity),
    ]
    lines += [f"{label}: {record} (#{record.pk})" for label, record in links if record]
    return "\n".join(lines)


def _reactivate_locked(lead: Lead, *, acting_user: AbstractBaseUser) -> None:
    body = _reactivated_event_body(lead)
    lead.state = LeadState.OPEN
    lead.status_reason = LeadStatus.NEW
    # The links go (their history is in the event body) so that the lead can be qualified
    # again; the records themselves and their Originating Lead stay.
    lead.parent_account = None
    lead.parent_contact = None
    lead.qualifying_opportunity = None
    lead.closed_at = None
    lead.save(
        update_fields=[
            "state",
            "status_reason",
            "parent_account",
            "parent_contact",
            "qualifying_opportunity",
            "closed_at",
            "updated_at",
        ]
    )
    timeline_event_add(record=lead, author=acting_user, title="Lead reactivated", body=body)


def lead_reactivate(*, lead: Lead, acting_user: AbstractBaseUser) -> Lead:
    """Back to Open / New with the process on Qualify; notes and attachments stay."""
    with transaction.atomic():
        # Locked and re-checked: two reactivations at once must write one event, not two.
        locked = lead_lock(lead.pk, *REACTIVATE_RELATED)
        refusal = _refusal(locked, acting_user=acting_user)
        if refusal is not None:
            raise refusal
        _reactivate_locked(locked, acting_user=acting_user)
    return locked


def leads_reactivate(*, lead_ids: list[int], acting_user: AbstractBaseUser) -> BulkOutcome:
    """Reactivate many closed leads; open ones and other people's are reported, not changed."""
    outcome = BulkOutcome()
    for chunk in id_chunks(lead_ids):
        with transaction.atomic():
            # Locked and re-checked as in lead_reactivate, for the whole chunk at once.
            leads = leads_lock(chunk, *REACTIVATE_RELATED)
            outcome_add_gone(outcome, chunk, leads)
            for lead in leads.values():
                refusal = _refusal(lead, acting_user=acting_user)
                if refusal is None:
                    _reactivate_locked(lead, acting_user=acting_user)
                    outcome.done.append(lead.pk)
                else:
                    outcome.failures.append(BulkFailure(lead.pk, str(lead), refusal.message))
    return outcome
