"""Bulk qualify from the lead grid: the "Qualify leads" dialog, the result, background jobs."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.conf import settings
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm.http import HtmxHttpRequest
from leads import selectors as lead_selectors
from leads.forms import LeadSelectionForm
from qualification.bulk import LEAD_GONE, BulkQualifyOutcome, leads_bulk_qualify
from qualification.models import BulkJobStatus, BulkQualifyJob, Experience, QualificationSettings
from qualification.tasks import (
    BulkJobError,
    bulk_job_can_resume,
    bulk_qualify_job_resume,
    bulk_qualify_job_start,
)

TEMPLATE = "qualification/bulk_qualify.html"
JOB_TEMPLATE = "qualification/bulk_job_detail.html"
# The result lists this many leads per list; the rest are counted ("and 12 more").
ISSUES_SHOWN = 100


class BulkQualifyOptionsForm(forms.Form):
    """Which record types the dialog creates for every selected lead."""

    create_account = forms.BooleanField(label="Account", required=False, initial=True)
    create_contact = forms.BooleanField(label="Contact", required=False, initial=True)
    create_opportunity = forms.BooleanField(label="Opportunity", required=False, initial=True)


@require_POST
def bulk_qualify(request: HtmxHttpRequest) -> HttpResponse:
    """First POST (the grid's selection): the dialog, unless Legacy + automatic runs at once.
    Second POST (`confirm`): qualify here, or in the background above the threshold."""
    selection = LeadSelectionForm(request.POST)
    lead_ids = _selected_ids(request, selection)
    if not lead_ids:
        return _dialog(request, "bulk-qualify-dialog", {"selection": selection, "count": 0})
    qualification_settings = QualificationSettings.load()
    automatic = (
        qualification_settings.experience == Experience.LEGACY
        and qualification_settings.legacy_create_automatically
    )
    options = BulkQualifyOptionsForm(request.POST if "confirm" in request.POST else None)
    if automatic:
        options = BulkQualifyOptionsForm({name: True for name in options.fields})
    if not options.is_bound or not options.is_valid():
        context = {"selection": selection, "options": options, "count": len(lead_ids)}
        return _dialog(request, "bulk-qualify-dialog", context)
    if len(lead_ids) > settings.BULK_QUALIFY_BACKGROUND_THRESHOLD:
        job = bulk_qualify_job_start(
            lead_ids=lead_ids, acting_user=request.user, **options.cleaned_data
        )
        return _navigate(request, reverse("qualification:bulk-job-detail", args=[job.pk]))
    outcome = leads_bulk_qualify(
        lead_ids=lead_ids,
        acting_user=request.user,
        qualification_settings=qualification_settings,
        **options.cleaned_data,
    )
    response = _dialog(request, "bulk-result-dialog", _outcome_context(outcome, selection))
    # The grid reloads itself; a closed lead no longer shows in My Open Leads.
    return trigger_client_event(response, "leadsChanged", {})


@require_http_methods(["GET", "POST"])
def bulk_job_detail(request: HtmxHttpRequest, job_pk: int) -> HttpResponse:
    """The job's page: progress while it runs, the result at the end. POST resumes a job that
    failed or lost its worker."""
    job = _job_for_user(request, job_pk)
    error = ""
    if request.method == "POST":
        try:
            job = bulk_qualify_job_resume(job=job)
        except BulkJobError as exc:
            error = exc.message
        else:
            return _navigate(request, reverse("qualification:bulk-job-detail", args=[job.pk]))
    context = {**_job_context(job), "resume_error": error}
    return render(request, JOB_TEMPLATE, context)


@require_GET
def bulk_job_progress(request: HtmxHttpRequest, job_pk: int) -> HttpResponse:
    """The progress fragment the job page polls every second until the job is finished."""
    job = _job_for_user(request, job_pk)
    response = render(request, f"{JOB_TEMPLATE}#bulk-job-progress", _job_context(job))
    if job.status == BulkJobStatus.DONE:
        trigger_client_event(response, "leadsChanged", {})
    return response


def _selected_ids(request: HtmxHttpRequest, selection: LeadSelectionForm) -> list[int]:
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
    """The dialog swapped into #modal-root (htmx), or the same content as a page without JS."""
    selection = context["selection"]
    context = {
        **context,
        "page_title": "Qualify leads",
        "grid_url": _grid_url(selection),
        "selected_ids": selection.cleaned_data["lead_ids"] if selection.is_valid() else [],
        "threshold": settings.BULK_QUALIFY_BACKGROUND_THRESHOLD,
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#{partial}", context)
    return render(request, TEMPLATE, {**context, "as_page": True, "partial": partial})


def _navigate(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


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


def _result_context(
    *, qualified: int, failures: list[dict[str, Any]], needs_review: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "qualified": qualified,
        "failures": _issue_rows(failures[:ISSUES_SHOWN]),
        "failures_hidden": max(0, len(failures) - ISSUES_SHOWN),
        "failure_count": len(failures),
        "needs_review": _issue_rows(needs_review[:ISSUES_SHOWN]),
        "needs_review_hidden": max(0, len(needs_review) - ISSUES_SHOWN),
        "needs_review_count": len(needs_review),
    }


def _outcome_context(outcome: BulkQualifyOutcome, selection: LeadSelectionForm) -> dict[str, Any]:
    return {
        "selection": selection,
        **_result_context(
            qualified=outcome.qualified_count,
            failures=[issue._asdict() for issue in outcome.failures],
            needs_review=[issue._asdict() for issue in outcome.needs_review],
        ),
    }


def _job_for_user(request: HtmxHttpRequest, job_pk: int) -> BulkQualifyJob:
    """The user's own job; a sales manager may follow anyone's."""
    job = get_object_or_404(BulkQualifyJob, pk=job_pk)
    if job.created_by_id != request.user.pk and not request.user.has_perm(
        lead_selectors.MANAGE_ALL_LEADS
    ):
        raise Http404
    return job


def _job_context(job: BulkQualifyJob) -> dict[str, Any]:
    return {
        "page_title": "Bulk qualify",
        "job": job,
        "finished": job.status in (BulkJobStatus.DONE, BulkJobStatus.FAILED),
        "can_resume": bulk_job_can_resume(job=job),
        **_result_context(
            qualified=job.qualified_count, failures=job.failures, needs_review=job.needs_review
        ),
    }
