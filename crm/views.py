"""Interim: every view answers 404 until its real implementation lands."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


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
timeline_attachment = _missing

