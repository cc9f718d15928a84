"""Business rules for leads: create and edit, the Qualify stage's steps, disqualify,
reactivate and delete (one lead or many).

Every write locks the lead row first and re-checks its state inside the transaction: two
people (or two tabs) acting on one lead at once must not both succeed, e.g. a disqualify racing
a qualify, or an edit saved over a lead that was qualified a moment ago.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from crm.models import TimelineEntryKind
from crm.services.timeline import (
    timeline_delete_for,
    timeline_entries_bulk_add,
    timeline_event_add,
)
from leads.models import DISQUALIFY_REASONS, Lead, LeadState, LeadStatus
from leads.selectors import (
    lead_can_change,
    lead_can_delete,
    lead_has_opportunity,
    lead_ids_with_opportunity,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

LEAD_CLOSED = "This lead is closed. Reactivate it before you qualify or disqualify it."
LEAD_CLOSED_READ_ONLY = "This lead is closed. Reactivate it to make changes."
LEAD_HAS_OPPORTUNITY = "This lead has an associated opportunity and can't be disqualified."
LEAD_NOT_CLOSED = "This lead is open: only qualified or disqualified leads can be reactivated."
LEAD_NOT_YOURS = "You can only change leads you own."
LEAD_DELETE_NOT_ALLOWED = "You can only delete leads you own."
LEAD_GONE = "This lead no longer exists."
DISQUALIFY_REASON_INVALID = (
    "Choose a status reason: Lost, Cannot Contact, No Longer Interested or Canceled."
)

# Fields of the main lead form (SPEC §1, without the Qualify stage and the state).
LEAD_FORM_FIELDS = (
    "topic",
    "first_name",
    "last_name",
    "job_title",
    "business_phone",
    "mobile_phone",
    "email",
    "company_name",
    "website",
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
    "industry",
    "description",
    "lead_source",
    "rating",
    "need",
)
# The Qualify stage's steps on the process bar.
QUALIFY_STAGE_FIELDS = (
    "existing_contact",
    "existing_account",
    "purchase_timeframe",
    "budget_amount",
    "purchase_process",
    "decision_maker",
    "qualification_comments",
)
# The links a reactivation clears, read for the timeline event.
REACTIVATE_RELATED = ("parent_account", "parent_contact", "qualifying_opportunity")
# Bulk commands lock and write this many leads per transaction.
BULK_CHUNK_SIZE = 500


class LeadError(Exception):
    """A domain error the screens show as it is (`error.message`)."""

    message: str = "The lead could not be changed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)


class LeadClosedError(LeadError):
    message = LEAD_CLOSED


class LeadReadOnlyError(LeadError):
    message = LEAD_CLOSED_READ_ONLY


class LeadHasOpportunityError(LeadError):
    message = LEAD_HAS_OPPORTUNITY


class LeadNotClosedError(LeadError):
    message = LEAD_NOT_CLOSED


class LeadPermissionError(LeadError):
    message = LEAD_NOT_YOURS


class LeadDeleteNotAllowedError(LeadPermissionError):
    message = LEAD_DELETE_NOT_ALLOWED


class LeadGoneError(LeadError):
    message = LEAD_GONE


class DisqualifyReasonError(LeadError):
    message = DISQUALIFY_REASON_INVALID


@dataclass
class BulkFailure:
    lead_id: int
    label: str
    reason: str


@dataclass
class BulkOutcome:
    """What a bulk command did: each lead succeeds or fails on its own."""

    done: list[int] = field(default_factory=list)
    failures: list[BulkFailure] = field(default_factory=list)

    @property
    def done_count(self) -> int:
        return len(self.done)

    @property
    def failed_count(self) -> int:
        return len(self.failures)


def _lock(lead_id: int, *related: str) -> Lead:
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins
    # that select_related adds; only the lead row needs the lock.
    leads = Lead.objects.select_for_update(of=("self",))
    if related:
        leads = leads.select_related(*related)
    try:
        return leads.get(pk=lead_id)
    except Lead.DoesNotExist:
        raise LeadGoneError from None


def _write_fields(lead: Lead, data: Mapping[str, Any], allowed: Iterable[str]) -> list[str]:
    names = [name for name in allowed if name in data]
    for name in names:
        setattr(lead, name, data[name])
    lead.full_clean(exclude=[f.name for f in Lead._meta.fields if f.name not in names])
    return names


def lead_create(
    *, acting_user: AbstractBaseUser, data: Mapping[str, Any], owner: Any = None
) -> Lead:
    """A new open lead owned by `owner` (the acting user by default).

    Raises django's ValidationError for bad values (forms check them first).
    """
    lead = Lead(owner=owner or acting_user, state=LeadState.OPEN, status_reason=LeadStatus.NEW)
    for name in LEAD_FORM_FIELDS + QUALIFY_STAGE_FIELDS:
        if name in data:
            setattr(lead, name, data[name])
    lead.full_clean()
    lead.save()
    return lead


def _lead_update_fields(
    *, lead: Lead, acting_user: AbstractBaseUser, data: Mapping[str, Any], allowed: Iterable[str]
) -> Lead:
    with transaction.atomic():
        # Locked and re-read: a qualify or disqualify committed since the form was opened
        # makes the lead read-only, and this save must not write over it.
        locked = _lock(lead.pk)
        if not lead_can_change(acting_user, locked):
            raise LeadPermissionError
        if locked.is_closed:
            raise LeadReadOnlyError
        names = _write_fields(locked, data, allowed)
        locked.save(update_fields=[*names, "updated_at"])
    return locked


def lead_update(*, lead: Lead, acting_user: AbstractBaseUser, data: Mapping[str, Any]) -> Lead:
    """Save the main form's fields; refused for closed leads (LEAD_CLOSED_READ_ONLY)."""
    return _lead_update_fields(
        lead=lead, acting_user=acting_user, data=data, allowed=LEAD_FORM_FIELDS
    )


