"""Pages for customer records; the remaining record pages land next."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from crm.http import HtmxHttpRequest
from crm.models import TimelineEntry


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


account_list = _missing
account_detail = _missing
contact_list = _missing
contact_detail = _missing
opportunity_list = _missing
opportunity_detail = _missing
opportunity_stage_edit = _missing
opportunity_stage_next = _missing
opportunity_stage_previous = _missing
opportunity_note_add = _missing


@require_GET
def timeline_attachment(request: HtmxHttpRequest, entry_pk: int) -> FileResponse:
    """Serve a timeline attachment as a download (login required by the middleware)."""
    entry = get_object_or_404(TimelineEntry, pk=entry_pk)
    if not entry.attachment:
        raise Http404("This entry has no attachment.")
    try:
        handle = entry.attachment.open("rb")
    except FileNotFoundError as error:
        raise Http404("The attachment file is missing.") from error
    return FileResponse(
        handle, as_attachment=True, filename=PurePosixPath(entry.attachment.name).name
    )
