"""The opportunity page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors
from crm.http import HtmxHttpRequest, render_page
from crm.views.opportunity_page import TEMPLATE, opportunity_context


@require_GET
def opportunity_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    context = opportunity_context(request, opportunity)
    if request.htmx and request.htmx.target == "timeline":
        # The timeline refreshes itself after a stage change (an opportunityStageChanged event).
        return render_page(request, TEMPLATE, "timeline", context)
    return render(request, TEMPLATE, context)
