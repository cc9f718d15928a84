"""Interim: every view answers 404 until its real implementation lands."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


lead_list = _missing
lead_create = _missing
lead_bulk_disqualify = _missing
lead_bulk_reactivate = _missing
lead_detail = _missing
lead_stage_edit = _missing
lead_note_add = _missing
lead_disqualify = _missing
lead_reactivate = _missing
lead_delete = _missing
