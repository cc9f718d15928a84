"""Disqualify one lead or many with a status reason (Lost, Cannot Contact, ...)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from crm.models import TimelineEntryKind
from crm.services.timeline import timeline_entries_bulk_add, timeline_event_add
from leads.models import DISQUALIFY_REASONS, Lead, LeadState, LeadStatus
from leads.selectors import lead_can_change, lead_has_opportunity, lead_ids_with_opportunity
from leads.services.errors import (
    DisqualifyReasonError,
    LeadClosedError,
    LeadError,
    LeadHasOpportunityError,
    LeadPermissionError,
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
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def _check_reason(reason: str) -> str:
    if reason not in DISQUALIFY_REASONS:
        raise DisqualifyReasonError
    return reason


def _refusal(
    lead: Lead, *, acting_user: AbstractBaseUser | AnonymousUser, has_opportunity: bool
) -> LeadError | None:
    if not lead_can_change(acting_user, lead):
        return LeadPermissionError()
    if lead.is_closed:
        return LeadClosedError()
    if has_opportunity:
        return LeadHasOpportunityError()
    return None


def lead_disqualify_refusal(
    *, lead: Lead, acting_user: AbstractBaseUser | AnonymousUser
) -> LeadError | None:
    """Why `lead_disqualify` would refuse this lead now (None: it would not), so that a dialog
    can say it before the user picks a reason. The disqualify itself checks again, locked."""
    return _refusal(lead, acting_user=acting_user, has_opportunity=lead_has_opportunity(lead=lead))


def _disqualified_title(reason: str) -> str:
    return f"Lead disqualified: {LeadStatus(reason).label}"


def lead_disqualify(*, lead: Lead, reason: str, acting_user: AbstractBaseUser) -> Lead:
    """Close the lead as Disqualified with a status reason (Lost, Cannot Contact, ...).

    Refused for a closed lead (LEAD_CLOSED) and for a lead with an associated opportunity
    (LEAD_HAS_OPPORTUNITY). Notes and attachments stay.
    """
    _check_reason(reason)
    with transaction.atomic():
        # Locked and re-checked: a qualify committed since the page was shown must win over
        # this disqualify, not be overwritten by it.
        locked = lead_lock(lead.pk)
        refusal = lead_disqualify_refusal(lead=locked, acting_user=acting_user)
        if refusal is not None:
            raise refusal
        locked.state = LeadState.DISQUALIFIED
        locked.status_reason = reason
        locked.closed_at = timezone.now()
        locked.save(update_fields=["state", "status_reason", "closed_at", "updated_at"])
        timeline_event_add(record=locked, author=acting_user, title=_disqualified_title(reason))
    return locked


def leads_disqualify(
    *, lead_ids: list[int], reason: str, acting_user: AbstractBaseUser
) -> BulkOutcome:
    """Disqualify many leads with one status reason; each lead succeeds or fails on its own
    (closed, with an opportunity, not the user's) and the outcome lists every failure."""
    _check_reason(reason)
    outcome = BulkOutcome()
    for chunk in id_chunks(lead_ids):
        with transaction.atomic():
            # Locked and re-checked as in lead_disqualify, for the whole chunk at once.
            leads = leads_lock(chunk)
            outcome_add_gone(outcome, chunk, leads)
            with_opportunity = lead_ids_with_opportunity(lead_ids=list(leads))
            eligible = []
            for lead in leads.values():
                refusal = _refusal(
                    lead, acting_user=acting_user, has_opportunity=lead.pk in with_opportunity
                )
                if refusal is None:
                    eligible.append(lead)
                else:
                    outcome.failures.append(BulkFailure(lead.pk, str(lead), refusal.message))
            now = timezone.now()
            Lead.objects.filter(pk__in=[lead.pk for lead in eligible]).update(
                state=LeadState.DISQUALIFIED, status_reason=reason, closed_at=now, updated_at=now
            )
            title = _disqualified_title(reason)
            timeline_entries_bulk_add(
                entries=[
                    (lead, acting_user, TimelineEntryKind.SYSTEM, title, "") for lead in eligible
                ]
            )
            outcome.done += [lead.pk for lead in eligible]
    return outcome
