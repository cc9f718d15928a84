"""The contact page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors
from crm.http import HtmxHttpRequest


@require_GET
def contact_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    contact = selectors.contact_get(pk=pk)
    context = {
        "contact": contact,
        "origin_lead": selectors.originating_lead(contact),
        "opportunities": selectors.contact_opportunities(contact=contact),
        "timeline_entries": selectors.timeline_for(record=contact),
        "can_add_note": False,
    }
    return render(request, "crm/contact_detail.html", context)
