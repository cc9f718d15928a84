"""Closing an opportunity in the browser: Close as Won and Close as Lost, read-only until
Reopen; and the Details card following Next Stage without a reload."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import OpportunityState, SalesStage
from tests.browser.screenshots import screenshot
from tests.factories import AccountFactory, OpportunityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def commands(page: Page):
    return page.get_by_role("toolbar", name="Command bar")


def test_close_as_won_then_reopen(page: Page, live_server, login, salesperson) -> None:
    opportunity = OpportunityFactory(
        owner=salesperson,
        topic="Ergonomic chairs for 40 desks",
        customer_account=AccountFactory(name="Contoso Ltd", owner=salesperson),
        estimated_revenue="48000.00",
        stage=SalesStage.PROPOSE,
    )
    login(salesperson)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")

    commands(page).get_by_role("link", name="Close as Won").click()
    dialog = page.get_by_role("dialog", name="Close as Won")
    expect(dialog.get_by_label("Actual Revenue")).to_have_value("48000.00")
    dialog.get_by_label("Actual Revenue").fill("46500")
    dialog.get_by_label("Actual Close Date").fill("2026-03-03")
    dialog.get_by_label("Description").fill("Signed after the showroom visit.")
    screenshot(page, "opportunity-close-dialog")
    dialog.get_by_role("button", name="Close as Won").click()

    expect(page.get_by_role("status")).to_contain_text("Opportunity closed as Won.")
    summary = page.get_by_role("group", name="Opportunity summary")
    expect(summary).to_contain_text("$46,500.00")
    expect(summary).to_contain_text("Mar 3, 2026")
    bar = page.get_by_role("region", name="Process bar")
    for stage in ("Develop", "Propose", "Close"):
        expect(bar.get_by_role("listitem").filter(has_text=stage)).to_have_class("done")
    expect(bar).to_contain_text("Read-only: this opportunity is won.")
    expect(commands(page).get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("form", name="Add note")).to_have_count(0)
    expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Signed after the showroom visit."
    )

    commands(page).get_by_role("button", name="Reopen").click()
    expect(page.get_by_role("status")).to_contain_text("Opportunity reopened.")
    expect(commands(page).get_by_role("link", name="Close as Lost")).to_be_visible()
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.actual_revenue) == (OpportunityState.OPEN, None)


def test_close_as_lost_refuses_a_missing_date(page: Page, live_server, login, salesperson):
    opportunity = OpportunityFactory(owner=salesperson, topic="Desk lamps")
    login(salesperson)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")

    commands(page).get_by_role("link", name="Close as Lost").click()
    dialog = page.get_by_role("dialog", name="Close as Lost")
    dialog.get_by_label("Status Reason").select_option("Out-Sold")
    dialog.get_by_label("Actual Close Date").fill("")
    dialog.get_by_role("button", name="Close as Lost").click()

    expect(dialog).to_contain_text("Actual Close Date is required.")
    dialog.get_by_label("Actual Close Date").fill("2026-04-01")
    dialog.get_by_role("button", name="Close as Lost").click()
    expect(page.get_by_role("status")).to_contain_text("Opportunity closed as Out-Sold.")
    opportunity.refresh_from_db()
    assert (opportunity.state, opportunity.status_reason) == ("lost", "out_sold")


def test_next_stage_updates_the_sales_stage_in_the_details(
    page: Page, live_server, login, salesperson
) -> None:
    opportunity = OpportunityFactory(owner=salesperson, topic="Standing desks")
    login(salesperson)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text(re.compile(r"Sales Stage\s*Develop"))

    page.get_by_role("region", name="Process bar").get_by_role("button", name="Next Stage").click()

    expect(details).to_contain_text(re.compile(r"Sales Stage\s*Propose"))


def test_edit_in_place(page: Page, live_server, login, salesperson) -> None:
    opportunity = OpportunityFactory(owner=salesperson, topic="Standing desks")
    login(salesperson)
    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")

    commands(page).get_by_role("link", name="Edit").click()
    details = page.get_by_role("region", name="Details")
    details.get_by_label("Est. Revenue").fill("1234567.5")
    details.get_by_label("Est. Close Date").fill("2026-10-31")
    details.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Opportunity saved.")
    expect(page.get_by_role("region", name="Details")).to_contain_text("$1,234,567.50")
    expect(page.get_by_role("region", name="Details")).to_contain_text("Oct 31, 2026")
