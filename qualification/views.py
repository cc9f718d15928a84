"""Interim: every view answers 404 until its real implementation lands."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def _missing(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
    raise Http404


lead_qualify = _missing
qualify_opportunity_form = _missing
qualify_record_search = _missing
lead_qualified = _missing
