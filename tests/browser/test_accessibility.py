"""axe-core (bundled by axe-playwright-python, so it runs offline) on the everyday screens: the
lead grid (a table on a laptop, cards on a phone, with its Edit columns dialog), the lead form
with its flyout, the Qualify side pane, the duplicate dialog and the admin settings page. None
may have a serious or critical violation."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from qualification.models import CreationMode, Experience
from tests.browser import test_qualify
from tests.factories import AccountFactory, ContactFactory, LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
BLOCKING = ("serious", "critical")
# The Qualify tests' lead (Nina Novak of "Fabrikam, Inc.") and how they configure and open Qualify.
lead = test_qualify.lead
configure = test_qualify.configure
open_qualify = test_qualify.open_qualify


def assert_no_serious_violations(page: Page) -> None:
    results = Axe().run(page)
    blocking = [
        violation for violation in results.response["violations"] if violation["impact"] in BLOCKING
    ]
    report = "\n".join(
        f"{violation['id']} ({violation['impact']}): {violation['help']} -> "
        + ", ".join(", ".join(node["target"]) for node in violation["nodes"])
        for violation in blocking
    )
    assert not blocking, report


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_lead_grid(page: Page, live_server, login, salesperson, lead, viewport):
    page.set_viewport_size(viewport)
    LeadFactory.create_batch(5, owner=salesperson)
    login(salesperson)
    page.get_by_role("checkbox", name="Select Nina Novak").check()

    assert_no_serious_violations(page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_lead_grid_with_every_lead_selected_and_commands_off(
    page: Page, live_server, login, salesperson, viewport
):
    """The phone's cards, "All N selected · Clear selection" and the commands that say why
    they are off (aria-disabled with a description)."""
    page.set_viewport_size(viewport)
    LeadFactory.create_batch(12, owner=salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/?per_page=10")
    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("checkbox", name="Select all 12 leads in this view").check()
    expect(page.get_by_role("button", name="Clear selection")).to_be_visible()
    expect(
        page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Reactivate")
    ).to_have_accessible_description("Select closed leads to reactivate")

    assert_no_serious_violations(page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_edit_columns_dialog(page: Page, live_server, login, salesperson, lead, viewport):
    page.set_viewport_size(viewport)
    login(salesperson)
    page.get_by_role("toolbar", name="Command bar").get_by_role("link", name="Edit columns").click()
    expect(page.get_by_role("dialog", name="Edit columns")).to_be_visible()

    assert_no_serious_violations(page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_lead_form_with_the_flyout_and_a_lookup_open(
    page: Page, live_server, login, salesperson, lead, viewport
):
    page.set_viewport_size(viewport)
    AccountFactory(name="Contoso", city="Paris")
    AccountFactory(name="Contoso", city="Oslo")
    ContactFactory(first_name="Ana", last_name="Ruiz")
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Lead saved.")

    page.get_by_role("region", name="Process bar").get_by_role(
        "button", name=re.compile("^Qualify")
    ).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    flyout.get_by_role("combobox", name="Existing Account").fill("cont")
    expect(flyout.get_by_role("listbox").get_by_role("option")).to_have_count(2)

    assert_no_serious_violations(page)


def test_the_lead_form_with_errors(page: Page, live_server, login, salesperson, lead):
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    page.get_by_label("Topic").fill("")
    page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text("Correct the errors below.")

    assert_no_serious_violations(page)


def test_the_qualify_side_pane(page: Page, live_server, login, salesperson, lead):
    configure(
        experience=Experience.NEW,
        account_mode=CreationMode.SALESPERSON,
        contact_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
    )
    login(salesperson)
    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    pane.get_by_role("button", name="+ New Opportunity").click()
    expect(pane.get_by_role("group", name="Opportunity 2")).to_be_visible()

    assert_no_serious_violations(page)


def test_the_duplicate_dialog(page: Page, live_server, login, salesperson, lead):
    configure(experience=Experience.NEW)
    AccountFactory(name="Fabrikam Inc", city="Redmond")
    login(salesperson)
    open_qualify(page, live_server, lead)
    expect(page.get_by_role("dialog", name="Possible duplicates found")).to_be_visible()

    assert_no_serious_violations(page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_admin_settings_page(page: Page, live_server, login, admin_user, viewport):
    page.set_viewport_size(viewport)
    login(admin_user)
    page.get_by_role("banner").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Change qualification settings")).to_be_visible()

    assert_no_serious_violations(page)
