"""Pages for accounts, contacts and opportunities, the opportunity's process bar and the
timeline's notes and attachments. Login is required everywhere (LoginRequiredMiddleware)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import PurePosixPath
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db import models
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm import selectors
from crm.forms import NoteForm, stage_steps_form_class
from crm.grids import PAGE_SIZES, Column, header_cells, page_size
from crm.http import HtmxHttpRequest, render_page, search_text
from crm.models import Opportunity, OpportunityState, SalesStage
from crm.services import records
from crm.services.records import (
    OPPORTUNITY_CLOSED,
    STAGE_ORDER,
    RecordError,
    opportunity_steps_update,
)
from crm.services.timeline import TimelineError, timeline_note_add

DEFAULT_PAGE_SIZE = 25
OPPORTUNITY_CHANGE_FORBIDDEN = (
    "Only the owner of this opportunity or a sales manager can change it."
)
STEPS_SAVED = "Steps saved."
STAGE_MOVED = "The opportunity moved to {stage}."
NOTE_ADDED = "Note added."
FUTURE_STAGE_READ_ONLY = "Move the opportunity to this stage to edit its steps."


# Grids --------------------------------------------------------------------------------------


ACCOUNT_COLUMNS = (
    Column("name", "Account Name"),
    Column("website", "Website"),
    Column("phone", "Main Phone"),
    Column("city", "City"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)
CONTACT_COLUMNS = (
    Column("name", "Full Name"),
    Column("email", "Email"),
    Column("phone", "Business Phone"),
    Column("account", "Account Name"),
    Column("job_title", "Job Title"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)
OPPORTUNITY_COLUMNS = (
    Column("topic", "Topic"),
    Column("customer", "Potential Customer"),
    Column("revenue", "Est. Revenue"),
    Column("status", "Status"),
    Column("stage", "Sales Stage"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)


def _grid_context(
    request: HtmxHttpRequest,
    rows: models.QuerySet[Any],
    *,
    columns: tuple[Column, ...],
    sort: str,
    query: str,
) -> dict[str, Any]:
    per_page = page_size(request, DEFAULT_PAGE_SIZE)
    page = Paginator(rows, per_page).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "header": header_cells(columns, sort),
        "sort": sort,
        "query": query,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
    }


@require_GET
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    sort = selectors.sort_key(
        request.GET.get("sort", ""), selectors.ACCOUNT_SORTS, selectors.DEFAULT_ACCOUNT_SORT
    )
    rows = selectors.account_list(query=query, sort=sort)
    context = _grid_context(request, rows, columns=ACCOUNT_COLUMNS, sort=sort, query=query)
    return render_page(request, "crm/account_list.html", "account-grid", context)


@require_GET
def contact_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    sort = selectors.sort_key(
        request.GET.get("sort", ""), selectors.CONTACT_SORTS, selectors.DEFAULT_CONTACT_SORT
    )
    rows = selectors.contact_list(query=query, sort=sort)
    context = _grid_context(request, rows, columns=CONTACT_COLUMNS, sort=sort, query=query)
    return render_page(request, "crm/contact_list.html", "contact-grid", context)


@require_GET
def opportunity_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    view = request.GET.get("view", "")
    if view not in selectors.OpportunityView.values:
        view = selectors.OpportunityView.MY_OPEN
    sort = selectors.sort_key(
        request.GET.get("sort", ""),
        selectors.OPPORTUNITY_SORTS,
        selectors.DEFAULT_OPPORTUNITY_SORT,
    )
    rows = selectors.opportunity_list(user=request.user, view=view, query=query, sort=sort)
    context = _grid_context(request, rows, columns=OPPORTUNITY_COLUMNS, sort=sort, query=query)
    context |= {"view": view, "views": selectors.OpportunityView.choices}
    context["view_label"] = selectors.OpportunityView(view).label
    return render_page(request, "crm/opportunity_list.html", "opportunity-grid", context)


# Account and contact pages ------------------------------------------------------------------


@require_GET
def account_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get(pk=pk)
    context = {
        "account": account,
        "origin_lead": selectors.originating_lead(account),
        "contacts": selectors.account_contacts(account=account),
        "opportunities": selectors.account_opportunities(account=account),
        "timeline_entries": selectors.timeline_for(record=account),
        "can_add_note": False,
    }
    return render(request, "crm/account_detail.html", context)


@require_GET
def contact_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(pk=pk)
    context = {
        "contact": contact,
        "origin_lead": selectors.originating_lead(contact),
        "opportunities": selectors.contact_opportunities(contact=contact),
        "timeline_entries": selectors.timeline_for(record=contact),
        "can_add_note": False,
    }
    return render(request, "crm/contact_detail.html", context)


# The opportunity page and its process bar -------------------------------------------------


def _opportunity_context(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    *,
    flyout_stage: str = "",
    steps_form: forms.ModelForm | None = None,
    note_form: NoteForm | None = None,
    stage_error: str = "",
) -> dict[str, Any]:
    can_change = selectors.opportunity_can_change(user=request.user, opportunity=opportunity)
    is_open = opportunity.state == OpportunityState.OPEN
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "origin_lead": selectors.originating_lead(opportunity),
        "stages": selectors.opportunity_stages(opportunity=opportunity),
        "is_open": is_open,
        "can_change": can_change,
        "is_first_stage": opportunity.stage == STAGE_ORDER[0],
        "is_last_stage": opportunity.stage == STAGE_ORDER[-1],
        "stage_error": stage_error,
        "timeline_entries": selectors.timeline_for(record=opportunity),
        "note_form": note_form or NoteForm(),
        "note_add_url": reverse("crm:opportunity-note-add", args=[opportunity.pk]),
        "can_add_note": can_change and is_open,
        "timeline_refresh_url": opportunity.get_absolute_url(),
        "timeline_refresh_event": "opportunityStageChanged",
    }
    if flyout_stage:
        reason = _read_only_reason(opportunity, flyout_stage, can_change)
        form_class = stage_steps_form_class(flyout_stage)
        context |= {
            "flyout_stage": flyout_stage,
            "flyout_label": SalesStage(flyout_stage).label,
            "flyout_editable": not reason,
            "flyout_reason": reason,
            "steps_form": (
                steps_form if steps_form is not None else form_class(instance=opportunity)
            ),
        }
    return context


def _read_only_reason(opportunity: Opportunity, stage: str, can_change: bool) -> str:
    """Why the stage's steps cannot be edited now; "" when they can."""
    if opportunity.state != OpportunityState.OPEN:
        return OPPORTUNITY_CLOSED
    if not can_change:
        return OPPORTUNITY_CHANGE_FORBIDDEN
    if STAGE_ORDER.index(stage) > STAGE_ORDER.index(opportunity.stage):
        return FUTURE_STAGE_READ_ONLY
    return ""


