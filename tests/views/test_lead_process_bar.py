"""The lead's process bar: a tick per Qualify step done, and the budget as money."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import AccountFactory, LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _steps(html: str) -> str:
    return html.split('<ul class="stage-steps" aria-label="Qualify steps">')[1].split("</ul>")[0]


def test_it_ticks_each_step_that_is_done(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(
        owner=salesperson,
        existing_account=AccountFactory(),
        budget_amount=Decimal("5000"),
        decision_maker=True,
    )

    steps = _steps(sales_client.get(lead.get_absolute_url()).content.decode())

    for name in ("Existing Account", "Estimated Budget", "Identify Decision Maker"):
        assert (
            f'<li class="done"><span class="tick" aria-hidden="true">✓</span>{name}'
            '<span class="visually-hidden">: done</span></li>'
        ) in steps
    for name in ("Existing Contact", "Purchase Timeframe", "Purchase Process", "Capture Summary"):
        assert (
            f'<li><span class="tick" aria-hidden="true"></span>{name}'
            '<span class="visually-hidden">: not done</span></li>'
        ) in steps
    assert "3 of 7 steps done" in sales_client.get(lead.get_absolute_url()).content.decode()


def test_the_flyout_shows_the_budget_with_its_currency(
    sales_client: Client, salesperson: User, settings
) -> None:
    settings.CURRENCY = "USD"
    lead = LeadFactory(owner=salesperson, budget_amount=Decimal("25000"))

    html = sales_client.get(reverse("leads:lead-stage-edit", args=[lead.pk]), **HTMX)

    page = html.content.decode()
    assert '<span class="money-affix" id="id_budget_amount_currency" title="USD">$</span>' in page
    assert 'name="budget_amount" value="25,000.00"' in page


def test_it_saves_a_budget_typed_with_thousands_separators(
    sales_client: Client, salesperson: User
) -> None:
    lead = LeadFactory(owner=salesperson)

    response = sales_client.post(
        reverse("leads:lead-stage-edit", args=[lead.pk]), {"budget_amount": "12,500"}, **HTMX
    )

    assert response.status_code == 200
    assert '<li class="done"><span class="tick" aria-hidden="true">✓</span>Estimated Budget' in (
        _steps(response.content.decode())
    )
    lead.refresh_from_db()
    assert lead.budget_amount == Decimal("12500")


def test_a_closed_lead_shows_the_budget_as_money(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True, budget_amount=Decimal("12500"))

    html = sales_client.get(
        reverse("leads:lead-stage-edit", args=[lead.pk]), **HTMX
    ).content.decode()

    assert "<dt>Budget Amount</dt><dd>$12,500.00</dd>" in html
