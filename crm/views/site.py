"""Answers the site gives outside any record."""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.views.decorators.http import require_GET

from crm.http import HtmxHttpRequest


@login_not_required
@require_GET
def favicon(request: HtmxHttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico on pages without an icon link (Django admin)."""
    return redirect(static("favicon.svg"), permanent=True)