def _forbidden(request: HtmxHttpRequest) -> HttpResponse:
    return render(
        request,
        "crm/forbidden.html",
        {"message": OPPORTUNITY_CHANGE_FORBIDDEN},
        status=403,
    )


@require_GET
def opportunity_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    context = _opportunity_context(request, opportunity)
    if request.htmx and request.htmx.target == "timeline":
        # The timeline refreshes itself after a stage change (an opportunityStageChanged event).
        return render_page(request, "crm/opportunity_detail.html", "timeline", context)
    return render(request, "crm/opportunity_detail.html", context)


@require_http_methods(["GET", "POST"])
def opportunity_stage_edit(request: HtmxHttpRequest, pk: int, stage: str) -> HttpResponse:
    """GET: the stage's flyout. POST: save its steps and re-render the process bar."""
    if stage not in STAGE_ORDER:
        raise Http404("There is no such stage.")
    opportunity = selectors.opportunity_get(pk=pk)
    if request.method == "GET":
        context = _opportunity_context(request, opportunity, flyout_stage=stage)
        return render_page(request, "crm/opportunity_detail.html", "stage-flyout", context)
    if not selectors.opportunity_can_change(user=request.user, opportunity=opportunity):
        return _forbidden(request)
    # A fresh instance: a refused save must not leave the posted values on `opportunity`.
    form = stage_steps_form_class(stage)(request.POST)
    if _read_only_reason(opportunity, stage, can_change=True) or not form.is_valid():
        return _stage_form_invalid(request, opportunity, stage, form)
    try:
        opportunity_steps_update(opportunity=opportunity, stage=stage, values=form.cleaned_data)
    except RecordError as error:
        return _stage_form_invalid(request, opportunity, stage, form, error.message)
    return _stage_done(request, opportunity, STEPS_SAVED)


