"""Undo qualification: the dialog (what will be deleted, what stays, what refuses it) and the
undo, for one qualification (from the lead or the qualification record) or a bulk qualify."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm.http import HtmxHttpRequest, navigate, render_dialog
from leads.forms import LeadSelectionForm
from leads.selectors import lead_can_change, lead_get_for_user
from qualification.forms import BulkUndoForm
from qualification.models import Qualification
from qualification.services import undo
from qualification.views.bulk import ISSUES_SHOWN, job_for_user, selected_ids

TEMPLATE = "qualification/undo.html"
UNDONE_MESSAGE = "Qualification undone: the lead is open again."


@login_required
@require_http_methods(["GET", "POST"])
def lead_undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Undo qualification on the lead's command bar: its latest qualification."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    qualification = Qualification.objects.filter(lead=lead).first()
    if qualification is None:
        raise Http404
    qualification.lead = lead
    return _undo(request, qualification)


@login_required
@require_http_methods(["GET", "POST"])
def qualification_undo(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Undo qualification on the qualification record (the admin's audit links here)."""
    qualification = get_object_or_404(Qualification.objects.select_related("lead"), pk=pk)
    if qualification.lead is not None and not lead_can_change(request.user, qualification.lead):
        raise PermissionDenied
    return _undo(request, qualification)


def _undo(request: HtmxHttpRequest, qualification: Qualification) -> HttpResponse:
    refusal: undo.UndoError | None = None
    if request.method == "POST":
        try:
            undo.qualification_undo(qualification=qualification, acting_user=request.user)
        except undo.UndoError as error:
            refusal = error
        else:
            messages.success(request, UNDONE_MESSAGE)
            response = navigate(request, qualification.lead.get_absolute_url())
            return trigger_client_event(response, "qualificationUndone", {"id": qualification.pk})
    preview = undo.undo_preview(qualification=qualification, acting_user=request.user)
    lead = preview.lead
    context = {
        "page_title": "Undo qualification",
        "preview": preview,
        "refusal": refusal.message if refusal is not None else "",
        "reasons": getattr(refusal, "reasons", None) or preview.reasons,
        "action": request.path,
        "cancel_url": lead.get_absolute_url() if lead is not None else reverse("admin:index"),
    }
    return render_dialog(request, TEMPLATE, "undo-dialog", context)


@login_required
@require_POST
def bulk_undo(request: HtmxHttpRequest) -> HttpResponse:
    """Undo a bulk qualify or the grid's selection. First POST (a background job's `job`, the
    qualification records a bulk result listed, or the grid's selection of qualified leads):
    the confirmation; with `confirm`: the undo and the result, lead by lead."""
    form = BulkUndoForm(request.POST)
    if not form.is_valid():
        raise Http404
    ids = _undo_ids(request, form)
    context: dict[str, Any] = {"page_title": "Undo bulk qualify", "ids": ids, "count": len(ids)}
    if not form.cleaned_data["confirm"]:
        return render_dialog(request, TEMPLATE, "bulk-undo-dialog", context)
    outcome = undo.qualifications_undo(qualification_ids=ids, acting_user=request.user)
    for name, results in (("undone", outcome.undone), ("refused", outcome.refused)):
        context |= {
            name: results[:ISSUES_SHOWN],
            f"{name}_count": len(results),
            f"{name}_hidden": max(0, len(results) - ISSUES_SHOWN),
        }
    response = render_dialog(request, TEMPLATE, "bulk-undo-result", context)
    return trigger_client_event(response, "leadsChanged", {})


def _undo_ids(request: HtmxHttpRequest, form: BulkUndoForm) -> list[int]:
    """The qualification records to undo: the job's (not undone yet), the ids posted, or the
    latest qualification of each lead selected in the grid."""
    job = form.cleaned_data["job"]
    if job is not None:
        job_for_user(request, job.pk)
        return list(job.qualifications.filter(undone_at=None).values_list("pk", flat=True))
    if form.cleaned_data["ids"]:
        return form.cleaned_data["ids"]
    lead_ids = selected_ids(request, LeadSelectionForm(request.POST))
    return undo.qualifications_latest(lead_ids=lead_ids)
