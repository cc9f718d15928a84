"""The README's screenshots of what this suite's browser tests drive, taken from the real pages
with demo-like data. Not collected by `make test` (the name is not test_*.py); refresh them with
`make screenshots`, which writes static/screenshots/ (SCREENSHOTS_DIR elsewhere)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.factories import AccountFactory, ContactFactory, LeadFactory, UserFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
OUT = Path(os.environ.get("SCREENSHOTS_DIR") or Path(__file__).parents[2] / "static/screenshots")


def shoot(page: Page, name: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUT / name))
    assert (OUT / name).stat().st_size > 10_000


def test_lead_form_with_the_flyout(page: Page, live_server, login):
    dana = UserFactory(username="dana", first_name="Dana", last_name="Diaz", salesperson=True)
    owner = UserFactory(username="lee")
    AccountFactory(name="Contoso Ltd", city="Paris", owner=owner)
    AccountFactory(name="Contoso Ltd", city="Seattle", owner=owner)
    AccountFactory(name="Contoso Pharmaceuticals", city="Basel", owner=owner)
    ContactFactory(first_name="Ana", last_name="Ruiz", email="ana.ruiz@contoso.example")
    lead = LeadFactory(
        owner=dana,
        topic="50 espresso machines for the Paris office",
        first_name="Nina",
        last_name="Novak",
        job_title="Facilities manager",
        company_name="Contoso Ltd",
        email="nina.novak@contoso.example",
        website="https://www.contoso.example",
        city="Paris",
        country="France",
        purchase_timeframe="this_quarter",
        budget_amount=Decimal("125000"),
        decision_maker=True,
    )
    page.set_viewport_size({"width": 1280, "height": 800})
    login(dana)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_role("region", name="Process bar").get_by_role(
        "button", name=re.compile("^Qualify")
    ).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    flyout.get_by_role("combobox", name="Existing Account").fill("contoso")
    expect(flyout.get_by_role("listbox").get_by_role("option")).to_have_count(3)
    flyout.get_by_role("listbox").get_by_role("option").nth(1).hover()
    page.evaluate("window.scrollTo(0, 0)")

    shoot(page, "lead-form-flyout.png")