def _stage_form_invalid(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    stage: str,
    form: forms.ModelForm,
    error: str = "",
) -> HttpResponse:
    if not error and not form.errors:
        error = _read_only_reason(opportunity, stage, can_change=True)
    if error:
        form.add_error(None, error)
    context = _opportunity_context(request, opportunity, flyout_stage=stage, steps_form=form)
    return render_page(request, "crm/opportunity_detail.html", "processbar", context)


def _stage_done(
    request: HtmxHttpRequest, opportunity: Opportunity, message: str, *, event: str = ""
) -> HttpResponse:
    """After a change: the process bar again (htmx), or back to the page (no JS)."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(opportunity)
    context = _opportunity_context(request, opportunity) | {"stage_notice": message}
    response = render(request, "crm/opportunity_detail.html#processbar", context)
    if event:
        trigger_client_event(response, event, {"id": opportunity.pk, "stage": opportunity.stage})
    return response


def _stage_move(
    request: HtmxHttpRequest, pk: int, service: Callable[..., Opportunity]
) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    if not selectors.opportunity_can_change(user=request.user, opportunity=opportunity):
        return _forbidden(request)
    try:
        service(opportunity=opportunity, acting_user=request.user)
    except RecordError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect(opportunity)
        context = _opportunity_context(request, opportunity, stage_error=error.message)
        return render(request, "crm/opportunity_detail.html#processbar", context)
    message = STAGE_MOVED.format(stage=opportunity.get_stage_display())
    return _stage_done(request, opportunity, message, event="opportunityStageChanged")


@require_POST
def opportunity_stage_next(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _stage_move(request, pk, records.opportunity_stage_next)


@require_POST
def opportunity_stage_previous(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _stage_move(request, pk, records.opportunity_stage_previous)


# Timeline -----------------------------------------------------------------------------------


@require_POST
def opportunity_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    if not selectors.opportunity_can_change(user=request.user, opportunity=opportunity):
        return _forbidden(request)
    form = NoteForm(request.POST, request.FILES)
    if opportunity.state != OpportunityState.OPEN:
        form.add_error(None, OPPORTUNITY_CLOSED)
    elif form.is_valid():
        try:
            timeline_note_add(record=opportunity, author=request.user, **form.cleaned_data)
        except TimelineError as error:
            form.add_error(None, error.message)
        else:
            return _note_added(request, opportunity)
    context = _opportunity_context(request, opportunity, note_form=form)
    return render_page(request, "crm/opportunity_detail.html", "timeline", context)


def _note_added(request: HtmxHttpRequest, opportunity: Opportunity) -> HttpResponse:
    if not request.htmx:
        messages.success(request, NOTE_ADDED)
        return redirect(opportunity)
    context = _opportunity_context(request, opportunity)
    response = render(request, "crm/opportunity_detail.html#timeline", context)
    return trigger_client_event(response, "noteAdded", {"id": opportunity.pk})


@require_GET
def timeline_attachment(request: HtmxHttpRequest, entry_pk: int) -> FileResponse:
    """Serve a timeline attachment as a download under its file name (login required)."""
    entry = selectors.timeline_entry_get(pk=entry_pk)
    if not entry.attachment:
        raise Http404("This entry has no attachment.")
    try:
        handle = entry.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404("The attachment file is missing.") from error
    return FileResponse(
        handle, as_attachment=True, filename=PurePosixPath(entry.attachment.name).name
    )


@login_not_required
@require_GET
def favicon(request: HtmxHttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (Django admin)."""
    return redirect(static("favicon.svg"), permanent=True)
