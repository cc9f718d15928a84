"""Notes and attachments on the timeline of accounts, contacts and opportunities."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from crm import selectors
from crm.forms import NoteForm
from crm.http import HtmxHttpRequest, render_forbidden, render_page
from crm.models import Opportunity, OpportunityState
from crm.services.errors import OPPORTUNITY_CHANGE_FORBIDDEN, OPPORTUNITY_CLOSED
from crm.services.timeline import TimelineError, timeline_note_add
from crm.views.opportunity_page import TEMPLATE, opportunity_context

NOTE_ADDED = "Note added."


@require_POST
def opportunity_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    if not selectors.owner_or_manager(user=request.user, owner_id=opportunity.owner_id):
        return render_forbidden(request, OPPORTUNITY_CHANGE_FORBIDDEN)
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
    context = opportunity_context(request, opportunity, note_form=form)
    return render_page(request, TEMPLATE, "timeline", context)


def _note_added(request: HtmxHttpRequest, opportunity: Opportunity) -> HttpResponse:
    if not request.htmx:
        messages.success(request, NOTE_ADDED)
        return redirect(opportunity)
    context = opportunity_context(request, opportunity)
    response = render(request, f"{TEMPLATE}#timeline", context)
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
