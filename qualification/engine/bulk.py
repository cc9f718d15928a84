"""The one set-based path: qualify N leads inside the caller's transaction (lock, decide,
match, write), and bulk qualify on top of it, one transaction per chunk.

Per batch: lock the leads in one query, ordered by id (two overlapping batches take their row
locks in the same order, so they queue instead of deadlocking); decide each lead without a
query; resolve existing records and duplicates for the whole batch (`match`); write with one
INSERT per table and one UPDATE for the leads. Every lead succeeds or fails on its own: a lead
that fails writes nothing, and a lead's records are created together or not at all. The number
of queries per batch does not depend on the number of leads in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import transaction

from leads.models import Lead
from leads.services import locking
from qualification.engine.decide import BulkOptions, LeadDecision, QualifyDecisions, lead_decide
from qualification.engine.errors import LeadGoneError, NeedsReviewError, QualifyValidationError
from qualification.engine.match import DuplicatePolicy, records_match
from qualification.engine.plan import QualifyConfig
from qualification.engine.write import QualifyResult, leads_write

# Leads per transaction: big enough that the fixed cost of a chunk's queries is spread thin,
# small enough that row locks are held briefly and every statement stays far below the
# databases' bind-parameter limits.
BULK_QUALIFY_CHUNK_SIZE = 500
_RELATED = ("existing_account", "existing_contact")


@dataclass(frozen=True)
class QualifyRequest:
    """One lead to qualify: the salesperson's decisions, or the bulk dialog's boxes."""

    lead_id: int
    decisions: QualifyDecisions | BulkOptions
    summary: str = ""


@dataclass
class LeadOutcome:
    decision: LeadDecision
    result: QualifyResult | None = None

    @property
    def error(self) -> Any:
        return self.decision.error


def leads_decide(
    *,
    requests: Sequence[QualifyRequest],
    acting_user: Any,
    config: QualifyConfig,
    policy: DuplicatePolicy,
    lock: bool,
) -> list[LeadDecision]:
    """Decide every lead without writing. `lock` (inside the writing transaction) locks the
    leads, the new records' match keys and the records to link, which makes this the check
    that decides; without it, it is early feedback only."""
    ids = [request.lead_id for request in requests]
    if lock:
        leads = locking.leads_lock(ids, *_RELATED)
    else:
        leads = {
            lead.pk: lead for lead in Lead.objects.select_related(*_RELATED).filter(pk__in=ids)
        }
    decisions = []
    for request in requests:
        decision = LeadDecision(lead_id=request.lead_id, lead=leads.get(request.lead_id))
        decision.summary = request.summary
        if decision.lead is None:
            decision.error = LeadGoneError()
        else:
            lead_decide(
                decision=decision,
                decisions=request.decisions,
                config=config,
                acting_user=acting_user,
            )
        decisions.append(decision)
    records_match(decisions=decisions, config=config, policy=policy, lock=lock)
    return decisions


def leads_qualify(
    *,
    requests: Sequence[QualifyRequest],
    acting_user: Any,
    config: QualifyConfig,
    policy: DuplicatePolicy,
    bulk: bool,
    bulk_job_id: int | None = None,
) -> list[LeadOutcome]:
    """Qualify every lead that can be, inside the caller's transaction; one outcome per
    request, in order. `bulk_job_id`: the background job whose chunk this is (its records
    name it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("leads_qualify must run inside transaction.atomic().")
    decisions = leads_decide(
        requests=requests, acting_user=acting_user, config=config, policy=policy, lock=True
    )
    ready = [decision for decision in decisions if decision.error is None]
    results = iter(
        leads_write(decisions=ready, acting_user=acting_user, bulk=bulk, bulk_job_id=bulk_job_id)
        if ready
        else []
    )
    return [
        LeadOutcome(decision, next(results) if decision.error is None else None)
        for decision in decisions
    ]


class LeadIssue(NamedTuple):
    """A lead that was not qualified, with the reason the result page shows."""

    lead_id: int
    label: str
    reason: str


@dataclass
class BulkQualifyOutcome:
    qualified_ids: list[int] = field(default_factory=list)
    # The qualification records written, in the order of `qualified_ids`.
    qualification_ids: list[int] = field(default_factory=list)
    failures: list[LeadIssue] = field(default_factory=list)
    # Left open: several existing records match, the salesperson picks one on the lead.
    needs_review: list[LeadIssue] = field(default_factory=list)
    accounts_created: int = 0
    accounts_linked: int = 0
    contacts_created: int = 0
    contacts_linked: int = 0
    opportunities_created: int = 0

    @property
    def qualified_count(self) -> int:
        return len(self.qualified_ids)

    def add(self, other: BulkQualifyOutcome) -> None:
        self.qualified_ids += other.qualified_ids
        self.qualification_ids += other.qualification_ids
        self.failures += other.failures
        self.needs_review += other.needs_review
        self.accounts_created += other.accounts_created
        self.accounts_linked += other.accounts_linked
        self.contacts_created += other.contacts_created
        self.contacts_linked += other.contacts_linked
        self.opportunities_created += other.opportunities_created

    def count(self, outcome: LeadOutcome) -> None:
        decision, result = outcome.decision, outcome.result
        if result is None:
            error = decision.error
            reason = error.reason if isinstance(error, QualifyValidationError) else error.message
            issues = self.needs_review if isinstance(error, NeedsReviewError) else self.failures
            issues.append(LeadIssue(decision.lead_id, decision.label, reason))
            return
        self.qualified_ids.append(decision.lead_id)
        self.qualification_ids.append(result.qualification_id)
        # Counted once per record: a record shared by leads of the chunk is created once.
        self.accounts_created += result.account_created
        self.accounts_linked += result.account is not None and not result.account_created
        self.contacts_created += result.contact_created
        self.contacts_linked += result.contact is not None and not result.contact_created
        self.opportunities_created += len(result.opportunities)


def leads_chunk_qualify(
    *,
    lead_ids: Sequence[int],
    acting_user: Any,
    options: BulkOptions,
    config: QualifyConfig,
    bulk_job_id: int | None = None,
) -> BulkQualifyOutcome:
    """Qualify one chunk inside the caller's transaction. The background task calls this in
    the same transaction that advances its job (`bulk_job_id`, which the qualification
    records name, so that the job's page can undo the whole job), so a chunk's writes and the
    job's progress commit together or not at all."""
    outcome = BulkQualifyOutcome()
    requests = [QualifyRequest(lead_id=lead_id, decisions=options) for lead_id in lead_ids]
    for lead_outcome in leads_qualify(
        requests=requests,
        acting_user=acting_user,
        config=config,
        policy=DuplicatePolicy.LINK_OR_REVIEW,
        bulk=True,
        bulk_job_id=bulk_job_id,
    ):
        outcome.count(lead_outcome)
    return outcome


def leads_bulk_qualify(
    *,
    lead_ids: Sequence[int],
    acting_user: Any,
    options: BulkOptions,
    config: QualifyConfig | None = None,
) -> BulkQualifyOutcome:
    """Qualify the leads, creating the chosen record types for each; one transaction per chunk.

    Leads that cannot be qualified are listed in `failures` (closed, not the user's, a bad
    value) or `needs_review` (several existing records match) and left unchanged.
    """
    config = config or QualifyConfig.load()
    ids = list(dict.fromkeys(lead_ids))
    outcome = BulkQualifyOutcome()
    for start in range(0, len(ids), BULK_QUALIFY_CHUNK_SIZE):
        with transaction.atomic():
            outcome.add(
                leads_chunk_qualify(
                    lead_ids=ids[start : start + BULK_QUALIFY_CHUNK_SIZE],
                    acting_user=acting_user,
                    options=options,
                    config=config,
                )
            )
    return outcome
