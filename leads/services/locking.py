"""Row locks shared by every lead write, and the outcome of a command run on many leads.

Every write locks the lead row first and re-checks its state inside the transaction: two
people (or two tabs) acting on one lead at once must not both succeed, e.g. a disqualify racing
a qualify, or an edit saved over a lead that was qualified a moment ago. Many leads are locked
in one query, ordered by id, so two overlapping bulk commands queue instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from leads.models import Lead
from leads.services.errors import LEAD_GONE, LeadGoneError

# Bulk commands lock and write this many leads per transaction.
BULK_CHUNK_SIZE = 500


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


def lead_lock(lead_id: int, *related: str) -> Lead:
    """The lead, locked until the transaction ends (LeadGoneError when it was deleted)."""
    # of=("self",): PostgreSQL refuses FOR UPDATE on the nullable side of the outer joins
    # that select_related adds; only the lead row needs the lock.
    leads = Lead.objects.select_for_update(of=("self",))
    if related:
        leads = leads.select_related(*related)
    try:
        return leads.get(pk=lead_id)
    except Lead.DoesNotExist:
        raise LeadGoneError from None


def leads_lock(lead_ids: list[int], *related: str) -> dict[int, Lead]:
    """The leads that still exist, locked in id order, by id."""
    leads = Lead.objects.select_for_update(of=("self",)).filter(pk__in=lead_ids)
    if related:
        leads = leads.select_related(*related)
    return {lead.pk: lead for lead in leads.order_by("pk")}


def id_chunks(ids: list[int]) -> Iterable[list[int]]:
    """The ids (each once, in the order given) in chunks of BULK_CHUNK_SIZE."""
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), BULK_CHUNK_SIZE):
        yield unique[start : start + BULK_CHUNK_SIZE]


def outcome_add_gone(outcome: BulkOutcome, lead_ids: list[int], found: dict[int, Lead]) -> None:
    """Report every id of the chunk whose lead no longer exists."""
    for lead_id in lead_ids:
        if lead_id not in found:
            outcome.failures.append(BulkFailure(lead_id, f"Lead #{lead_id}", LEAD_GONE))
