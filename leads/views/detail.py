"""The lead form: create and edit, the Qualify stage flyout, the lookups, notes."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm.forms import NoteForm
from crm.http import HtmxHttpRequest, render_page, search_text
from crm.selectors import opportunity_stages, timeline_for
from crm.services.timeline import TimelineError, timeline_note_add
from leads import selectors, services
from leads.forms import LeadCreateForm, LeadForm, QualifyStageForm
from leads.models import Lead, LeadState
from leads.services import LeadError

LEAD_CREATED = "Lead created."
LEAD_SAVED = "Lead saved."
STAGE_SAVED = "Qualify stage saved."
NOTE_ADDED = "Note added."
NOT_YOURS_READ_ONLY = "This lead belongs to {owner}. You can view it but not change it."


def _readonly_groups(lead: Lead) -> list[tuple[str, list[tuple[str, Any]]]]:
    groups = []
    for title, names in LeadForm.groups:
        items = []
        for name in names:
            model_field = Lead._meta.get_field(name)
            value = (
                getattr(lead, f"get_{name}_display")()
                if model_field.choices
                else getattr(lead, name)
            )
            items.append((model_field.verbose_name, value))
        groups.append((title, items))
    return groups


def _stage_context(
    request: HtmxHttpRequest, lead: Lead, stage_form: QualifyStageForm | None
) -> dict[str, Any]:
    form = stage_form or QualifyStageForm(instance=lead)
    account_id = form.selected_id("existing_account")
    contact_id = form.selected_id("existing_contact")
    return {
        "stage_form": form,
        "flyout_open": True,
        "account_options": selectors.account_lookup(selected_id=account_id),
        "account_selected": account_id,
        "contact_options": selectors.contact_lookup(selected_id=contact_id),
        "contact_selected": contact_id,
    }


def _qualify_steps(lead: Lead) -> list[tuple[str, Any]]:
    """(field label, value) of the Qualify stage's steps, for the bar and read-only display."""
    return [
        ("Existing Contact", lead.existing_contact),
        ("Existing Account", lead.existing_account),
        ("Purchase Timeframe", lead.get_purchase_timeframe_display()),
        ("Budget Amount", lead.budget_amount),
        ("Purchase Process", lead.get_purchase_process_display()),
        ("Decision Maker identified", "Yes" if lead.decision_maker else ""),
        ("Qualification Comments", lead.qualification_comments),
    ]


def _read_only_notice(lead: Lead, *, can_change: bool) -> str:
    """Why the lead's fields are shown read-only ("" when the user may edit them)."""
    if lead.is_closed:
        return services.LEAD_CLOSED_READ_ONLY
    if not can_change:
        owner = lead.owner.get_full_name() or lead.owner.get_username()
        return NOT_YOURS_READ_ONLY.format(owner=owner)
    return ""


def _detail_context(
    request: HtmxHttpRequest,
    lead: Lead,
    *,
    form: LeadForm | None = None,
    stage_form: QualifyStageForm | None = None,
    flyout_open: bool = False,
    note_form: NoteForm | None = None,
) -> dict[str, Any]:
    can_change = selectors.lead_can_change(request.user, lead)
    editable = can_change and lead.is_open
    steps = _qualify_steps(lead)
    context: dict[str, Any] = {
        "page_title": lead.full_name or lead.topic,
        "lead": lead,
        "can_change": can_change,
        "can_delete": selectors.lead_can_delete(request.user, lead),
        "editable": editable,
        "form": (form or LeadForm(instance=lead)) if editable else None,
        "readonly_groups": None if editable else _readonly_groups(lead),
        "read_only_notice": _read_only_notice(lead, can_change=can_change),
        "closed_refusal": services.LEAD_CLOSED,
        "qualify_steps": steps,
        "qualify_steps_done": sum(1 for _label, value in steps if value not in (None, "")),
        "is_qualified": lead.state == LeadState.QUALIFIED,
        "later_stages": opportunity_stages(opportunity=lead.qualifying_opportunity),
        "flyout_open": False,
        "timeline_entries": timeline_for(record=lead),
        "note_form": note_form or NoteForm(),
        "note_add_url": reverse("leads:lead-note-add", args=[lead.pk]),
        "can_add_note": editable,
    }
    if flyout_open:
        context.update(_stage_context(request, lead, stage_form))
    return context


