"""The lead form: create and edit, the Qualify stage flyout, the lookups, notes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm.forms import NoteForm
from crm.http import HtmxHttpRequest, navigate, render_page, search_text
from crm.money import format_money
from crm.selectors import opportunity_stages, timeline_for
from crm.services.timeline import TimelineError, timeline_note_add
from leads import selectors, services
from leads.duplicates.selectors import lead_duplicates_count
from leads.forms import LeadCreateForm, LeadForm, QualifyStageForm, lookup_detail
from leads.models import Lead, LeadState
from leads.services import LeadError

LEAD_CREATED = "Lead created."
LEAD_SAVED = "Lead saved."
STAGE_SAVED = "Qualify stage saved."
NOTE_ADDED = "Note added."
NOT_YOURS_READ_ONLY = "This lead belongs to {owner}. You can view it but not change it."
# The form commands that save the lead first, and the screen each one opens next.
THEN_COMMANDS = {"qualify": "qualification:lead-qualify", "disqualify": "leads:lead-disqualify"}


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
    form.limit_lookups()
    return {"stage_form": form, "flyout_open": True}


@dataclass(frozen=True)
class QualifyStep:
    """One step of the Qualify stage: its name on the bar, its field and the value shown."""

    name: str
    label: str
    value: Any

    @property
    def done(self) -> bool:
        return self.value not in (None, "")


def _qualify_steps(lead: Lead) -> list[QualifyStep]:
    """The Qualify stage's steps (SPEC §2), for the bar's ticks and the read-only display."""
    return [
        QualifyStep("Existing Contact", "Existing Contact", lead.existing_contact),
        QualifyStep("Existing Account", "Existing Account", lead.existing_account),
        QualifyStep(
            "Purchase Timeframe", "Purchase Timeframe", lead.get_purchase_timeframe_display()
        ),
        QualifyStep("Estimated Budget", "Budget Amount", format_money(lead.budget_amount)),
        QualifyStep("Purchase Process", "Purchase Process", lead.get_purchase_process_display()),
        QualifyStep(
            "Identify Decision Maker",
            "Decision Maker identified",
            "Yes" if lead.decision_maker else "",
        ),
        QualifyStep("Capture Summary", "Qualification Comments", lead.qualification_comments),
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
    then: str = "",
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
        "qualify_steps_done": sum(1 for step in steps if step.done),
        "is_qualified": lead.state == LeadState.QUALIFIED,
        "later_stages": opportunity_stages(opportunity=lead.qualifying_opportunity),
        "flyout_open": False,
        "timeline_entries": timeline_for(record=lead),
        "note_form": note_form or NoteForm(),
        "note_add_url": reverse("leads:lead-note-add", args=[lead.pk]),
        "can_add_note": editable,
        # Opened by the page once it has loaded, after a save that a command asked for.
        "then_url": reverse(THEN_COMMANDS[then], args=[lead.pk]) if then and editable else "",
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


def _then_command(request: HtmxHttpRequest) -> str:
    """The command the form's Save runs next ("qualify", "disqualify"), or ""."""
    then = request.POST.get("then") or request.GET.get("then") or ""
    return then if then in THEN_COMMANDS else ""


def _after_save(request: HtmxHttpRequest, lead: Lead, then: str) -> HttpResponse:
    """Back to the lead, or on to the command the salesperson clicked. With htmx the lead page
    loads again (the saved values) and opens the command's dialog from there (`?then=`);
    without JavaScript the command's own page opens."""
    if not then:
        return redirect(lead)
    if request.htmx:
        return navigate(request, f"{lead.get_absolute_url()}?{urlencode({'then': then})}")
    return redirect(reverse(THEN_COMMANDS[then], args=[lead.pk]))


@require_http_methods(["GET", "POST"])
def lead_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The lead form. Its Save also serves Qualify and Disqualify (`then`): the edits are saved
    first, so the command sees them; a form with errors shows them and runs nothing."""
    is_post = request.method == "POST"
    # Only the owner joined: an open lead's other links are mostly empty, and planning the
    # join of all six took 3.6 ms against 0.4 at 1,000,000 leads. A set link is read when the
    # page shows it (a closed lead's parent account, contact and opportunity).
    lead = selectors.lead_get_for_user(
        user=request.user, pk=pk, for_change=is_post, links=("owner",)
    )
    then = _then_command(request)
    form = LeadForm(request.POST, instance=lead) if is_post else None
    if form is not None and form.is_valid():
        return _save(request, lead, form, then)
    if form is not None:
        # The page shows the stored lead around the form, not the values just typed.
        lead.refresh_from_db()
    context = _detail_context(request, lead, form=form, then="" if is_post else then)
    context["duplicate_count"] = lead_duplicates_count(lead=lead)
    return render(request, "leads/lead_detail.html", context)


def _save(request: HtmxHttpRequest, lead: Lead, form: LeadForm, then: str) -> HttpResponse:
    # A command clicked on an unchanged form has nothing to save (and says nothing about it).
    if not then or form.has_changed():
        try:
            services.lead_update(lead=lead, acting_user=request.user, data=form.cleaned_data)
        except LeadError as error:
            messages.error(request, error.message)
            return navigate(request, lead.get_absolute_url())
        messages.success(request, LEAD_SAVED)
    return _after_save(request, lead, then)


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
    """Matches for the Existing Account / Existing Contact lookups (`?q=`), as listbox options
    that say enough (email or city) to tell namesakes apart."""
    query = search_text(request)
    if record_type == "account":
        records = selectors.account_lookup(query=query)
    elif record_type == "contact":
        records = selectors.contact_lookup(query=query)
    else:
        raise Http404
    results = [(record, lookup_detail(record)) for record in records]
    return render(request, "leads/lead_detail.html#lookup-results", {"results": results})


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
