"""Account pages: New, the account with its contacts, opportunities, leads and timeline,
Edit, Delete, notes."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors
from crm.forms import AccountForm
from crm.http import HtmxHttpRequest
from crm.models import Account
from crm.services import accounts as services
from crm.views import record_pages
from crm.views.record_pages import RecordPage, record_context


def _context(request: HtmxHttpRequest, account: Account, **extra: Any) -> dict[str, Any]:
    return record_context(request, ACCOUNT_PAGE, account, **extra) | {
        "contacts": selectors.account_contacts(account=account),
        "opportunities": selectors.account_opportunities(account=account),
        "leads": selectors.record_leads(record=account),
    }


ACCOUNT_PAGE = RecordPage(
    name="account",
    template="crm/account_detail.html",
    form_class=AccountForm,
    get=selectors.account_get,
    update=services.account_update,
    context=_context,
    create=services.account_create,
    delete=services.account_delete,
)


@require_GET
def account_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_detail(request, ACCOUNT_PAGE, pk)


@require_http_methods(["GET", "POST"])
@permission_required("crm.add_account", raise_exception=True)
def account_create(request: HtmxHttpRequest) -> HttpResponse:
    return record_pages.record_create(request, ACCOUNT_PAGE)


@require_http_methods(["GET", "POST"])
def account_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_edit(request, ACCOUNT_PAGE, pk)


@require_http_methods(["GET", "POST"])
def account_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_delete(request, ACCOUNT_PAGE, pk)


@require_POST
def account_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_note(request, ACCOUNT_PAGE, pk)
