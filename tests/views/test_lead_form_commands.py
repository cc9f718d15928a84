"""Qualify and Disqualify on the lead form save the typed edits first (the form's Save with
`then`), then open their screen; a form with errors shows them and opens nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from leads.services import LEAD_FORM_FIELDS
from leads.views.detail import LEAD_SAVED
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _detail(lead: Lead) -> str:
    return lead.get_absolute_url()


def _qualify(lead: Lead) -> str:
    return reverse("qualification:lead-qualify", args=[lead.pk])


def _form_data(lead: Lead, **changes: str) -> dict[str, str]:
    """The lead form as the page draws it (every field), with `changes` typed in."""
    return {**{name: getattr(lead, name) or "" for name in LEAD_FORM_FIELDS}, **changes}


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_qualify_saves_the_edits_then_opens_the_qualify_page_without_javascript(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson, company_name="Old Co")

    response = sales_client.post(
        _detail(lead), _form_data(lead, company_name="New Co", then="qualify")
    )

    assert response.status_code == 302
    assert response.url == _qualify(lead)
    assert _messages(response) == [LEAD_SAVED]
    lead.refresh_from_db()
    assert lead.company_name == "New Co"


def test_qualify_saves_the_edits_then_reloads_the_lead_to_open_the_pane_with_htmx(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson, company_name="Old Co")

    response = sales_client.post(
        _detail(lead), _form_data(lead, company_name="New Co", then="qualify"), **HTMX
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == f"{_detail(lead)}?then=qualify"
    lead.refresh_from_db()
    assert lead.company_name == "New Co"


def test_the_reloaded_lead_opens_the_qualify_screen_once_loaded(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    html = sales_client.get(_detail(lead), {"then": "qualify"}).content.decode()

    assert (
        f'<div hidden data-then-command hx-get="{_qualify(lead)}" hx-trigger="load" '
        'hx-target="#modal-root"></div>'
    ) in html


def test_disqualify_saves_first_and_opens_the_disqualify_dialog(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson, topic="Old topic")

    response = sales_client.post(
        _detail(lead), _form_data(lead, topic="New topic", then="disqualify")
    )
    reloaded = sales_client.get(_detail(lead), {"then": "disqualify"}).content.decode()

    assert response.url == reverse("leads:lead-disqualify", args=[lead.pk])
    lead.refresh_from_db()
    assert lead.topic == "New topic"
    assert f'hx-get="{reverse("leads:lead-disqualify", args=[lead.pk])}"' in reloaded


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_a_form_with_errors_shows_them_and_opens_nothing(
    sales_client: Client, salesperson: User, headers: dict[str, str]
) -> None:
    lead = LeadFactory(owner=salesperson, topic="Kept", last_name="Kept")

    response = sales_client.post(
        _detail(lead), _form_data(lead, topic="", last_name="", then="qualify"), **headers
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert "HX-Redirect" not in response
    assert "Correct the errors below." in html
    assert "This field is required." in html
    # The page keeps what was typed and says it is not saved; the command does not open.
    assert "data-warn-unsaved data-unsaved" in html
    assert "data-then-command" not in html
    lead.refresh_from_db()
    assert (lead.topic, lead.last_name) == ("Kept", "Kept")


def test_a_command_on_an_unchanged_form_saves_nothing(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)
    updated_at = lead.updated_at

    response = sales_client.post(_detail(lead), _form_data(lead, then="qualify"), **HTMX)

    assert response["HX-Redirect"] == f"{_detail(lead)}?then=qualify"
    assert _messages(response) == []
    lead.refresh_from_db()
    assert lead.updated_at == updated_at


def test_the_save_button_still_says_saved(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_detail(lead), _form_data(lead))

    assert response.url == _detail(lead)
    assert _messages(response) == [LEAD_SAVED]


@pytest.mark.parametrize("then", ["delete", "https://evil.example/", "../admin/"])
def test_an_unknown_command_is_a_plain_save(
    sales_client: Client, salesperson: User, then: str
) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_detail(lead), _form_data(lead, topic="Saved", then=then))
    page = sales_client.get(_detail(lead), {"then": then}).content.decode()

    assert response.url == _detail(lead)
    assert "data-then-command" not in page
    lead.refresh_from_db()
    assert lead.topic == "Saved"


def test_a_closed_lead_opens_no_command(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)

    html = sales_client.get(_detail(lead), {"then": "qualify"}).content.decode()

    assert "data-then-command" not in html


def test_it_403s_a_command_save_on_another_salespersons_lead(
    sales_client: Client, other_salesperson: User
) -> None:
    lead = LeadFactory(owner=other_salesperson, topic="Kept")

    response = sales_client.post(_detail(lead), _form_data(lead, topic="X", then="qualify"))

    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.topic == "Kept"


def test_the_lead_form_warns_about_unsaved_edits(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    html = sales_client.get(_detail(lead)).content.decode()

    assert "novalidate data-warn-unsaved>" in html
    assert 'src="/static/js/unsaved.js"' in html
