from __future__ import annotations

import json

import pytest
from django.contrib.auth.models import User
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from leads.models import Lead, LeadState, LeadStatus
from leads.services import LEAD_CLOSED, LEAD_HAS_OPPORTUNITY, LEAD_NOT_YOURS
from tests.factories import LeadFactory, OpportunityFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
BULK = reverse("leads:lead-bulk-disqualify")


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _url(lead: Lead) -> str:
    return reverse("leads:lead-disqualify", args=[lead.pk])


def _state(lead: Lead) -> tuple[str, str]:
    lead.refresh_from_db()
    return (lead.state, lead.status_reason)


# One lead, from the lead form -----------------------------------------------------------------


def test_it_opens_the_disqualify_dialog(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.get(_url(lead), **HTMX)

    html = response.content.decode()
    assert '<dialog data-modal class="lead-dialog"' in html
    assert 'aria-labelledby="disqualify-title"' in html
    assert '<label for="id_reason">Status Reason</label>' in html
    for label in ("Lost", "Cannot Contact", "No Longer Interested", "Canceled"):
        assert f">{label}</option>" in html
    assert ">Qualified</option>" not in html
    assert f'hx-post="{_url(lead)}"' in html


def test_it_shows_the_dialog_as_a_page_without_javascript(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    html = sales_client.get(_url(lead)).content.decode()

    assert "<html" in html
    assert "<dialog data-modal open" in html
    assert f'<a class="button" href="{lead.get_absolute_url()}">Cancel</a>' in html


def test_it_disqualifies_with_the_chosen_reason(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_url(lead), {"reason": LeadStatus.CANNOT_CONTACT}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Redirect"] == lead.get_absolute_url()
    assert _state(lead) == (LeadState.DISQUALIFIED, LeadStatus.CANNOT_CONTACT)
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Lead disqualified: Cannot Contact."
    ]


def test_it_disqualifies_without_javascript(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_url(lead), {"reason": LeadStatus.LOST})

    assert response.status_code == 302
    assert response.url == lead.get_absolute_url()
    assert _state(lead) == (LeadState.DISQUALIFIED, LeadStatus.LOST)


def test_it_refuses_a_reason_that_is_not_offered(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(_url(lead), {"reason": LeadStatus.QUALIFIED}, **HTMX)

    assert response.status_code == 200
    assert "Select a valid choice." in response.content.decode()
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)


@pytest.mark.parametrize("trait", ["qualified", "disqualified"])
def test_it_refuses_to_disqualify_a_closed_lead(
    sales_client: Client, salesperson: User, trait: str
) -> None:
    lead = LeadFactory(owner=salesperson, **{trait: True})
    before = _state(lead)

    response = sales_client.post(_url(lead), {"reason": LeadStatus.CANCELED}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert LEAD_CLOSED in html
    assert "HX-Redirect" not in response
    assert _state(lead) == before


def test_it_warns_before_disqualifying_a_closed_lead(sales_client: Client, salesperson) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)

    html = sales_client.get(_url(lead), **HTMX).content.decode()

    assert LEAD_CLOSED in html
    assert '<button type="submit" class="primary" disabled>Disqualify</button>' in html


def test_it_refuses_a_lead_with_an_opportunity(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, qualifying_opportunity=OpportunityFactory())

    get_html = sales_client.get(_url(lead), **HTMX).content.decode()
    response = sales_client.post(_url(lead), {"reason": LeadStatus.LOST}, **HTMX)

    assert escape(LEAD_HAS_OPPORTUNITY) in get_html
    assert escape(LEAD_HAS_OPPORTUNITY) in response.content.decode()
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)


def test_it_403s_another_salespersons_lead(sales_client: Client, other_salesperson) -> None:
    lead = LeadFactory(owner=other_salesperson)

    assert sales_client.get(_url(lead), **HTMX).status_code == 403
    assert sales_client.post(_url(lead), {"reason": LeadStatus.LOST}).status_code == 403
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)


def test_it_lets_a_manager_disqualify_any_lead(
    client: Client, manager: User, other_salesperson: User
) -> None:
    client.force_login(manager)
    lead = LeadFactory(owner=other_salesperson)

    client.post(_url(lead), {"reason": LeadStatus.LOST})

    assert _state(lead) == (LeadState.DISQUALIFIED, LeadStatus.LOST)


