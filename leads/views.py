"""Lead pages: the grid with its views and bulk commands, the lead form with the Qualify stage
flyout and timeline, and the disqualify / reactivate / delete commands.

Login is required everywhere (LoginRequiredMiddleware). Any signed-in user may look at any
lead; changing one needs its ownership or the sales manager permission (leads.selectors).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event

from crm.forms import NoteForm
from crm.grids import PAGE_SIZES, Column, header_cells, page_size, render_page
from crm.http import HtmxHttpRequest, search_text
from crm.pagination import DeferredJoinPaginator
from crm.selectors import opportunity_stages, timeline_for
from crm.services.timeline import TimelineError, timeline_note_add
from leads import selectors, services
from leads.forms import DisqualifyForm, LeadForm, LeadSelectionForm, QualifyStageForm
from leads.models import Lead, LeadState
from leads.services import BulkOutcome, LeadError

DEFAULT_PAGE_SIZE = 50
BULK_FAILURES_LISTED = 20

LEAD_CREATED = "Lead created."
LEAD_SAVED = "Lead saved."
STAGE_SAVED = "Qualify stage saved."
NOTE_ADDED = "Note added."
LEAD_DISQUALIFIED = "Lead disqualified: {reason}."
LEAD_REACTIVATED = "Lead reactivated."
LEAD_DELETED = "Lead deleted."
NONE_EXISTS = "None of the selected leads exists any more."
NOT_YOURS_READ_ONLY = "This lead belongs to {owner}. You can view it but not change it."


# The grid ------------------------------------------------------------------------------------


LEAD_COLUMNS = (
    Column("name", "Name"),
    Column("topic", "Topic"),
    Column("company_name", "Company Name"),
    Column("email", "Email"),
    Column("business_phone", "Business Phone"),
    Column("status_reason", "Status Reason"),
    Column("owner", "Owner"),
    Column("created_at", "Created On"),
)


def _grid_url(**params: Any) -> str:
    """The grid's URL with the given parameters; defaults are left out to keep URLs short."""
    defaults = {
        "view": selectors.DEFAULT_VIEW,
        "q": "",
        "sort": selectors.DEFAULT_SORT,
        "page": 1,
        "per_page": DEFAULT_PAGE_SIZE,
    }
    kept = {key: value for key, value in params.items() if value != defaults.get(key)}
    url = reverse("leads:lead-list")
    return f"{url}?{urlencode(kept)}" if kept else url


def _grid_context(request: HtmxHttpRequest) -> dict[str, Any]:
    view = selectors.lead_view_or_default(request.GET.get("view"))
    query = search_text(request)
    sort = selectors.lead_sort_or_default(request.GET.get("sort"))
    per_page = page_size(request, DEFAULT_PAGE_SIZE)
    leads = selectors.lead_list(user=request.user, view=view, query=query, sort=sort)
    page = DeferredJoinPaginator(leads, per_page).get_page(request.GET.get("page"))
    base = {"view": view.value, "q": query, "per_page": per_page}
    here = {**base, "sort": sort}
    return {
        "page_title": view.label,
        "view": view,
        "views": selectors.LEAD_VIEWS,
        "query": query,
        "sort": sort,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "page_obj": page,
        "header": header_cells(
            LEAD_COLUMNS, sort, lambda next_sort: _grid_url(**base, sort=next_sort)
        ),
        "grid_url": _grid_url(**here, page=page.number),
        "previous_url": _grid_url(**here, page=page.number - 1) if page.has_previous() else "",
        "next_url": _grid_url(**here, page=page.number + 1) if page.has_next() else "",
        "size_urls": [(size, _grid_url(**{**here, "per_page": size})) for size in PAGE_SIZES],
        "list_url": reverse("leads:lead-list"),
    }


@require_GET
def lead_list(request: HtmxHttpRequest) -> HttpResponse:
    return render_page(request, "leads/lead_list.html", "lead-grid", _grid_context(request))


# The lead form -------------------------------------------------------------------------------


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
    form = LeadForm(request.POST) if request.method == "POST" else LeadForm()
    if form.is_bound and form.is_valid():
        lead = services.lead_create(acting_user=request.user, data=form.cleaned_data)
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


def _dialog(
    request: HtmxHttpRequest, template: str, partial: str, context: dict[str, Any]
) -> HttpResponse:
    """A dialog swapped into #modal-root (htmx), or the same content as a page without JS."""
    if request.htmx:
        return render(request, f"{template}#{partial}", context)
    return render(request, template, {**context, "as_page": True})


def _navigate(request: HtmxHttpRequest, url: str) -> HttpResponse:
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


def _disqualify_refusal(lead: Lead) -> str:
    """Why the dialog can't disqualify this lead, said before the user picks a reason."""
    if lead.is_closed:
        return services.LEAD_CLOSED
    if selectors.lead_has_opportunity(lead=lead):
        return services.LEAD_HAS_OPPORTUNITY
    return ""


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
            return _navigate(request, lead.get_absolute_url())
    context = {
        "page_title": "Disqualify lead",
        "lead": lead,
        "form": form,
        "refusal": _disqualify_refusal(lead) if request.method == "GET" else "",
        "action": reverse("leads:lead-disqualify", args=[lead.pk]),
        "cancel_url": lead.get_absolute_url(),
    }
    return _dialog(request, "leads/lead_disqualify.html", "disqualify-dialog", context)


@require_POST
def lead_reactivate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk, for_change=True)
    try:
        services.lead_reactivate(lead=lead, acting_user=request.user)
    except LeadError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, LEAD_REACTIVATED)
    return _navigate(request, lead.get_absolute_url())


@require_http_methods(["GET", "POST"])
def lead_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    lead = selectors.lead_get_for_user(user=request.user, pk=pk)
    if not selectors.lead_can_delete(request.user, lead):
        raise PermissionDenied
    if request.method == "POST":
        try:
            services.lead_delete(lead=lead, acting_user=request.user)
        except LeadError as error:
            messages.error(request, error.message)
            return _navigate(request, lead.get_absolute_url())
        messages.success(request, LEAD_DELETED)
        return _navigate(request, reverse("leads:lead-list"))
    context = {
        "page_title": "Delete lead",
        "lead": lead,
        "action": reverse("leads:lead-delete", args=[lead.pk]),
        "cancel_url": lead.get_absolute_url(),
    }
    return _dialog(request, "leads/lead_delete.html", "delete-dialog", context)


# Bulk commands from the grid ------------------------------------------------------------------


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
    return _grid_url(view=data.get("view") or selectors.DEFAULT_VIEW, q=data.get("q", ""))


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
    return _dialog(request, "leads/lead_disqualify.html", "disqualify-dialog", context)


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
    return _dialog(request, "leads/lead_delete.html", "delete-dialog", context)