def lead_qualify_stage_update(
    *, lead: Lead, acting_user: AbstractBaseUser, data: Mapping[str, Any]
) -> Lead:
    """Save the Qualify stage's steps from the process bar's flyout; open leads only."""
    return _lead_update_fields(
        lead=lead, acting_user=acting_user, data=data, allowed=QUALIFY_STAGE_FIELDS
    )


def _check_reason(reason: str) -> str:
    if reason not in DISQUALIFY_REASONS:
        raise DisqualifyReasonError
    return reason


def _disqualify_refusal(
    lead: Lead, *, acting_user: AbstractBaseUser, has_opportunity: bool
) -> LeadError | None:
    if not lead_can_change(acting_user, lead):
        return LeadPermissionError()
    if lead.is_closed:
        return LeadClosedError()
    if has_opportunity:
        return LeadHasOpportunityError()
    return None


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
        locked = _lock(lead.pk)
        refusal = _disqualify_refusal(
            locked, acting_user=acting_user, has_opportunity=lead_has_opportunity(lead=locked)
        )
        if refusal is not None:
            raise refusal
        locked.state = LeadState.DISQUALIFIED
        locked.status_reason = reason
        locked.save(update_fields=["state", "status_reason", "updated_at"])
        timeline_event_add(record=locked, author=acting_user, title=_disqualified_title(reason))
    return locked


def _reactivate_refusal(lead: Lead, *, acting_user: AbstractBaseUser) -> LeadError | None:
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
    lead.save(
        update_fields=[
            "state",
            "status_reason",
            "parent_account",
            "parent_contact",
            "qualifying_opportunity",
            "updated_at",
        ]
    )
    timeline_event_add(record=lead, author=acting_user, title="Lead reactivated", body=body)


def lead_reactivate(*, lead: Lead, acting_user: AbstractBaseUser) -> Lead:
    """Back to Open / New with the process on Qualify; notes and attachments stay."""
    with transaction.atomic():
        # Locked and re-checked: two reactivations at once must write one event, not two.
        locked = _lock(lead.pk, *REACTIVATE_RELATED)
        refusal = _reactivate_refusal(locked, acting_user=acting_user)
        if refusal is not None:
            raise refusal
        _reactivate_locked(locked, acting_user=acting_user)
    return locked