def test_it_404s_a_missing_lead(sales_client: Client) -> None:
    response = sales_client.post(reverse("leads:lead-disqualify", args=[999]), {"reason": "lost"})

    assert response.status_code == 404


def test_it_requires_login(client: Client) -> None:
    lead = LeadFactory()

    response = client.post(_url(lead), {"reason": LeadStatus.LOST})

    assert response.status_code == 302
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)


def test_it_refuses_a_post_without_a_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson)

    response = client.post(_url(lead), {"reason": LeadStatus.LOST})

    assert response.status_code == 403
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)


# Many leads, from the grid --------------------------------------------------------------------


def test_it_asks_for_the_reason_for_the_selected_leads(
    sales_client: Client, salesperson: User
) -> None:
    leads = LeadFactory.create_batch(3, owner=salesperson)

    response = sales_client.post(
        BULK, {"lead_ids": [lead.pk for lead in leads], "view": "my_open"}, **HTMX
    )

    html = response.content.decode()
    assert "Disqualify 3 leads" in html
    assert '<label for="id_reason">Status Reason</label>' in html
    for lead in leads:
        assert f'<input type="hidden" name="lead_ids" value="{lead.pk}">' in html
    assert all(_state(lead) == (LeadState.OPEN, LeadStatus.NEW) for lead in leads)


def test_it_disqualifies_a_mixed_selection(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    fine = LeadFactory.create_batch(2, owner=salesperson)
    closed = LeadFactory(owner=salesperson, first_name="Cat", last_name="Closed", qualified=True)
    theirs = LeadFactory(owner=other_salesperson, first_name="Tom", last_name="Theirs")
    ids = [fine[0].pk, closed.pk, theirs.pk, fine[1].pk]

    response = sales_client.post(
        BULK, {"lead_ids": ids, "view": "open", "reason": LeadStatus.CANCELED}, **HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200
    assert json.loads(response["HX-Trigger"]) == {"leadsChanged": {}}
    assert 'id="messages"' in html
    assert 'hx-swap-oob="true"' in html
    assert "2 leads disqualified." in html
    assert "2 leads were not disqualified:" in html
    assert f"{closed}: {LEAD_CLOSED}" in html
    assert f"{theirs}: {LEAD_NOT_YOURS}" in html
    assert [_state(lead) for lead in fine] == [(LeadState.DISQUALIFIED, LeadStatus.CANCELED)] * 2
    assert _state(theirs) == (LeadState.OPEN, LeadStatus.NEW)


def test_it_disqualifies_all_leads_in_the_view(sales_client: Client, salesperson: User) -> None:
    matching = LeadFactory.create_batch(3, owner=salesperson, company_name="Contoso")
    other = LeadFactory(owner=salesperson, company_name="Fabrikam")

    response = sales_client.post(
        BULK,
        {
            "lead_ids": [matching[0].pk],
            "select_all_matching": "1",
            "view": "my_open",
            "q": "cont",
            "reason": LeadStatus.LOST,
        },
    )

    assert response.status_code == 302
    assert response.url == f"{reverse('leads:lead-list')}?q=cont"
    assert all(_state(lead)[0] == LeadState.DISQUALIFIED for lead in matching)
    assert _state(other)[0] == LeadState.OPEN


def test_it_carries_select_all_into_the_dialog(sales_client: Client, salesperson: User) -> None:
    LeadFactory.create_batch(3, owner=salesperson)

    html = sales_client.post(
        BULK, {"select_all_matching": "1", "view": "my_open"}, **HTMX
    ).content.decode()

    assert "Disqualify 3 leads" in html
    assert '<input type="hidden" name="select_all_matching" value="1">' in html
    assert 'name="lead_ids"' not in html


def test_it_asks_to_select_leads_first(sales_client: Client) -> None:
    response = sales_client.post(BULK, {"view": "my_open"}, **HTMX)

    html = response.content.decode()
    assert "Select at least one lead first." in html
    assert "<dialog" not in html


def test_it_rejects_get_for_bulk(sales_client: Client) -> None:
    assert sales_client.get(BULK).status_code == 405


def test_it_refuses_a_bulk_post_without_a_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)
    lead = LeadFactory(owner=salesperson)

    response = client.post(BULK, {"lead_ids": [lead.pk], "reason": LeadStatus.LOST})

    assert response.status_code == 403
    assert _state(lead) == (LeadState.OPEN, LeadStatus.NEW)
