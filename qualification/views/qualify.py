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
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap, retarget, trigger_client_event

from crm.errors import DomainError
from crm.http import HtmxHttpRequest, navigate, render_dialog
from leads.models import Lead
from leads.selectors import lead_can_change, lead_get_for_user
from leads.services.errors import LEAD_CLOSED, LeadClosedError
from qualification import engine
from qualification.engine import (
    DuplicatesFoundError,
    QualifyPlan,
    QualifyResult,
    QualifyValidationError,
    ScreenKind,
    lead_state_check,
    qualification_plan,
)
from qualification.forms import (
    RECORD_MODELS,
    DuplicateChoiceForm,
    OpportunityChangeForm,
    QualifyForm,
    RecordSearchForm,
    carried_fields,
    dialog_previews,
    merge_preview_for,
)
from qualification.models import Qualification

TEMPLATE = "qualification/lead_qualify.html"
SCREEN_PARTIALS = {
    ScreenKind.PANE: "qualify-pane",
    ScreenKind.LEGACY: "legacy-dialog",
    ScreenKind.AUTOMATIC: "processing-dialog",
}
LEAD_QUALIFIED_MESSAGE = "Lead qualified."


def _render(
    request: HtmxHttpRequest, lead: Lead, partial: str, context: dict[str, Any]
) -> HttpResponse:
    return render_dialog(request, TEMPLATE, partial, {"lead": lead, **context})


def _message(request: HtmxHttpRequest, lead: Lead, message: str) -> HttpResponse:
    return _render(request, lead, "message-dialog", {"message": message})


def _screen(request: HtmxHttpRequest, form: QualifyForm) -> HttpResponse:
    return _render(request, form.plan.lead, SCREEN_PARTIALS[form.kind], {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def lead_qualify(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Command bar Qualify: the screen the settings call for (GET), then the qualify (POST)."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    try:
        lead_state_check(lead)
    except LeadClosedError as error:
        # A second Qualify of a lead this very screen qualified says so; opening Qualify on
        # any closed lead says how to reopen it.
        return _message(request, lead, error.message if request.method == "POST" else LEAD_CLOSED)
    plan = qualification_plan(lead=lead)
    if request.method == "GET":
        return _screen(request, QualifyForm(plan=plan))
    return _qualify_submit(request, plan)


def _qualify_submit(request: HtmxHttpRequest, plan: QualifyPlan) -> HttpResponse:
    data = request.POST
    duplicate_choice = DuplicateChoiceForm(data) if "duplicate_action" in data else None
    if duplicate_choice is not None and duplicate_choice.is_valid():
        data = duplicate_choice.resolved()
    form = QualifyForm(plan=plan, data=data)
    if (duplicate_choice is not None and duplicate_choice.going_back) or not form.is_valid():
        return _screen(request, form)
    try:
        result = engine.lead_qualify(
            lead_id=plan.lead.pk, acting_user=request.user, decisions=form.decisions(), plan=plan
        )
    except DuplicatesFoundError as duplicates:
        matches = {"account": duplicates.accounts, "contact": duplicates.contacts}
        context = {
            "form": form,
            "duplicates": duplicates,
            "duplicate_choice": duplicate_choice,
            "carried": carried_fields(data, asked=[t for t, found in matches.items() if found]),
            "previews": dialog_previews(plan=plan, matches=matches, data=data),
        }
        return _render(request, plan.lead, "duplicates-dialog", context)
    except QualifyValidationError as error:
        form.add_engine_problems(error.problems)
        return _screen(request, form)
    except DomainError as error:
        return _message(request, plan.lead, error.message)
    return _qualified_response(request, plan, result)


def _record_link(record: Any) -> str:
    return format_html('<a href="{}">{}</a>', record.get_absolute_url(), record)


def qualified_message(result: QualifyResult) -> str:
    """What the qualify did, with links: "Lead qualified: account Contoso Ltd linked, contact
    Ana Ruiz created, 2 opportunities created."""
    parts = []
    for noun, record, created in (
        ("account", result.account, result.account_created),
        ("contact", result.contact, result.contact_created),
    ):
        if record is not None:
            updated = sum(change.record_type == noun for change in result.linked_changes)
            how = "created" if created else "linked"
            if updated:
                how += f" ({updated} field{'s' if updated > 1 else ''} updated from the lead)"
            parts.append(format_html("{} {} {}", noun, _record_link(record), how))
    count = len(result.opportunities)
    if count:
        links = format_html_join(", ", "{}", ((_record_link(o),) for o in result.opportunities))
        noun = "opportunity" if count == 1 else f"{count} opportunities"
        parts.append(format_html("{} {} created", noun, links))
    if not parts:
        return LEAD_QUALIFIED_MESSAGE
    return format_html(
        "Lead qualified: {}.", format_html_join(", ", "{}", ((part,) for part in parts))
    )


def _qualified_response(
    request: HtmxHttpRequest, plan: QualifyPlan, result: QualifyResult
) -> HttpResponse:
    """The "Lead qualified" page when summaries are on, else the primary opportunity, else
    the lead."""
    lead = result.lead
    message = qualified_message(result)
    if result.summary or plan.will_summarize:
        url = reverse("qualification:lead-qualified", args=[lead.pk, result.qualification.pk])
        # That page lists the records itself.
        message = LEAD_QUALIFIED_MESSAGE
    elif result.primary_opportunity is not None:
        url = result.primary_opportunity.get_absolute_url()
    else:
        url = lead.get_absolute_url()
    messages.success(request, message)
    response = navigate(request, url)
    if request.htmx:
        event = {"lead": lead.pk, "qualification": result.qualification.pk}
        trigger_client_event(response, "leadQualified", event)
    return response


@login_required
@require_GET
def qualify_opportunity_form(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """ "+ New Opportunity" appends a quick-create form; "Remove opportunity" drops one. Both
    re-draw the add button (out of band) so it stops at the plan's maximum."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    try:
        lead_state_check(lead)
    except LeadClosedError:
        # The pane is stale: replace it with the message instead of adding to it.
        return reswap(retarget(_message(request, lead, LEAD_CLOSED), "#modal-root"), "innerHTML")
    change = OpportunityChangeForm(request.GET, plan=qualification_plan(lead=lead))
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
def qualify_merge_preview(request: HtmxHttpRequest, pk: int, record_type: str) -> HttpResponse:
    """The merge preview of "Use existing", drawn again when the picked record or a choice
    changes (the pane, the duplicate dialog, the lead's Existing Account/Contact)."""
    lead = lead_get_for_user(user=request.user, pk=pk, for_change=True)
    if record_type not in RECORD_MODELS:
        raise Http404
    preview = merge_preview_for(
        plan=qualification_plan(lead=lead), record_type=record_type, data=request.GET
    )
    return render(request, f"{TEMPLATE}#merge-preview", {"lead": lead, "preview": preview})


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