@require_http_methods(["GET", "POST"])
@permission_required("leads.add_lead", raise_exception=True)
def lead_create(request: HtmxHttpRequest) -> HttpResponse:
    # An empty POST is still a POST: bound, so that it gets the form's errors.
    form = LeadCreateForm(request.POST) if request.method == "POST" else LeadCreateForm()
    if form.is_bound and form.is_valid():
        try:
            lead = services.lead_create(
                acting_user=request.user,
                data=form.cleaned_data,
                creation_token=form.cleaned_data["form_token"],
            )
        except services.LeadAlreadyCreatedError as error:
            messages.info(request, error.message)
            return redirect(error.lead)
        messages.success(request, LEAD_CREATED)
        return redirect(lead)
    context = {"page_title": "New Lead", "lead": None, "form": form, "editable": True}
    return render(request, "leads/lead_detail.html", context)


@require_http_methods(["GET", "POST"])
def lead_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    is_post = request.method == "POST"
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=is_post)
    form = LeadForm(request.POST, instance=lead) if is_post else None
    if form is not None and form.is_valid():
        try:
            services.lead_update(lead=lead, acting_user=request.user, data=form.cleaned_data)
        except LeadError as error:
            messages.error(request, error.message)
            return redirect(lead)
        messages.success(request, LEAD_SAVED)
        return redirect(lead)
    if form is not None:
        # The page shows the stored lead around the form, not the values just typed.
        lead.refresh_from_db()
    return render(request, "leads/lead_detail.html", _detail_context(request, lead, form=form))


@require_http_methods(["GET", "POST"])
def lead_stage_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The Qualify stage flyout: GET opens it, POST saves the steps and re-renders the bar."""
    if request.method == "GET":
        lead = selectors.lead_get_for_user(user=request.user, pk=pk)
        context = _detail_context(request, lead, flyout_open=True)
        return render_page(request, "leads/lead_detail.html", "stage-flyout", context)
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=True)
    stage_form = QualifyStageForm(request.POST, instance=lead)
    if stage_form.is_valid():
        try:
            services.lead_qualify_stage_update(
                lead=lead, acting_user=request.user, data=stage_form.cleaned_data
            )
        except LeadError as error:
            stage_form.add_error(None, error.message)
        else:
            return _stage_saved(request, lead)
    # The page shows the stored lead around the form, not the values just typed.
    lead.refresh_from_db()
    context = _detail_context(request, lead, stage_form=stage_form, flyout_open=True)
    return render_page(request, "leads/lead_detail.html", "process-bar", context)


def _stage_saved(request: HtmxHttpRequest, lead: Lead) -> HttpResponse:
    """The process bar again (htmx), or back to the lead's page (no JS)."""
    if not request.htmx:
        messages.success(request, STAGE_SAVED)
        return redirect(lead)
    # Read again with the related records the bar shows (the form changed them on `lead`).
    lead = selectors.lead_get_for_user(user=request.user, pk=lead.pk)
    response = render(request, "leads/lead_detail.html#process-bar", _detail_context(request, lead))
    return trigger_client_event(response, "leadStageSaved", {"id": lead.pk})


@require_GET
def lead_lookup(request: HtmxHttpRequest, record_type: str) -> HttpResponse:
    """Options for the Existing Account / Existing Contact pickers (a search box feeds them)."""
    query = search_text(request, f"{record_type}_q")
    try:
        selected = int(request.GET.get(f"existing_{record_type}") or 0) or None
    except ValueError:
        selected = None
    if record_type == "account":
        options = selectors.account_lookup(query=query, selected_id=selected)
    elif record_type == "contact":
        options = selectors.contact_lookup(query=query, selected_id=selected)
    else:
        raise Http404
    context = {"options": options, "selected": selected}
    return render(request, "leads/lead_detail.html#lookup-options", context)


@require_POST
def lead_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=True)
    note_form = NoteForm(request.POST, request.FILES)
    if lead.is_closed:
        note_form.add_error(None, services.LEAD_CLOSED_READ_ONLY)
    elif note_form.is_valid():
        try:
            timeline_note_add(
                record=lead,
                author=request.user,
                title=note_form.cleaned_data["title"],
                body=note_form.cleaned_data["body"],
                attachment=note_form.cleaned_data.get("attachment") or None,
            )
        except TimelineError as error:
            note_form.add_error(None, error.message)
        else:
            if not request.htmx:
                messages.success(request, NOTE_ADDED)
                return redirect(lead)
            note_form = None
    context = _detail_context(request, lead, note_form=note_form)
    return render_page(request, "leads/lead_detail.html", "timeline", context)


# Disqualify, reactivate, delete: one lead ------------------------------------------------------
