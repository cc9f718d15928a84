"""Bulk qualify from the lead grid: the "Qualify leads" dialog, the result, background jobs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm.http import HtmxHttpRequest, navigate, render_dialog
from crm.selectors import owner_or_manager
from leads import selectors as lead_selectors
from leads.forms import LeadSelectionForm
from leads.services.errors import LEAD_GONE
from qualification.forms import BulkQualifyOptionsForm
from qualification.models import BulkJobStatus, BulkQualifyJob
from qualification.services.bulk_qualify import bulk_qualify_start
from qualification.tasks import (
    BREAKDOWN,
    BulkJobError,
    bulk_job_can_resume,
    bulk_qualify_job_resume,
)

TEMPLATE = "qualification/bulk_qualify.html"
JOB_TEMPLATE = "qualification/bulk_job_detail.html"
# The result lists this many leads per list; the rest are counted ("and 12 more").
ISSUES_SHOWN = 100


@require_POST
def bulk_qualify(request: HtmxHttpRequest) -> HttpResponse:
    """First POST (the grid's selection): the dialog, unless Legacy + automatic runs at once.
    Second POST (`confirm`): qualify here, or in the background above the threshold."""
    selection = LeadSelectionForm(request.POST)
    lead_ids = selected_ids(request, selection)
    if not lead_ids:
        return _dialog(request, "bulk-qualify-dialog", {"selection": selection, "count": 0})
    form = BulkQualifyOptionsForm(request.POST if "confirm" in request.POST else None)
    options = form.options() if form.is_bound and form.is_valid() else None
    start = bulk_qualify_start(lead_ids=lead_ids, acting_user=request.user, options=options)
    if start.ask:
        context = {"selection": selection, "options": form, "count": len(lead_ids)}
        return _dialog(request, "bulk-qualify-dialog", context)
    if start.job is not None:
        return navigate(request, reverse("qualification:bulk-job-detail", args=[start.job.pk]))
    context = {
        "selection": selection,
        **_result_context(start.outcome),
        "undo_fields": [("ids", pk) for pk in start.outcome.qualification_ids],
    }
    response = _dialog(request, "bulk-result-dialog", context)
    # The grid reloads itself; a closed lead no longer shows in My Open Leads.
    return trigger_client_event(response, "leadsChanged", {})


@require_http_methods(["GET", "POST"])
def bulk_job_detail(request: HtmxHttpRequest, job_pk: int) -> HttpResponse:
    """The job's page: progress while it runs, the result at the end. POST resumes a job that
    failed or lost its worker."""
    job = job_for_user(request, job_pk)
    error = ""
    if request.method == "POST":
        try:
            job = bulk_qualify_job_resume(job=job)
        except BulkJobError as exc:
            error = exc.message
        else:
            return navigate(request, reverse("qualification:bulk-job-detail", args=[job.pk]))
    return render(request, JOB_TEMPLATE, {**_job_context(job), "resume_error": error})


@require_GET
def bulk_job_progress(request: HtmxHttpRequest, job_pk: int) -> HttpResponse:
    """The progress fragment the job page polls every second until the job is finished."""
    job = job_for_user(request, job_pk)
    response = render(request, f"{JOB_TEMPLATE}#bulk-job-progress", _job_context(job))
    if job.status == BulkJobStatus.DONE:
        trigger_client_event(response, "leadsChanged", {})
    return response


def selected_ids(request: HtmxHttpRequest, selection: LeadSelectionForm) -> list[int]:
    if not selection.is_valid():
        return []
    return lead_selectors.lead_ids_for_selection(
        user=request.user,
        view=selection.cleaned_data["view"] or lead_selectors.DEFAULT_VIEW,
        query=selection.cleaned_data["q"],
        lead_ids=selection.cleaned_data["lead_ids"],
        select_all_matching=selection.cleaned_data["select_all_matching"],
    )


def _grid_url(selection: LeadSelectionForm) -> str:
    data = selection.cleaned_data if selection.is_valid() else {}
    query = {"view": data.get("view") or lead_selectors.DEFAULT_VIEW}
    if data.get("q"):
        query["q"] = data["q"]
    return f"{reverse('leads:lead-list')}?{urlencode(query)}"


def _dialog(request: HtmxHttpRequest, partial: str, context: dict[str, Any]) -> HttpResponse:
    selection = context["selection"]
    context = {
        **context,
        "page_title": "Qualify leads",
        "grid_url": _grid_url(selection),
        "selected_ids": selection.cleaned_data["lead_ids"] if selection.is_valid() else [],
        "threshold": settings.BULK_QUALIFY_BACKGROUND_THRESHOLD,
    }
    return render_dialog(request, TEMPLATE, partial, context)


def _issue_rows(issues: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Failures or review items for the page: label, reason, and a link while the lead exists."""
    return [
        {
            **issue,
            "url": (
                ""
                if issue["reason"] == LEAD_GONE
                else reverse("leads:lead-detail", args=[issue["lead_id"]])
            ),
        }
        for issue in issues
    ]


def _result_context(result: Any) -> dict[str, Any]:
    """The result of a bulk outcome or a job, in the order the page lists it: qualified (with
    what the leads became), needs review, failed."""
    failures = [_as_dict(issue) for issue in result.failures]
    needs_review = [_as_dict(issue) for issue in result.needs_review]
    return {
        "qualified": result.qualified_count,
        "breakdown": {name: getattr(result, name) for name in BREAKDOWN},
        "failures": _issue_rows(failures[:ISSUES_SHOWN]),
        "failures_hidden": max(0, len(failures) - ISSUES_SHOWN),
        "failure_count": len(failures),
        "needs_review": _issue_rows(needs_review[:ISSUES_SHOWN]),
        "needs_review_hidden": max(0, len(needs_review) - ISSUES_SHOWN),
        "needs_review_count": len(needs_review),
    }


def _as_dict(issue: Any) -> dict[str, Any]:
    return issue if isinstance(issue, dict) else issue._asdict()


def job_for_user(request: HtmxHttpRequest, job_pk: int) -> BulkQualifyJob:
    """The user's own job; a sales manager may follow anyone's."""
    job = get_object_or_404(BulkQualifyJob, pk=job_pk)
    if not owner_or_manager(user=request.user, owner_id=job.created_by_id):
        raise Http404
    return job


def _job_context(job: BulkQualifyJob) -> dict[str, Any]:
    finished = job.status in (BulkJobStatus.DONE, BulkJobStatus.FAILED)
    return {
        "page_title": "Bulk qualify",
        "job": job,
        "finished": finished,
        "can_resume": bulk_job_can_resume(job=job),
        **_result_context(job),
        # Undo the whole job once it is over (each of its leads whose records are untouched).
        "undo_fields": [("job", job.pk)] if finished and job.qualified_count else [],
    }
