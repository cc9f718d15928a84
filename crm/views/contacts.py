"""Contact pages: New, the contact with its opportunities, leads and timeline, Edit, Delete,
notes, and the Account Name picker's options."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from crm import selectors
from crm.forms import ContactForm
from crm.http import HtmxHttpRequest, search_text
from crm.models import Contact
from crm.services import contacts as services
from crm.views import record_pages
from crm.views.record_pages import RecordPage, record_context


def _context(request: HtmxHttpRequest, contact: Contact, **extra: Any) -> dict[str, Any]:
    return record_context(request, CONTACT_PAGE, contact, **extra) | {
        "opportunities": selectors.contact_opportunities(contact=contact),
        "leads": selectors.record_leads(record=contact),
    }


CONTACT_PAGE = RecordPage(
    name="contact",
    template="crm/contact_detail.html",
    form_class=ContactForm,
    get=selectors.contact_get,
    update=services.contact_update,
    context=_context,
    create=services.contact_create,
    delete=services.contact_delete,
)


@require_GET
def contact_detail(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_detail(request, CONTACT_PAGE, pk)


@require_http_methods(["GET", "POST"])
@permission_required("crm.add_contact", raise_exception=True)
def contact_create(request: HtmxHttpRequest) -> HttpResponse:
    return record_pages.record_create(request, CONTACT_PAGE)


@require_http_methods(["GET", "POST"])
def contact_edit(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_edit(request, CONTACT_PAGE, pk)


@require_http_methods(["GET", "POST"])
def contact_delete(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_delete(request, CONTACT_PAGE, pk)


@require_POST
def contact_note_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return record_pages.record_note(request, CONTACT_PAGE, pk)


@require_GET
def account_options(request: HtmxHttpRequest) -> HttpResponse:
    """The options of the contact form's Account Name picker for what its search box holds."""
    try:
        selected = int(request.GET.get("account") or 0) or None
    except ValueError:
        selected = None
    options = selectors.account_options(
        query=search_text(request, "account_q"), selected_id=selected
    )
    context = {"options": options, "selected": selected}
    return render(request, "crm/_account_field.html#account-options", context)
