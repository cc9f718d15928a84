"""The salesperson's Qualify screens: the side pane, the legacy dialog, the "Processing" dialog,
the duplicate dialog and the "Lead qualified" page.

Views parse, authorise, call the engine and render. An htmx request gets the dialog alone (it
goes into #modal-root); a plain request gets the same dialog as a full page, so every screen
also works without JavaScript.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget, trigger_client_event

from crm.http import HtmxHttpRequest
from leads.models import Lead, LeadState
from leads.selectors import lead_can_change, lead_get_for_user
from qualification import engine
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    DuplicatesFoundError,
    LeadClosedError,
    QualifyPlan,
    QualifyResult,
    QualifyValidationError,
    qualification_plan,
)
from qualification.forms import (
    RECORD_MODELS,
    DuplicateChoiceForm,
    OpportunityChangeForm,
    QualifyForm,
    RecordSearchForm,
    carried_fields,
)
from qualification.models import Qualification

TEMPLATE = "qualification/lead_qualify.html"
SCREEN_PARTIALS = {
    "pane": "qualify-pane",
    "legacy": "legacy-dialog",
    "automatic": "processing-dialog",
}
LEAD_QUALIFIED_MESSAGE = "Lead qualified."


def _render(
    request: HtmxHttpRequest, lead: Lead, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """The dialog alone for htmx (#modal-root), else the page that shows it in place."""
    context = {"lead": lead, "screen": partial, "in_page": not request.htmx, **context}
    return render(request, f"{TEMPLATE}#{partial}" if request.htmx else TEMPLATE, context)


def _message(request: HtmxHttpRequest, lead: Lead, message: str) -> HttpResponse:
    return _render(request, lead, "message-dialog", {"message": message})


def _closed_message(request: HtmxHttpRequest, lead: Lead) -> HttpResponse:
    # A second Qualify of a lead this very screen qualified says so; opening Qualify on any
    # closed lead says how to reopen it.
    qualified_again = request.method == "POST" and lead.state == LeadState.QUALIFIED
    return _message(request, lead, LEAD_ALREADY_QUALIFIED if qualified_again else LEAD_CLOSED)


def _screen(request: HtmxHttpRequest, form: QualifyForm) -> HttpResponse:
    return _render(request, form.plan.lead, SCREEN_PARTIALS[form.kind], {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def lead_qualify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Command bar Qualify: the screen the settings call for (GET), then the qualify (POST)."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    if lead.is_closed:
        return _closed_message(request, lead)
    # The screens never list the plan's duplicates: the engine finds them when it writes.
    plan = qualification_plan(lead=lead, with_duplicates=False)
    if request.method == "GET":
        return _screen(request, QualifyForm(plan=plan))
    return _qualify_submit(request, plan)


def _qualify_submit(request: HtmxHttpRequest, plan: QualifyPlan) -> HttpResponse:
    data = request.POST
    duplicate_choice = DuplicateChoiceForm(data) if "duplicate_action" in data else None
    if duplicate_choice is not None and duplicate_choice.is_valid():
        data = duplicate_choice.resolved()
    form = QualifyForm(plan=plan, data=data)
    going_back = duplicate_choice is not None and duplicate_choice.going_back
    if going_back or not form.is_valid():
        return _screen(request, form)
    try:
        result = engine.lead_qualify(
            lead_id=plan.lead.pk, acting_user=request.user, decisions=form.decisions(), plan=plan
        )
    except DuplicatesFoundError as duplicates:
        context = {
            "form": form,
            "duplicates": duplicates,
            "duplicate_choice": duplicate_choice,
            "carried": carried_fields(data),
        }
        return _render(request, plan.lead, "duplicates-dialog", context)
    except QualifyValidationError as error:
        form.add_engine_errors(error.errors)
        return _screen(request, form)
    except LeadClosedError as error:
        return _message(request, plan.lead, error.message)
    return _qualified_response(request, plan, result)


def _qualified_response(
    request: HtmxHttpRequest, plan: QualifyPlan, result: QualifyResult
) -> HttpResponse:
    """The "Lead qualified" page when summaries are on, else the primary opportunity, else
    the lead."""
    lead = result.lead
    if result.summary or plan.will_summarize:
        url = reverse("qualification:lead-qualified", args=[lead.pk, result.qualification.pk])
    elif result.primary_opportunity is not None:
        url = result.primary_opportunity.get_absolute_url()
    else:
        url = lead.get_absolute_url()
    messages.success(request, LEAD_QUALIFIED_MESSAGE)
    if not request.htmx:
        return redirect(url)
    response = HttpResponseClientRedirect(url)
    return trigger_client_event(
        response, "leadQualified", {"lead": lead.pk, "qualification": result.qualification.pk}
    )


@login_required
@require_GET
def qualify_opportunity_form(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "+ New Opportunity" appends a quick-create form; "Remove opportunity" drops one. Both
    re-draw the add button (out of band) so it stops at the plan's maximum."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    if lead.is_closed:
        # The pane is stale: replace it with the message instead of adding to it.
        return reswap(retarget(_closed_message(request, lead), "#modal-root"), "innerHTML")
    change = OpportunityChangeForm(
        request.GET, plan=qualification_plan(lead=lead, with_duplicates=False)
    )
    adder = change.apply()
    context = {"lead": lead, "new_form": change.new_form, "adder": adder, "oob": True}
    return render(request, f"{TEMPLATE}#opportunity-change", context)


@login_required
@require_GET
def qualify_record_search(request: HtmxHttpRequest, pk: int, record_type: str) -> HttpResponse:
    """Search as you type under "Use existing" (accounts or contacts)."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    if record_type not in RECORD_MODELS:
        raise Http404
    search = RecordSearchForm(request.GET, record_type=record_type)
    return render(request, f"{TEMPLATE}#search-results", {"lead": lead, "search": search})


@login_required
@require_GET
def lead_qualified(request: HtmxHttpRequest, pk: int, qualification_pk: int) -> HttpResponse:
    """The "Lead qualified" page: the summary and the records, for the lead's owner or a
    manager only (404 for anyone else, as if it did not exist)."""
    qualification = get_object_or_404(
        Qualification.objects.select_related("lead", "account", "contact"),
        pk=qualification_pk,
        lead_id=pk,
    )
    if not lead_can_change(request.user, qualification.lead):
        raise Http404
    opportunities = [
        link.opportunity for link in qualification.opportunity_links.select_related("opportunity")
    ]
    primary = opportunities[0] if opportunities else None
    context = {
        "page_title": "Lead qualified",
        "qualification": qualification,
        "lead": qualification.lead,
        "opportunities": opportunities,
        "finish_url": (primary or qualification.lead).get_absolute_url(),
    }
    return render(request, "qualification/lead_qualified.html", context)
