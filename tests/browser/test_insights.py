"""The Insights page in the browser: the charts draw, "Show as table" flips a chart to its
table and back, the period and owner pickers redraw the figures, and a number opens the lead
grid with its leads."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from crm.models import SalesStage
from leads.models import LeadSource, LeadStatus
from tests.insights import dated_lead, dated_qualification

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def shown_width(table: Locator) -> float:
    """How wide the table shows: its wrapper is 1px, clipped, while only screen readers get it."""
    box = table.locator("xpath=..").bounding_box()
    return box["width"] if box else 0.0


def history(owner: User, *, on: date | None = None) -> None:
    """A few leads created, qualified (with an opportunity) and disqualified on one day."""
    when = on or timezone.now()
    for number in range(3):
        dated_lead(owner, created=when, source=LeadSource.TRADE_SHOW, last_name=f"Open{number}")
    dated_lead(owner, created=when, closed=when, reason=LeadStatus.CANCELED, last_name="Gone")
    won = dated_lead(owner, created=when, closed=when, reason=LeadStatus.QUALIFIED, last_name="Won")
    dated_qualification(
        won,
        on=when,
        account="linked",
        account_duplicates="linked",
        opportunities=[{"stage": SalesStage.PROPOSE, "estimated_revenue": Decimal(12500)}],
    )


def test_it_draws_the_charts_and_shows_them_as_tables(
    page: Page, live_server, login, salesperson: User
) -> None:
    history(salesperson)
    login(salesperson)

    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Insights").click()

    expect(page.get_by_role("heading", name="Insights", level=1)).to_be_visible()
    expect(page.get_by_text("Your leads ·")).to_be_visible()
    weekly = page.get_by_role("region", name="Leads per week")
    chart = weekly.get_by_role("img", name="Leads created, qualified and disqualified per week")
    expect(chart).to_be_visible()
    expect(weekly.locator("rect.bar")).to_have_count(3)  # created, qualified, disqualified
    table = weekly.get_by_role("table", name="Leads per week")
    assert shown_width(table) <= 1  # there for screen readers, not on screen

    switch = weekly.get_by_role("switch", name="Show as table")
    switch.check()

    expect(chart).to_be_hidden()
    expect(table.get_by_role("row")).to_have_count(2)  # the header and this week
    assert shown_width(table) > 200
    expect(table.get_by_role("cell").nth(0)).to_have_text("5")  # five created this week

    switch.uncheck()
    expect(chart).to_be_visible()
    assert shown_width(table) <= 1

    pipeline = page.get_by_role("region", name="Opportunities from leads")
    expect(pipeline.get_by_role("img")).to_be_visible()
    expect(pipeline).to_contain_text("$12,500.00")
    expect(page.get_by_role("region", name="Duplicates stopped")).to_contain_text("1")


def test_a_number_opens_the_grid_with_its_leads(
    page: Page, live_server, login, salesperson: User
) -> None:
    history(salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}/insights/")
    reasons = page.get_by_role("region", name="Disqualify reasons")

    reasons.get_by_role("switch", name="Show as table").check()
    reasons.get_by_role("link", name="Canceled: 1 lead").click()

    expect(page).to_have_url(re.compile(r"/leads/\?view=all&q=.*status%3Acanceled"))
    grid = page.get_by_role("region", name="All Leads")
    expect(grid.get_by_role("row")).to_have_count(2)
    expect(grid.get_by_role("link", name=re.compile("Gone"))).to_be_visible()


def test_a_manager_picks_custom_dates_and_an_owner(
    page: Page, live_server, login, manager: User, salesperson: User, other_salesperson: User
) -> None:
    history(salesperson, on=date(2026, 3, 4))
    history(other_salesperson, on=date(2026, 3, 11))
    login(manager)
    page.goto(f"{live_server.url}/insights/")
    filters = page.get_by_role("form", name="Period and owner")
    expect(filters.get_by_label("From")).to_be_hidden()

    filters.get_by_label("Period").select_option("Custom dates")
    filters.get_by_label("From").fill("2026-03-02")
    filters.get_by_label("To").fill("2026-03-15")

    expect(page.get_by_text("Everyone's leads · Mar 2 to Mar 15, 2026")).to_be_visible()
    expect(page).to_have_url(re.compile(r"period=custom&start=2026-03-02&end=2026-03-15"))
    weekly = page.get_by_role("region", name="Leads per week")
    weekly.get_by_role("switch", name="Show as table").check()
    rows = weekly.get_by_role("table").get_by_role("row")
    expect(rows).to_have_count(3)
    expect(rows.nth(1).get_by_role("rowheader")).to_have_text("Mar 2 to Mar 8, 2026")
    expect(rows.nth(1).get_by_role("cell")).to_have_text(["5", "1", "1"])
    expect(rows.nth(2).get_by_role("cell")).to_have_text(["5", "1", "1"])

    filters.get_by_label("Owner").select_option("Olga Other")

    expect(page.get_by_text("Olga Other's leads · Mar 2 to Mar 15, 2026")).to_be_visible()
    weekly = page.get_by_role("region", name="Leads per week")
    weekly.get_by_role("switch", name="Show as table").check()
    rows = weekly.get_by_role("table").get_by_role("row")
    expect(rows.nth(1).get_by_role("cell")).to_have_text(["0", "0", "0"])
    expect(rows.nth(2).get_by_role("cell")).to_have_text(["5", "1", "1"])

    filters.get_by_label("To").fill("2026-03-01")

    expect(page.get_by_role("alert")).to_have_text(
        "To: The last day must be on or after the first day."
    )
    expect(page.get_by_role("region", name="Leads per week")).to_have_count(0)
