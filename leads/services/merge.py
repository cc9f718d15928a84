"""Merge leads: duplicates of one person folded into a master lead.

One transaction, the leads locked first (in id order, as every lead write locks them): the
master takes the chosen value of each field, everything that points at the others (their notes
and attachments and the rest of their timeline, their originating-lead links and qualification
records; `crm.links` finds them) moves to the master the way an account merge moves them
(`crm.services.merge.pointing`), and the others are disqualified with the status reason
Duplicate or deleted. The master's timeline says who merged what, which values came from where
and what moved.

Refused, writing nothing: a qualified lead, a closed lead, a lead already merged (two merges of
the same leads at once: the second waits on the row locks, then finds the other lead merged or
gone), a lead the user may not change, and a delete of a lead the user may not delete.

The number of queries depends on the number of leads and the kinds of links, never on how many
notes move.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, OperationalError, models, transaction
from django.utils import timezone

from crm.errors import DomainError
from crm.models import TimelineEntryKind
from crm.selectors.merge import merge_stored_value
from crm.services.errors import MergeConflictError, MergeRecordGoneError, MergeSourceError
from crm.services.merge import merge_ids_check, records_merge_refusal
from crm.services.merge.pointing import lock_pointing_rows, repoint
from crm.services.merge.records import RETRYABLE_SQLSTATES
from crm.services.timeline import timeline_entries_bulk_add, timeline_event_add
from leads.duplicates.keys import KEY_FIELDS, lead_match_keys
from leads.models import Lead, LeadState, LeadStatus
from leads.selectors import lead_can_delete
from leads.services.edit import LEAD_FORM_FIELDS, QUALIFY_STAGE_FIELDS
from leads.services.errors import (
    LeadAlreadyMergedError,
    LeadMergeClosedError,
    LeadMergeDeleteNotAllowedError,
    LeadMergeOutcomeError,
    LeadMergeQualifiedError,
)
from leads.services.locking import leads_lock

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

RECORDS = "leads"
# The fields a merge decides one by one, in the lead form's order.
LEAD_MERGE_FIELDS: tuple[str, ...] = LEAD_FORM_FIELDS + QUALIFY_STAGE_FIELDS


def value_is_empty(value: Any) -> bool:
    """Nothing worth keeping: no value, blank text, or a box never ticked."""
    return value is None or value is False or (isinstance(value, str) and not value.strip())


def lead_merge_sources_default(*, leads: list[Lead], master_id: int) -> dict[str, int]:
    """Per field, the lead whose value the merge keeps unless told otherwise: the newest lead
    (by creation) that has a value; the master where none has."""
    newest_first = sorted(leads, key=lambda lead: (lead.created_at, lead.pk), reverse=True)
    sources = {}
    for name in LEAD_MERGE_FIELDS:
        source = next(
            (lead for lead in newest_first if not value_is_empty(merge_stored_value(lead, name))),
            None,
        )
        sources[name] = source.pk if source is not None else master_id
    return sources


class MergeOutcome(models.TextChoices):
    """What becomes of the leads merged into the master."""

    DISQUALIFY = "disqualify", "Disqualify them with the status reason Duplicate"
    DELETE = "delete", "Delete them"


@dataclass
class LeadMergeResult:
    master: Lead
    merged: list[str]  # "Jon Smith (Laptops) (#9)", in the order given
    outcome: MergeOutcome
    taken: list[str] = field(default_factory=list)  # "Email from Jon Smith (Laptops) (#9)"
    moved: list[tuple[str, int]] = field(default_factory=list)  # ("timeline entries", 3)
    dropped: list[str] = field(default_factory=list)


def lead_label(lead: Lead) -> str:
    return f"{lead} (#{lead.pk})"


def leads_merge_refusal(
    *,
    leads: list[Lead],
    acting_user: AbstractBaseUser | AnonymousUser,
    others: list[Lead] | None = None,
    outcome: str = MergeOutcome.DISQUALIFY,
) -> DomainError | None:
    """Why `leads_merge` would refuse these leads now (None: it would not), so that the page
    can say it before the user picks values. The merge checks again, locked."""
    refusal = records_merge_refusal(records=leads, acting_user=acting_user)
    if refusal is not None:
        return refusal
    for lead in leads:
        if lead.state == LeadState.QUALIFIED:
            return LeadMergeQualifiedError(name=lead_label(lead))
        if lead.status_reason == LeadStatus.DUPLICATE:
            return LeadAlreadyMergedError(name=lead_label(lead))
        if lead.is_closed:
            return LeadMergeClosedError(name=lead_label(lead))
    if outcome == MergeOutcome.DELETE:
        for lead in others or []:
            if not lead_can_delete(acting_user, lead):
                return LeadMergeDeleteNotAllowedError(name=lead_label(lead))
    return None


def leads_merge(
    *,
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    outcome: str,
    acting_user: AbstractBaseUser,
) -> LeadMergeResult:
    """Merge the leads `other_ids` into the lead `master_id`.

    `field_sources` names, per merge field (LEAD_MERGE_FIELDS), the lead whose value the
    master keeps; a field left out keeps the best value (non-empty, from the newest lead).
    `outcome` says whether the others are disqualified as duplicates or deleted.
    """
    merge_ids_check(model=Lead, master_id=master_id, other_ids=other_ids)
    if outcome not in MergeOutcome.values:
        raise LeadMergeOutcomeError
    unknown = sorted(set(field_sources) - set(LEAD_MERGE_FIELDS))
    if unknown:
        raise TypeError(f"Not merge fields of Lead: {', '.join(unknown)}.")
    try:
        with transaction.atomic():
            return _merge_locked(
                master_id, other_ids, field_sources, MergeOutcome(outcome), acting_user
            )
    except IntegrityError as error:
        # A lead's Existing Account or Contact taken by the master was deleted meanwhile (the
        # foreign key is checked at the commit): the whole merge rolled back.
        raise MergeConflictError(records=RECORDS) from error
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
            raise MergeConflictError(records=RECORDS) from error
        raise


def _merge_locked(
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    outcome: MergeOutcome,
    acting_user: AbstractBaseUser,
) -> LeadMergeResult:
    ids = [master_id, *other_ids]
    # Locked, then checked: of two merges of the same leads, the second waits here and then
    # finds the other lead merged (Duplicate) or deleted, and refuses.
    leads = leads_lock(ids)
    if len(leads) != len(ids):
        raise MergeRecordGoneError(records=RECORDS)
    master = leads[master_id]
    others = [leads[pk] for pk in other_ids]
    refusal = leads_merge_refusal(
        leads=[leads[pk] for pk in ids], acting_user=acting_user, others=others, outcome=outcome
    )
    if refusal is not None:
        raise refusal
    sources = _sources(list(leads.values()), master_id, field_sources)
    result = LeadMergeResult(master, [lead_label(lead) for lead in others], outcome)
    labels = {lead.pk: lead_label(lead) for lead in others}
    for rows in lock_pointing_rows(Lead, ids):
        moved, dropped = repoint(
            Lead, rows, master_id=master_id, other_ids=other_ids, labels=labels
        )
        result.moved += moved
        result.dropped += dropped
    result.taken = _master_write(master, leads, sources)
    timeline_event_add(
        record=master, author=acting_user, title=_event_title(others), body=_body(result)
    )
    _close_others(others, master, outcome, acting_user)
    return result


def _sources(leads: list[Lead], master_id: int, field_sources: dict[str, int]) -> dict[str, int]:
    ids = {lead.pk for lead in leads}
    sources = lead_merge_sources_default(leads=leads, master_id=master_id)
    for name, source in field_sources.items():
        if source not in ids:
            label = str(Lead._meta.get_field(name).verbose_name)
            raise MergeSourceError(records=RECORDS, field=label)
        sources[name] = source
    return sources


def _master_write(master: Lead, leads: dict[int, Lead], sources: dict[str, int]) -> list[str]:
    """Give the master the chosen values; return what it took from the others."""
    taken = []
    changed = []
    for name, source_id in sources.items():
        if source_id == master.pk:
            continue
        value = merge_stored_value(leads[source_id], name)
        if value == merge_stored_value(master, name):
            continue
        model_field = Lead._meta.get_field(name)
        setattr(master, model_field.attname, value)
        changed.append(model_field.attname)
        taken.append(f"{model_field.verbose_name} from {lead_label(leads[source_id])}")
    lead_match_keys(master)
    master.save(update_fields=[*changed, *KEY_FIELDS, "updated_at"])
    return taken


def _close_others(
    others: list[Lead], master: Lead, outcome: MergeOutcome, acting_user: AbstractBaseUser
) -> None:
    other_ids = [lead.pk for lead in others]
    if outcome == MergeOutcome.DELETE:
        # Their timelines moved to the master: nothing of theirs is left to delete with them.
        Lead._base_manager.filter(pk__in=other_ids).delete()
        return
    now = timezone.now()
    Lead._base_manager.filter(pk__in=other_ids).update(
        state=LeadState.DISQUALIFIED,
        status_reason=LeadStatus.DUPLICATE,
        closed_at=now,
        updated_at=now,
    )
    title = f"Lead disqualified: Duplicate (merged into {lead_label(master)})"
    timeline_entries_bulk_add(
        entries=[(lead, acting_user, TimelineEntryKind.SYSTEM, title, "") for lead in others]
    )


def _event_title(others: list[Lead]) -> str:
    noun = "lead" if len(others) == 1 else "leads"
    return f"Merged {len(others)} {noun} into this one"


def _body(result: LeadMergeResult) -> str:
    lines = [f"Merged: {', '.join(result.merged)}."]
    if result.taken:
        lines.append(f"Values taken: {'; '.join(result.taken)}.")
    if result.moved:
        lines.append(
            "Moved here: " + ", ".join(f"{count} {label}" for label, count in result.moved) + "."
        )
    lines += [f"Dropped: {line}." for line in result.dropped]
    if result.outcome == MergeOutcome.DELETE:
        lines.append("The other leads were deleted.")
    else:
        lines.append("The other leads were disqualified with the status reason Duplicate.")
    return "\n".join(lines)
