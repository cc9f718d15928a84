"""Disqualify, reactivate and delete one lead (from its form)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from crm.http import HtmxHttpRequest, navigate, render_dialog
from leads import selectors, services
from leads.forms import DisqualifyForm
from leads.models import Lead
from leads.services import LeadError

LEAD_DISQUALIFIED = "Lead disqualified: {reason}."
LEAD_REACTIVATED = "Lead reactivated."
LEAD_DELETED = "Lead deleted."


def _disqualify_refusal(request: HtmxHttpRequest, lead: Lead) -> str:
    """Why the dialog can't disqualify this lead, said before the user picks a reason."""
    refusal = services.lead_disqualify_refusal(lead=lead, acting_user=request.user)
    return refusal.message if refusal is not None else ""


@require_http_methods(["GET", "POST"])
def lead_disqualify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=True)
    form = DisqualifyForm(request.POST) if request.method == "POST" else DisqualifyForm()
    if form.is_bound and form.is_valid():
        try:
            services.lead_disqualify(
                lead=lead, reason=form.cleaned_data["reason"], acting_user=request.user
            )
        except LeadError as error:
            form.add_error(None, error.message)
        else:
            reason = dict(form.fields["reason"].choices)[form.cleaned_data["reason"]]
            messages.success(request, LEAD_DISQUALIFIED.format(reason=reason))
            return navigate(request, lead.get_absolute_url())
    context = {
        "page_title": "Disqualify lead",
        "lead": lead,
        "form": form,
        "refusal": _disqualify_refusal(request, lead) if request.method == "GET" else "",
        "action": reverse("leads:lead-disqualify", args=[lead.pk]),
        "cancel_url": lead.get_absolute_url(),
    }
    return render_dialog(request, "leads/lead_disqualify.html", "disqualify-dialog", context)


@require_POST
def lead_reactivate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=True)
    try:
        services.lead_reactivate(lead=lead, acting_user=request.user)
    except LeadError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, LEAD_REACTIVATED)
    return navigate(request, lead.get_absolute_url())


@require_http_methods(["GET", "POST"])
def lead_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """GET: the "Delete permanently" confirmation; POST: delete."""
    if request.method == "POST":
        return _lead_delete_post(request, pk)
    lead = selectors.lead_get_for_user(user=request.user, pk=pk)
    if not selectors.lead_can_delete(request.user, lead):
        raise PermissionDenied
    context = {
        "page_title": "Delete lead",
        "lead": lead,
        "action": reverse("leads:lead-delete", args=[lead.pk]),
        "cancel_url": lead.get_absolute_url(),
    }
    return render_dialog(request, "leads/lead_delete.html", "delete-dialog", context)


def _lead_delete_post(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    try:
        lead = selectors.lead_get_for_user(user=request.user, pk=pk)
    except Http404:
        # Deleted between the dialog and this click (by someone else, or in another tab).
        return _already_deleted(request)
    if not selectors.lead_can_delete(request.user, lead):
        raise PermissionDenied
    try:
        services.lead_delete(lead=lead, acting_user=request.user)
    except services.LeadAlreadyDeletedError:
        return _already_deleted(request)
    except LeadError as error:
        messages.error(request, error.message)
        return navigate(request, lead.get_absolute_url())
    messages.success(request, LEAD_DELETED)
    return navigate(request, reverse("leads:lead-list"))


def _already_deleted(request: HtmxHttpRequest) -> HttpResponse:
    """To the grid: the lead's own page would answer 404."""
    messages.info(request, services.LEAD_ALREADY_DELETED)
    return navigate(request, reverse("leads:lead-list"))
