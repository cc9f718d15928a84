"""Timeline attachments, downloaded through the app (login required), never from MEDIA_ROOT."""

from __future__ import annotations

from pathlib import PurePosixPath

from django.http import FileResponse, Http404
from django.views.decorators.http import require_GET

from crm import selectors
from crm.http import HtmxHttpRequest


@require_GET
def timeline_attachment(request: HtmxHttpRequest, entry_pk: int) -> FileResponse:
    """Serve a timeline attachment as a download under its file name."""
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
