"""The side pane's opportunities: prefilled, up to five, added and removed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm.models import Account, Opportunity
from qualification.engine import (
    TOO_MANY_OPPORTUNITIES,
)
from qualification.forms import (
    ONE_OPPORTUNITY,
    OPPORTUNITY_LIMIT,
)
from qualification.models import Qualification
from tests.views.qualify.screens import (
    HX,
    SALESPERSON,
    assert_nothing_written,
    client_redirect,
    configure,
    counts,
    opportunity_fields,
    opportunity_form_url,
    qualify_url,
    screen_post,
)

pytestmark = pytest.mark.django_db


def test_it_prefills_the_default_opportunity_from_the_lead(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()

    assert "<legend>Opportunity 1</legend>" in body
    assert '<label for="id_opportunity-0-topic" class="required">Topic</label>' in body
    assert 'name="opportunity-0-topic" value="Office chairs"' in body
    for label in ("Est. Revenue", "Est. Close Date", "Purchase Timeframe", "Description"):
        assert f">{label}</label>" in body
    assert '<option value="this_quarter" selected>This Quarter</option>' in body
    assert 'aria-label="Remove opportunity 1"' in body
    assert ">+ New Opportunity</button>" in body
    assert f'hx-get="{opportunity_form_url(lead)}?index=1"' in body
    assert "1 of 5" in body


def test_it_creates_three_opportunities_the_first_primary(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)
    data = screen_post(
        lead,
        **{"opportunity-index": ["0", "2", "3"]},
        **opportunity_fields(
            2, "Desks", estimated_revenue="4000", estimated_close_date="2027-03-31"
        ),
        **opportunity_fields(3, "Lamps"),
    )

    response = sales_client.post(qualify_url(lead), data, **HX)

    lead.refresh_from_db()
    assert client_redirect(response) == lead.qualifying_opportunity.get_absolute_url()
    assert lead.qualifying_opportunity.topic == "Office chairs"
    links = Qualification.objects.get().opportunity_links.select_related("opportunity")
    assert [link.opportunity.topic for link in links] == ["Office chairs", "Desks", "Lamps"]
    desks = Opportunity.objects.get(topic="Desks")
    assert desks.estimated_revenue == Decimal("4000")
    assert str(desks.estimated_close_date) == "2027-03-31"
    # Mapped fields the form does not show still come from the lead.
    assert desks.budget_amount == Decimal("12500.00")


def test_it_creates_five_opportunities_and_refuses_a_sixth(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)
    five = {"opportunity-index": [str(index) for index in range(5)]}
    for index in range(1, 5):
        five |= opportunity_fields(index, f"Deal {index}")
    six = five | {"opportunity-index": [str(index) for index in range(6)]}
    six |= opportunity_fields(5, "Deal 5")
    before = counts()

    response = sales_client.post(qualify_url(lead), screen_post(lead, **six), **HX)

    assert TOO_MANY_OPPORTUNITIES.format(max=5) in response.content.decode()
    assert_nothing_written(lead, before)

    response = sales_client.post(qualify_url(lead), screen_post(lead, **five), **HX)

    client_redirect(response)
    assert Opportunity.objects.count() == 5


def test_it_adds_an_opportunity_form_and_redraws_the_add_button(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead), {"index": "1", "opportunity-index": ["0"]}, **HX
    )

    body = response.content.decode()
    assert '<fieldset class="opportunity-form" id="opportunity-1">' in body
    assert "<legend>Opportunity 2</legend>" in body
    # A further opportunity starts with the lead's values, its topic too (to edit).
    assert f'name="opportunity-1-topic" value="{lead.topic}" maxlength="300"' in body
    assert '<option value="this_quarter" selected>This Quarter</option>' in body
    assert '<div id="opportunity-add" class="opportunity-add" hx-swap-oob="true">' in body
    assert "?index=2" in body
    assert "2 of 5" in body


def test_it_refuses_a_sixth_opportunity_form(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead),
        {"index": "5", "opportunity-index": ["0", "1", "2", "3", "4"]},
        **HX,
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert "opportunity-5" not in body
    assert " disabled\n          hx-get=" in body
    assert OPPORTUNITY_LIMIT.format(max=5) in body


def test_it_allows_one_opportunity_when_multiple_is_off(sales_client, lead):
    configure(opportunity_mode=SALESPERSON)

    body = sales_client.get(qualify_url(lead), **HX).content.decode()
    assert ONE_OPPORTUNITY in body

    response = sales_client.get(opportunity_form_url(lead), {"opportunity-index": ["0"]}, **HX)
    assert "opportunity-1" not in response.content.decode()


def test_it_removes_an_opportunity_form_and_reenables_the_add_button(sales_client, lead):
    configure(opportunity_mode=SALESPERSON, allow_multiple_opportunities=True)

    response = sales_client.get(
        opportunity_form_url(lead),
        {"remove": "4", "opportunity-index": ["0", "1", "2", "3", "4"]},
        **HX,
    )

    body = response.content.decode()
    assert "<fieldset" not in body
    assert "4 of 5" in body
    assert " disabled" not in body
    assert "?index=4" in body


def test_it_creates_no_opportunity_when_the_default_is_removed(sales_client, lead):
    configure(opportunity_mode=SALESPERSON)
    data = screen_post(lead, **{"opportunity-index": []})

    response = sales_client.post(qualify_url(lead), data, **HX)

    assert client_redirect(response) == lead.get_absolute_url()
    assert Opportunity.objects.count() == 0
    assert Account.objects.count() == 1
