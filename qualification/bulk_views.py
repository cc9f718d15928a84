"""Interim: every view answers 404 until its real implementation lands."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


bulk_qualify = _missing
bulk_job_detail = _missing
bulk_job_progress = _missing
