"""The account page."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from crm import selectors
from crm.http import HtmxHttpRequest


@require_GET
def account_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    account = selectors.account_get(pk=pk)
    context = {
        "account": account,
        "origin_lead": selectors.originating_lead(account),
        "contacts": selectors.account_contacts(account=account),
        "opportunities": selectors.account_opportunities(account=account),
        "timeline_entries": selectors.timeline_for(record=account),
        "can_add_note": False,
    }
    return render(request, "crm/account_detail.html", context)
