"""Commands from the grid: disqualify, reactivate and delete the selected leads; View
duplicates of the one selected."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from crm.http import HtmxHttpRequest, navigate, render_dialog
from leads import selectors, services
from leads.forms import DisqualifyForm, LeadSelectionForm
from leads.services import BulkOutcome
from leads.views.grid import grid_url

BULK_FAILURES_LISTED = 20
NONE_EXISTS = "None of the selected leads exists any more."
SELECT_ONE_FOR_DUPLICATES = "Select one lead to view its duplicates."


def _selection(request: HtmxHttpRequest) -> tuple[LeadSelectionForm, list[int]]:
    """The grid's selection resolved to lead ids ("all N in this view" included)."""
    form = LeadSelectionForm(request.POST)
    if not form.is_valid():
        return form, []
    ids = selectors.lead_ids_for_selection(
        user=request.user,
        view=form.cleaned_data["view"] or selectors.DEFAULT_VIEW,
        query=form.cleaned_data["q"],
        lead_ids=form.cleaned_data["lead_ids"],
        select_all_matching=form.cleaned_data["select_all_matching"],
    )
    return form, ids


def _selection_fields(form: LeadSelectionForm) -> list[tuple[str, str]]:
    """The selection again as hidden fields, so that the dialog's POST acts on the same leads."""
    data = form.cleaned_data
    fields = [("view", data["view"] or selectors.DEFAULT_VIEW), ("q", data["q"])]
    if data["select_all_matching"]:
        return [*fields, ("select_all_matching", "1")]
    return fields + [("lead_ids", str(lead_id)) for lead_id in data["lead_ids"]]


def _back_to_grid(form: LeadSelectionForm) -> str:
    data = form.cleaned_data if form.is_valid() else {}
    return grid_url(view=data.get("view") or selectors.DEFAULT_VIEW, q=data.get("q", ""))


def _report(request: HtmxHttpRequest, form: LeadSelectionForm) -> HttpResponse:
    """The messages of a bulk command: the grid refreshes itself (htmx), or the browser goes
    back to the grid (no JS)."""
    if not request.htmx:
        return redirect(_back_to_grid(form))
    # Swapped into #modal-root, the (empty) answer also removes the dialog that asked.
    response = render(request, "includes/messages.html")
    return trigger_client_event(response, "leadsChanged", {})


def _report_outcome(
    request: HtmxHttpRequest, outcome: BulkOutcome, *, done: str, not_done: str
) -> None:
    if outcome.done_count:
        noun = "lead" if outcome.done_count == 1 else "leads"
        messages.success(request, f"{outcome.done_count} {noun} {done}.")
    if outcome.failed_count:
        noun = "lead was" if outcome.failed_count == 1 else "leads were"
        messages.warning(request, f"{outcome.failed_count} {noun} not {not_done}:")
        for failure in outcome.failures[:BULK_FAILURES_LISTED]:
            messages.warning(request, f"{failure.label}: {failure.reason}")
        hidden = outcome.failed_count - BULK_FAILURES_LISTED
        if hidden > 0:
            messages.warning(request, f"… and {hidden} more.")


def _nothing_selected(request: HtmxHttpRequest, form: LeadSelectionForm) -> HttpResponse:
    for refusal in form.refusals():
        messages.error(request, refusal)
    if not form.errors:
        messages.error(request, NONE_EXISTS)
    return _report(request, form)


@require_POST
def lead_bulk_disqualify(request: HtmxHttpRequest) -> HttpResponse:
    """First POST (the grid's selection): the dialog with the status reasons; second POST
    (with a reason): disqualify each selected lead on its own and report."""
    selection, lead_ids = _selection(request)
    if not lead_ids:
        return _nothing_selected(request, selection)
    form = DisqualifyForm(request.POST if "reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        outcome = services.leads_disqualify(
            lead_ids=lead_ids, reason=form.cleaned_data["reason"], acting_user=request.user
        )
        _report_outcome(request, outcome, done="disqualified", not_done="disqualified")
        return _report(request, selection)
    context = {
        "page_title": "Disqualify leads",
        "form": form,
        "selection_fields": _selection_fields(selection),
        "count": len(lead_ids),
        "action": reverse("leads:lead-bulk-disqualify"),
        "cancel_url": _back_to_grid(selection),
    }
    return render_dialog(request, "leads/lead_disqualify.html", "disqualify-dialog", context)


@require_POST
def lead_bulk_reactivate(request: HtmxHttpRequest) -> HttpResponse:
    selection, lead_ids = _selection(request)
    if not lead_ids:
        return _nothing_selected(request, selection)
    outcome = services.leads_reactivate(lead_ids=lead_ids, acting_user=request.user)
    _report_outcome(request, outcome, done="reactivated", not_done="reactivated")
    return _report(request, selection)


@require_POST
def lead_bulk_delete(request: HtmxHttpRequest) -> HttpResponse:
    """First POST: the "Delete permanently" confirmation; second (confirm=1): delete."""
    selection, lead_ids = _selection(request)
    if not lead_ids:
        return _nothing_selected(request, selection)
    if request.POST.get("confirm") == "1":
        outcome = services.leads_delete(lead_ids=lead_ids, acting_user=request.user)
        _report_outcome(request, outcome, done="deleted", not_done="deleted")
        return _report(request, selection)
    context = {
        "page_title": "Delete leads",
        "selection_fields": _selection_fields(selection),
        "count": len(lead_ids),
        "action": reverse("leads:lead-bulk-delete"),
        "cancel_url": _back_to_grid(selection),
    }
    return render_dialog(request, "leads/lead_delete.html", "delete-dialog", context)


@require_POST
def lead_bulk_duplicates(request: HtmxHttpRequest) -> HttpResponse:
    """View duplicates: the comparison page of the one lead selected."""
    selection, lead_ids = _selection(request)
    if not lead_ids:
        return _nothing_selected(request, selection)
    if len(lead_ids) != 1:
        messages.error(request, SELECT_ONE_FOR_DUPLICATES)
        return _report(request, selection)
    return navigate(request, reverse("leads:lead-duplicates", args=[lead_ids[0]]))
