"""Qualify one lead (the reference's flags or per-record decisions, with a duplicate policy),
bulk qualify (per-lead results, or 202 and a job above the background threshold), the job."""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from ninja import Router

from api.respond import json_answer, once
from api.schemas import (
    BulkJobOut,
    BulkQualifyIn,
    BulkQualifyOut,
    LeadResult,
    QualifyIn,
    QualifyOut,
    RecordChoice,
    RecordId,
    RecordRef,
)
from crm.errors import DomainError
from crm.selectors import owner_or_manager
from qualification import engine
from qualification.engine import BulkOptions, Choice, DuplicatePolicy, QualifyDecisions
from qualification.models import BulkJobStatus, BulkQualifyJob
from qualification.services.bulk_qualify import bulk_qualify_start
from qualification.tasks import BREAKDOWN

router = Router(tags=["Qualify"])

FLAGS_OR_DECISIONS = (
    "Send either the flags (create_account, create_contact, create_opportunity) or the "
    "per-record decisions (account, contact, opportunities), not both."
)
POLICIES = {
    "ask": DuplicatePolicy.ASK,
    "link": DuplicatePolicy.LINK_OR_REVIEW,
    "create": DuplicatePolicy.CREATE,
}


class QualifyInputError(DomainError):
    message = FLAGS_OR_DECISIONS


def _record(choice: RecordChoice | None) -> engine.RecordDecision | None:
    if choice is None:
        return None
    return engine.RecordDecision(
        choice=Choice(choice.action), existing_id=choice.id, values=dict(choice.values)
    )


def qualify_decisions(payload: QualifyIn) -> QualifyDecisions | BulkOptions | None:
    """The flags as the bulk dialog's boxes (a flag not sent is false), the per-record
    decisions as the side pane's, or None: the admin's settings decide."""
    flags = (payload.create_account, payload.create_contact, payload.create_opportunity)
    decided = (payload.account, payload.contact, payload.opportunities)
    if any(flag is not None for flag in flags):
        if any(item is not None for item in decided):
            raise QualifyInputError
        return BulkOptions(*(bool(flag) for flag in flags))
    if all(item is None for item in decided):
        return None
    return QualifyDecisions(
        account=_record(payload.account),
        contact=_record(payload.contact),
        opportunities=payload.opportunities,
    )


def _ref(record: Any, created: bool) -> RecordRef | None:
    return None if record is None else RecordRef(id=record.pk, name=str(record), created=created)


@router.post("/leads/{int:lead_id}/qualify", response={200: QualifyOut}, url_name="lead_qualify")
def lead_qualify(request: HttpRequest, lead_id: RecordId, payload: QualifyIn) -> HttpResponse:
    """Qualify the lead into an account, a contact and up to 5 opportunities (as many as the
    admin allows). `duplicates: ask` answers 409 with the matching records: send again with
    `account: {"action": "existing", "id": ...}` to link one, or `duplicates: create`."""

    def answer() -> HttpResponse:
        result = engine.lead_qualify(
            lead_id=lead_id,
            acting_user=request.auth,
            decisions=qualify_decisions(payload),
            policy=POLICIES[payload.duplicates],
        )
        body = QualifyOut(
            lead=result.lead,
            qualification_id=result.qualification.pk,
            account=_ref(result.account, result.account_created),
            contact=_ref(result.contact, result.contact_created),
            opportunity_ids=[opportunity.pk for opportunity in result.opportunities],
        )
        return json_answer(200, QualifyOut, body)

    return once(request, answer)


def _bulk_out(outcome: Any, results: list[LeadResult]) -> BulkQualifyOut:
    return BulkQualifyOut(
        qualified=outcome.qualified_count,
        failed=len(outcome.failures),
        needs_review=len(outcome.needs_review),
        results=results,
        **{name: getattr(outcome, name) for name in BREAKDOWN},
    )


def _issue_results(outcome: Any) -> list[LeadResult]:
    def rows(issues: Any, status: str) -> list[LeadResult]:
        return [
            LeadResult(lead_id=issue["lead_id"], status=status, reason=issue["reason"])
            for issue in ({**i} if isinstance(i, dict) else i._asdict() for i in issues)
        ]

    return rows(outcome.failures, "failed") + rows(outcome.needs_review, "needs_review")


def job_out(job: BulkQualifyJob) -> BulkJobOut:
    finished = job.status == BulkJobStatus.DONE
    return BulkJobOut(
        id=job.pk,
        status=job.status,
        url=reverse("api:bulk_job_get", args=[job.pk]),
        total=job.total,
        processed=job.processed,
        result=_bulk_out(job, _issue_results(job)) if finished else None,
    )


@router.post(
    "/leads/qualify", response={200: BulkQualifyOut, 202: BulkJobOut}, url_name="bulk_qualify"
)
def bulk_qualify(request: HttpRequest, payload: BulkQualifyIn) -> HttpResponse:
    """Qualify many leads with the bulk dialog's boxes; each lead succeeds or fails on its own
    (`results` lists every lead). Above the background threshold: 202 and the job's URL."""

    def answer() -> HttpResponse:
        options = BulkOptions(
            payload.create_account, payload.create_contact, payload.create_opportunity
        )
        ids = list(dict.fromkeys(payload.lead_ids))
        start = bulk_qualify_start(lead_ids=ids, acting_user=request.auth, options=options)
        if start.job is not None:
            body = job_out(start.job)
            return json_answer(202, BulkJobOut, body, location=body.url)
        outcome = start.outcome
        qualified = set(outcome.qualified_ids)
        results = [
            LeadResult(lead_id=lead_id, status="qualified", reason="")
            for lead_id in ids
            if lead_id in qualified
        ] + _issue_results(outcome)
        order = {lead_id: position for position, lead_id in enumerate(ids)}
        results.sort(key=lambda row: order.get(row.lead_id, len(order)))
        return json_answer(200, BulkQualifyOut, _bulk_out(outcome, results))

    return once(request, answer)


@router.get("/jobs/{int:job_id}", response=BulkJobOut, url_name="bulk_job_get")
def bulk_job_get(request: HttpRequest, job_id: RecordId) -> BulkJobOut:
    """A bulk qualify job: progress while it runs, the result when done (`results` then lists
    the leads not qualified)."""
    job = get_object_or_404(BulkQualifyJob, pk=job_id)
    if not owner_or_manager(user=request.auth, owner_id=job.created_by_id):
        raise Http404
    return job_out(job)
