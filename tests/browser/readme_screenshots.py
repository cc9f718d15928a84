"""The README's screenshots of what this suite's browser tests drive, taken from the real pages
with demo-like data. Not collected by `make test` (the name is not test_*.py); refresh them with
`make screenshots`, which writes static/screenshots/ (SCREENSHOTS_DIR elsewhere)."""

from __future__ import annotations

import os
import re
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from qualification.management.commands.load_demo_data import DEMO_USERS
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


def _demo_login(page: Page, live_server, username: str = "dana") -> None:
    """The demo data (`make run` loads the same) and its salesperson signed in."""
    call_command("load_demo_data", stdout=StringIO(), stderr=StringIO())
    password = next(user.password for user in DEMO_USERS if user.username == username)
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My Open Leads")).to_be_visible(timeout=30_000)


def test_lead_grid(page: Page, live_server):
    """All Leads at 1280 px: every column on screen, two leads ticked, the command bar saying
    what applies."""
    page.set_viewport_size({"width": 1280, "height": 800})
    _demo_login(page, live_server)
    page.goto(f"{live_server.url}/leads/?view=all")
    grid = page.get_by_role("region", name="All Leads")
    expect(grid).to_be_visible(timeout=30_000)
    boxes = grid.get_by_role("checkbox", name=re.compile(r"^Select (?!all)"))
    boxes.nth(1).check()
    boxes.nth(2).check()
    expect(page.get_by_role("toolbar", name="Command bar")).to_contain_text("2 selected")
    page.wait_for_load_state("networkidle")

    shoot(page, "lead-grid.png")


def test_lead_grid_on_a_phone(page: Page, live_server):
    page.set_viewport_size({"width": 390, "height": 844})
    _demo_login(page, live_server)
    page.get_by_role("region", name="My Open Leads").get_by_role(
        "checkbox", name=re.compile(r"^Select (?!all)")
    ).first.check()
    page.evaluate("window.scrollTo(0, 0)")

    shoot(page, "lead-grid-phone.png")


def test_lead_grid_columns(page: Page, live_server):
    page.set_viewport_size({"width": 1280, "height": 800})
    _demo_login(page, live_server)
    page.get_by_role("toolbar", name="Command bar").get_by_role("link", name="Edit columns").click()
    dialog = page.get_by_role("dialog", name="Edit columns")
    dialog.get_by_role("checkbox", name="Topic").uncheck()
    dialog.get_by_role("checkbox", name="Business Phone").uncheck()

    shoot(page, "lead-grid-columns.png")
