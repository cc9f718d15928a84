"""The lead form in the browser: commands that save the typed edits first, the warning before
leaving unsaved edits, the Qualify stage flyout with the keyboard, the lookups, money."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from leads.models import Lead, LeadStatus
from qualification.models import CreationMode, Experience, QualificationSettings
from tests.factories import AccountFactory, ContactFactory, LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def commands(page: Page):
    return page.get_by_role("toolbar", name="Command bar")


def stage_button(page: Page):
    return page.get_by_role("region", name="Process bar").get_by_role(
        "button", name=re.compile("^Qualify")
    )


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Old Name Ltd",
    )


def open_lead(page: Page, live_server, login, user: User, lead: Lead) -> None:
    login(user)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")


# Commands save the edits first ---------------------------------------------------------------


def test_qualify_saves_the_typed_edits_first_and_the_pane_shows_them(
    page: Page, live_server, login, salesperson, lead
):
    settings_row = QualificationSettings.load()
    settings_row.experience = Experience.NEW
    settings_row.account_mode = CreationMode.SALESPERSON
    settings_row.save()
    open_lead(page, live_server, login, salesperson, lead)

    page.get_by_label("Company Name").fill("Fabrikam New")
    commands(page).get_by_role("button", name="Qualify", exact=True).click()

    pane = page.get_by_role("dialog", name="Qualify lead")
    account = pane.get_by_role("group", name="Account", exact=True)
    expect(account.get_by_label("Account Name")).to_have_value("Fabrikam New")
    expect(page.get_by_role("status")).to_contain_text("Lead saved.")
    # The address is the lead's again: a reload does not open the pane a second time.
    expect(page).to_have_url(f"{live_server.url}{lead.get_absolute_url()}")
    lead.refresh_from_db()
    assert lead.company_name == "Fabrikam New"


def test_a_command_on_a_form_with_errors_shows_them_and_opens_nothing(
    page: Page, live_server, login, salesperson, lead
):
    open_lead(page, live_server, login, salesperson, lead)

    page.get_by_label("Topic").fill("")
    page.get_by_label("City").fill("Typed, not saved")
    commands(page).get_by_role("button", name="Disqualify").click()

    details = page.get_by_role("region", name="Lead details")
    expect(details.get_by_role("alert")).to_contain_text("Correct the errors below.")
    expect(details).to_contain_text("This field is required.")
    expect(page.get_by_label("Topic")).to_be_focused()
    expect(page.get_by_label("City")).to_have_value("Typed, not saved")
    expect(page.get_by_role("dialog")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.topic == "Office chairs"


def test_disqualify_saves_first_then_asks_for_the_reason(
    page: Page, live_server, login, salesperson, lead
):
    open_lead(page, live_server, login, salesperson, lead)

    page.get_by_label("Job Title").fill("Buyer")
    commands(page).get_by_role("button", name="Disqualify").press("Space")

    dialog = page.get_by_role("dialog", name="Disqualify lead")
    dialog.get_by_label("Status Reason").select_option("Cannot Contact")
    dialog.get_by_role("button", name="Disqualify").click()
    expect(page.get_by_role("status")).to_contain_text("Lead disqualified: Cannot Contact.")
    lead.refresh_from_db()
    assert (lead.job_title, lead.status_reason) == ("Buyer", LeadStatus.CANNOT_CONTACT)


def test_qualify_saves_unsaved_qualify_steps_too(page: Page, live_server, login, salesperson, lead):
    open_lead(page, live_server, login, salesperson, lead)
    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    # Drawn and settled (it takes focus then), as it is long before a person picks a value: the
    # page remembers the flyout's values as drawn when it settles.
    expect(flyout).to_be_focused()
    flyout.get_by_label("Purchase Timeframe").select_option("Next Quarter")

    commands(page).get_by_role("button", name="Qualify", exact=True).click()

    # All automatic (the default settings): the records are created and the opportunity opens.
    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    lead.refresh_from_db()
    assert lead.purchase_timeframe == "next_quarter"
    assert lead.qualifying_opportunity.purchase_timeframe == "next_quarter"


# Leaving with unsaved edits --------------------------------------------------------------------


def test_it_warns_before_leaving_unsaved_edits(page: Page, live_server, login, salesperson, lead):
    open_lead(page, live_server, login, salesperson, lead)
    asked: list[str] = []

    def stay(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", stay)
    page.get_by_label("Topic").fill("Half typed")
    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Accounts").click()

    expect(page.get_by_label("Topic")).to_have_value("Half typed")
    assert asked == ["beforeunload"]
    expect(page).to_have_url(f"{live_server.url}{lead.get_absolute_url()}")

    commands(page).get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Lead saved.")
    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Accounts").click()
    expect(page).to_have_url(f"{live_server.url}/accounts/")
    assert asked == ["beforeunload"]


def test_it_leaves_without_asking_when_nothing_was_typed(
    page: Page, live_server, login, salesperson, lead
):
    open_lead(page, live_server, login, salesperson, lead)
    asked: list[str] = []
    page.on("dialog", lambda dialog: (asked.append(dialog.type), dialog.dismiss()))

    page.get_by_label("Topic").fill("Office chairs")  # the same value: nothing changed
    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Accounts").click()

    expect(page).to_have_url(f"{live_server.url}/accounts/")
    assert asked == []


# The Qualify stage flyout with the keyboard --------------------------------------------------


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_the_flyout_takes_focus_closes_on_escape_and_gives_it_back(
    page: Page, live_server, login, salesperson, lead, viewport
):
    page.set_viewport_size(viewport)
    open_lead(page, live_server, login, salesperson, lead)
    stage = stage_button(page)

    stage.focus()
    page.keyboard.press("Space")
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    expect(flyout).to_be_focused()
    expect(stage).to_have_attribute("aria-expanded", "true")
    box = flyout.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"]

    page.keyboard.press("Tab")
    page.keyboard.press("Escape")
    expect(flyout).to_have_count(0)
    expect(stage).to_be_focused()
    expect(stage).to_have_attribute("aria-expanded", "false")

    page.keyboard.press("Enter")
    expect(flyout).to_be_focused()
    flyout.get_by_role("button", name="Close").click()
    expect(flyout).to_have_count(0)
    expect(stage).to_be_focused()

    stage.click()
    expect(flyout).to_be_visible()
    stage.click()  # the stage toggles its flyout
    expect(flyout).to_have_count(0)


def test_saving_the_steps_ticks_them_on_the_bar_and_focus_returns_to_the_stage(
    page: Page, live_server, login, salesperson, lead
):
    open_lead(page, live_server, login, salesperson, lead)
    steps = page.get_by_role("list", name="Qualify steps")
    expect(steps.get_by_role("listitem")).to_have_count(7)
    expect(steps).not_to_contain_text("Estimated Budget: done")

    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    flyout.get_by_label("Budget Amount").fill("12,500")
    flyout.get_by_label("Decision Maker identified").check()
    flyout.get_by_role("button", name="Save").click()

    expect(flyout).to_have_count(0)
    expect(steps).to_contain_text("Estimated Budget: done")
    expect(steps).to_contain_text("Identify Decision Maker: done")
    expect(steps).to_contain_text("Purchase Timeframe: not done")
    expect(stage_button(page)).to_contain_text("2/7")
    expect(stage_button(page)).to_be_focused()
    lead.refresh_from_db()
    assert lead.budget_amount == Decimal("12500")

    stage_button(page).click()
    budget = flyout.get_by_label("Budget Amount")
    expect(budget).to_have_value("12,500.00")
    expect(flyout.locator(".money-affix")).to_have_text("$")


# The lookups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_existing_account_is_one_lookup_that_tells_namesakes_apart(
    page: Page, live_server, login, salesperson, lead, viewport
):
    page.set_viewport_size(viewport)
    AccountFactory(name="Contoso", city="Paris")
    oslo = AccountFactory(name="Contoso", city="Oslo")
    AccountFactory(name="Fabrikam", city="Rome")
    open_lead(page, live_server, login, salesperson, lead)
    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)

    field = flyout.get_by_role("combobox", name="Existing Account")
    field.fill("cont")
    matches = flyout.get_by_role("listbox")
    expect(matches.get_by_role("option")).to_have_count(2)
    expect(matches.get_by_role("option", name="Contoso Paris")).to_be_visible()
    expect(field).to_have_attribute("aria-expanded", "true")
    box = matches.bounding_box()
    assert box is not None and box["x"] + box["width"] <= viewport["width"]
    field.press("ArrowDown")
    field.press("ArrowDown")
    expect(matches.get_by_role("option", name="Contoso Oslo")).to_have_attribute(
        "aria-selected", "true"
    )
    field.press("Enter")
    expect(field).to_have_value("Contoso")
    expect(matches).to_be_hidden()
    flyout.get_by_role("button", name="Save").click()
    expect(flyout).to_have_count(0)

    lead.refresh_from_db()
    assert lead.existing_account == oslo
    stage_button(page).click()
    expect(flyout.get_by_role("combobox", name="Existing Account")).to_have_value("Contoso · Oslo")


def test_typing_in_the_flyout_before_it_settles_keeps_the_text_and_the_matches(
    page: Page, live_server, login, salesperson, lead
):
    """On a slow machine the flyout settles a while after it appears; someone who starts typing
    at once must not lose focus (that closed the list and threw away the text)."""
    AccountFactory(name="Contoso", city="Paris")
    AccountFactory(name="Contoso", city="Oslo")
    open_lead(page, live_server, login, salesperson, lead)
    page.evaluate("htmx.config.defaultSettleDelay = 1500")
    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    field = flyout.get_by_role("combobox", name="Existing Account")
    field.fill("cont")

    page.wait_for_timeout(1800)  # past the settling
    expect(field).to_be_focused()
    expect(field).to_have_value("cont")
    expect(flyout.get_by_role("listbox").get_by_role("option")).to_have_count(2)


def test_a_lookup_is_cleared_with_its_clear_button(
    page: Page, live_server, login, salesperson, lead
):
    lead.existing_contact = ContactFactory(first_name="Ana", last_name="Ruiz")
    lead.save()
    open_lead(page, live_server, login, salesperson, lead)
    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)

    expect(flyout.get_by_role("combobox", name="Existing Contact")).to_have_value(
        re.compile("^Ana Ruiz")
    )
    flyout.get_by_role("button", name="Clear Existing Contact").click()
    flyout.get_by_role("button", name="Save").click()

    expect(flyout).to_have_count(0)
    lead.refresh_from_db()
    assert lead.existing_contact is None


def test_text_typed_but_not_picked_gives_way_to_the_current_choice(
    page: Page, live_server, login, salesperson, lead
):
    chosen = AccountFactory(name="Northwind", city="Oslo")
    lead.existing_account = chosen
    lead.save()
    open_lead(page, live_server, login, salesperson, lead)
    stage_button(page).click()
    flyout = page.get_by_role("dialog", name="Qualify", exact=True)
    field = flyout.get_by_role("combobox", name="Existing Account")

    field.fill("nothing like it")
    flyout.get_by_label("Purchase Timeframe").focus()

    expect(field).to_have_value("Northwind · Oslo")
    flyout.get_by_role("button", name="Save").click()
    expect(flyout).to_have_count(0)
    lead.refresh_from_db()
    assert lead.existing_account == chosen