def lead_delete(*, lead: Lead, acting_user: AbstractBaseUser) -> None:
    """Delete the lead with its timeline; attachment files go once the deletion commits."""
    with transaction.atomic():
        # Locked so that a note added at the same moment cannot outlive its lead.
        locked = _lock(lead.pk)
        if not lead_can_delete(acting_user, locked):
            raise LeadDeleteNotAllowedError
        timeline_delete_for(record=locked)
        locked.delete()


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), BULK_CHUNK_SIZE):
        yield ids[start : start + BULK_CHUNK_SIZE]


def _lock_many(lead_ids: list[int], *related: str) -> dict[int, Lead]:
    leads = Lead.objects.select_for_update(of=("self",)).filter(pk__in=lead_ids)
    if related:
        leads = leads.select_related(*related)
    return {lead.pk: lead for lead in leads.order_by("pk")}


def _gone(outcome: BulkOutcome, lead_ids: list[int], found: dict[int, Lead]) -> None:
    for lead_id in lead_ids:
        if lead_id not in found:
            outcome.failures.append(BulkFailure(lead_id, f"Lead #{lead_id}", LEAD_GONE))


def leads_disqualify(
    *, lead_ids: list[int], reason: str, acting_user: AbstractBaseUser
) -> BulkOutcome:
    """Disqualify many leads with one status reason; each lead succeeds or fails on its own
    (closed, with an opportunity, not the user's) and the outcome lists every failure."""
    _check_reason(reason)
    outcome = BulkOutcome()
    for chunk in _chunks(list(dict.fromkeys(lead_ids))):
        with transaction.atomic():
            # Locked and re-checked as in lead_disqualify, for the whole chunk at once.
            leads = _lock_many(chunk)
            _gone(outcome, chunk, leads)
            with_opportunity = lead_ids_with_opportunity(lead_ids=list(leads))
            eligible = []
            for lead in leads.values():
                refusal = _disqualify_refusal(
                    lead, acting_user=acting_user, has_opportunity=lead.pk in with_opportunity
                )
                if refusal is None:
                    eligible.append(lead)
                else:
                    outcome.failures.append(BulkFailure(lead.pk, str(lead), refusal.message))
            Lead.objects.filter(pk__in=[lead.pk for lead in eligible]).update(
                state=LeadState.DISQUALIFIED, status_reason=reason, updated_at=timezone.now()
            )
            title = _disqualified_title(reason)
            timeline_entries_bulk_add(
                entries=[
                    (lead, acting_user, TimelineEntryKind.SYSTEM, title, "") for lead in eligible
                ]
            )
            outcome.done += [lead.pk for lead in eligible]
    return outcome


def leads_reactivate(*, lead_ids: list[int], acting_user: AbstractBaseUser) -> BulkOutcome:
    """Reactivate many closed leads; open ones and other people's are reported, not changed."""
    outcome = BulkOutcome()
    for chunk in _chunks(list(dict.fromkeys(lead_ids))):
        with transaction.atomic():
            # Locked and re-checked as in lead_reactivate, for the whole chunk at once.
            leads = _lock_many(chunk, *REACTIVATE_RELATED)
            _gone(outcome, chunk, leads)
            for lead in leads.values():
                refusal = _reactivate_refusal(lead, acting_user=acting_user)
                if refusal is None:
                    _reactivate_locked(lead, acting_user=acting_user)
                    outcome.done.append(lead.pk)
                else:
                    outcome.failures.append(BulkFailure(lead.pk, str(lead), refusal.message))
    return outcome


def leads_delete(*, lead_ids: list[int], acting_user: AbstractBaseUser) -> BulkOutcome:
    """Delete many leads with their timelines; those the user may not delete are reported."""
    outcome = BulkOutcome()
    for chunk in _chunks(list(dict.fromkeys(lead_ids))):
        with transaction.atomic():
            # Locked as in lead_delete.
            leads = _lock_many(chunk)
            _gone(outcome, chunk, leads)
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
