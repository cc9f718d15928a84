"""The opportunity page: the opportunity with its process bar and timeline, Edit, Close as
Won, Close as Lost, Reopen, notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors
from crm.forms import CloseForm, OpportunityForm
from crm.http import HtmxHttpRequest, navigate, render_dialog, render_forbidden
from crm.models import Opportunity, OpportunityState
from crm.services import close, opportunities
from crm.services.errors import OPPORTUNITY_CHANGE_FORBIDDEN, RecordError
from crm.services.locks import record_change_refusal
from crm.views import record_pages
from crm.views.opportunity_page import TEMPLATE, opportunity_context
from crm.views.record_pages import RecordPage

OPPORTUNITY_CLOSED_AS = "Opportunity closed as {reason}."
OPPORTUNITY_REOPENED = "Opportunity reopened."
CLOSE_TITLES = {OpportunityState.WON: "Close as Won", OpportunityState.LOST: "Close as Lost"}

OPPORTUNITY_PAGE = RecordPage(
    name="opportunity",
    template=TEMPLATE,
    form_class=OpportunityForm,
    get=selectors.opportunity_get,
    update=opportunities.opportunity_update,
    context=opportunity_context,
)


@require_GET
def opportunity_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_detail(request, OPPORTUNITY_PAGE, pk)


@require_http_methods(["GET", "POST"])
def opportunity_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_edit(request, OPPORTUNITY_PAGE, pk)


@require_POST
def opportunity_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_note(request, OPPORTUNITY_PAGE, pk)


@require_http_methods(["GET", "POST"])
def opportunity_close(request: HtmxHttpRequest, pk: int, state: str) -> HttpResponse:
    """The Close as Won / Close as Lost dialog; POST closes the opportunity."""
    if state not in CLOSE_TITLES:
        raise Http404("An opportunity closes as won or as lost.")
    opportunity = selectors.opportunity_get(pk=pk)
    if not selectors.owner_or_manager(user=request.user, owner_id=opportunity.owner_id):
        return render_forbidden(request, OPPORTUNITY_CHANGE_FORBIDDEN)
    data = request.POST if request.method == "POST" else None
    form = CloseForm(data, opportunity=opportunity, state=state)
    if form.is_bound and form.is_valid():
        try:
            close.opportunity_close(
                opportunity=opportunity, state=state, acting_user=request.user, **form.cleaned_data
            )
        except RecordError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            reason = opportunity.get_status_reason_display()
            messages.success(request, OPPORTUNITY_CLOSED_AS.format(reason=reason))
            return navigate(request, opportunity.get_absolute_url())
    context = _close_context(request, opportunity, form, state)
    return render_dialog(request, "crm/opportunity_close.html", "close-dialog", context)


def _close_context(
    request: HtmxHttpRequest, opportunity: Opportunity, form: CloseForm, state: str
) -> dict[str, Any]:
    # Said before anything is posted: a closed opportunity can't be closed again.
    refusal = record_change_refusal(opportunity, acting_user=request.user)
    return {
        "page_title": CLOSE_TITLES[state],
        "opportunity": opportunity,
        "refusal": refusal.message if refusal and not form.is_bound else "",
        "form": form,
        "state": state,
        "action": reverse("crm:opportunity-close", args=[opportunity.pk, state]),
        "cancel_url": opportunity.get_absolute_url(),
    }


@require_POST
def opportunity_reopen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    if not selectors.owner_or_manager(user=request.user, owner_id=opportunity.owner_id):
        return render_forbidden(request, OPPORTUNITY_CHANGE_FORBIDDEN)
    try:
        close.opportunity_reopen(opportunity=opportunity, acting_user=request.user)
    except RecordError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, OPPORTUNITY_REOPENED)
    return navigate(request, opportunity.get_absolute_url())
