"""The lead grid and the lead form in the browser: views, quick find, sort, paging, selection,
and the Qualify stage flyout."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_it_finds_a_lead_and_saves_a_qualify_step(page: Page, live_server, login, salesperson):
    lead = LeadFactory(
        owner=salesperson, first_name="Nina", last_name="Novak", company_name="Fabrikam"
    )
    LeadFactory.create_batch(3, owner=salesperson, company_name="Contoso")
    login(salesperson)

    expect(page.get_by_role("heading", name="My Open Leads")).to_be_visible()
    grid = page.get_by_role("region", name="My Open Leads")
    expect(grid.get_by_role("row")).to_have_count(5)  # header and four leads
    page.get_by_label("Quick find").fill("fabri")
    expect(grid.get_by_role("row")).to_have_count(2)
    expect(page).to_have_url(re.compile(r"q=fabri"))
    grid.get_by_role("link", name="Nina Novak").click()

    expect(page.get_by_role("heading", name="Nina Novak")).to_be_visible()
    bar = page.get_by_role("region", name="Process bar")
    expect(bar.get_by_role("button", name="Next Stage")).to_be_disabled()
    expect(bar).to_contain_text("Qualify the lead to move to Develop")
    bar.get_by_role("button", name=re.compile("^Qualify")).click()
    flyout = page.get_by_role("dialog", name="Qualify")
    flyout.get_by_label("Purchase Timeframe").select_option("This Quarter")
    flyout.get_by_label("Budget Amount").fill("25000")
    flyout.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog", name="Qualify")).to_have_count(0)

    page.reload()
    page.get_by_role("region", name="Process bar").get_by_role(
        "button", name=re.compile("^Qualify")
    ).click()
    flyout = page.get_by_role("dialog", name="Qualify")
    expect(flyout.get_by_label("Purchase Timeframe")).to_have_value("this_quarter")
    expect(flyout.get_by_label("Budget Amount")).to_have_value("25,000.00")
    flyout.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog", name="Qualify")).to_be_hidden()
    lead.refresh_from_db()
    assert lead.purchase_timeframe == "this_quarter"


def test_it_shows_flyout_errors_and_keeps_typed_values(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    page.get_by_role("region", name="Process bar").get_by_role(
        "button", name=re.compile("^Qualify")
    ).click()
    flyout = page.get_by_role("dialog", name="Qualify")
    flyout.get_by_label("Budget Amount").fill("-3")
    flyout.get_by_label("Qualification Comments").fill("Call back in May")
    flyout.get_by_role("button", name="Save").click()

    flyout = page.get_by_role("dialog", name="Qualify")
    expect(flyout).to_contain_text("Ensure this value is greater than or equal to 0.")
    expect(flyout.get_by_label("Qualification Comments")).to_have_value("Call back in May")
    lead.refresh_from_db()
    assert lead.qualification_comments == ""


def test_it_switches_views_sorts_and_pages(page: Page, live_server, login, salesperson):
    for index in range(12):
        LeadFactory(owner=salesperson, first_name="Open", last_name=f"Lead{index:02d}")
    LeadFactory(owner=salesperson, first_name="Zed", last_name="Closed", disqualified=True)
    login(salesperson)

    page.get_by_label("View").select_option("Closed Leads")
    expect(page).to_have_url(re.compile(r"view=closed"))
    expect(page.get_by_role("heading", name="Closed Leads")).to_be_visible()
    closed = page.get_by_role("region", name="Closed Leads")
    expect(closed.get_by_role("link", name="Zed Closed")).to_be_visible()

    page.get_by_label("View").select_option("My Open Leads")
    grid = page.get_by_role("region", name="My Open Leads")
    sizes = grid.get_by_role("navigation", name="Rows per page")
    sizes.get_by_role("link", name="10", exact=True).click()
    expect(grid).to_contain_text("Page 1 of 2")
    grid.get_by_role("link", name="Name", exact=True).click()
    expect(grid.get_by_role("columnheader", name="Name", exact=True)).to_have_attribute(
        "aria-sort", "ascending"
    )
    expect(grid.get_by_role("row").nth(1)).to_contain_text("Open Lead00")
    grid.get_by_role("link", name="Next").click()
    expect(grid).to_contain_text("Page 2 of 2")
    expect(grid.get_by_role("row").nth(1)).to_contain_text("Open Lead10")
    expect(page).to_have_url(re.compile(r"page=2"))

    page.go_back()
    expect(page.get_by_role("region", name="My Open Leads")).to_contain_text("Page 1 of 2")


def test_it_selects_all_leads_in_the_view(page: Page, live_server, login, salesperson):
    LeadFactory.create_batch(12, owner=salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?per_page=10")

    page.get_by_role("checkbox", name="Select all on this page").check()
    grid = page.get_by_role("region", name="My Open Leads")
    expect(grid.get_by_role("checkbox", name=re.compile(r"^Select (?!all)"))).to_have_count(10)
    for box in grid.get_by_role("checkbox", name=re.compile(r"^Select (?!all)")).all():
        expect(box).to_be_checked()
    expect(grid).to_contain_text("All 10 on this page are selected.")
    grid.get_by_role("checkbox", name="Select all 12 leads in this view").check()
    page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Disqualify").click()

    dialog = page.get_by_role("dialog", name="Disqualify 12 leads")
    dialog.get_by_label("Status Reason").select_option("Canceled")
    dialog.get_by_role("button", name="Disqualify").click()

    expect(page.get_by_role("status")).to_contain_text("12 leads disqualified.")
    expect(page.get_by_role("region", name="My Open Leads")).to_contain_text(
        "No leads in this view"
    )
    assert Lead.objects.filter(status_reason="canceled").count() == 12
