"""Qualify from the lead form in the browser: every screen the settings can call for."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from qualification.models import (
    CreationMode,
    Experience,
    Qualification,
    QualificationSettings,
)
from tests.factories import AccountFactory, LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def configure(**fields: object) -> None:
    qualification_settings = QualificationSettings.load()
    for name, value in fields.items():
        setattr(qualification_settings, name, value)
    qualification_settings.save()


@pytest.fixture
def lead(salesperson: User) -> Lead:
    return LeadFactory(
        owner=salesperson,
        topic="Office chairs",
        first_name="Nina",
        last_name="Novak",
        company_name="Fabrikam, Inc.",
        email="nina.novak@fabrikam.example",
        website="https://www.fabrikam.example",
    )


def open_qualify(page: Page, live_server, lead: Lead) -> None:
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    commands = page.get_by_role("toolbar", name="Command bar")
    commands.get_by_role("button", name="Qualify", exact=True).click()


def expect_on(page: Page, live_server, url: str) -> None:
    expect(page).to_have_url(f"{live_server.url}{url}")


def test_all_automatic_qualify_opens_the_opportunity(
    page: Page, live_server, login, salesperson, lead
):
    configure(experience=Experience.NEW)
    login(salesperson)

    open_qualify(page, live_server, lead)

    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    opportunity = Opportunity.objects.get()
    expect_on(page, live_server, opportunity.get_absolute_url())
    expect(page.get_by_role("heading", name="Office chairs", level=1)).to_be_visible()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert opportunity.customer_account.name == "Fabrikam, Inc."


def test_side_pane_uses_an_existing_account_creates_a_contact_and_three_opportunities(
    page: Page, live_server, login, salesperson, lead
):
    configure(
        experience=Experience.NEW,
        account_mode=CreationMode.SALESPERSON,
        contact_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
    )
    northwind = AccountFactory(name="Northwind Traders", city="Oslo")
    AccountFactory(name="Contoso", city="Paris")
    login(salesperson)

    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    expect(pane).to_be_visible()

    account = pane.get_by_role("group", name="Account", exact=True)
    expect(account.get_by_label("Account Name")).to_have_value("Fabrikam, Inc.")
    account.get_by_label("Use existing").check()
    expect(account.get_by_label("Account Name")).to_be_hidden()
    account.get_by_label("Search accounts").fill("North")
    account.get_by_role("radio", name=re.compile("Northwind Traders")).check()
    expect(account.get_by_role("radio", name=re.compile("Contoso"))).to_have_count(0)

    contact = pane.get_by_role("group", name="Contact", exact=True)
    expect(contact.get_by_label("Create new")).to_be_checked()
    # Create new is one line until Edit opens the mapped values.
    expect(contact.get_by_text("Create contact “Nina Novak”")).to_be_visible()
    expect(contact.get_by_label("Last Name")).to_be_hidden()
    contact.get_by_text("· Edit").click()
    expect(contact.get_by_label("Last Name")).to_have_value("Novak")
    contact.get_by_label("Job Title").fill("Head of buying")

    add = pane.get_by_role("button", name="+ New Opportunity")
    add.click()
    second = pane.get_by_role("group", name="Opportunity 2")
    # The new form has the focus, its topic taken from the lead, to edit.
    expect(second.get_by_label("Topic")).to_be_focused()
    expect(second.get_by_label("Topic")).to_have_value("Office chairs")
    second.get_by_label("Topic").fill("Desks")
    second.get_by_label("Est. Revenue").fill("4000")
    add.click()
    pane.get_by_role("group", name="Opportunity 3").get_by_label("Topic").fill("Lamps")
    expect(pane.get_by_role("group", name="Opportunity 1").get_by_label("Topic")).to_have_value(
        "Office chairs"
    )

    pane.get_by_role("button", name="Qualify", exact=True).click()

    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    expect(page.get_by_role("heading", name="Office chairs", level=1)).to_be_visible()
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.parent_account == northwind
    assert lead.parent_contact.job_title == "Head of buying"
    assert lead.parent_contact.account == northwind
    assert Account.objects.count() == 2
    links = Qualification.objects.get().opportunity_links.select_related("opportunity")
    assert [link.opportunity.topic for link in links] == ["Office chairs", "Desks", "Lamps"]
    assert lead.qualifying_opportunity.topic == "Office chairs"
    expect_on(page, live_server, lead.qualifying_opportunity.get_absolute_url())


def test_side_pane_adds_up_to_five_opportunities_and_removes_one(
    page: Page, live_server, login, salesperson, lead
):
    configure(
        experience=Experience.NEW,
        opportunity_mode=CreationMode.SALESPERSON,
        allow_multiple_opportunities=True,
    )
    login(salesperson)
    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    add = pane.get_by_role("button", name="+ New Opportunity")

    for number in range(2, 6):
        add.click()
        expect(pane.get_by_role("group", name=f"Opportunity {number}")).to_be_visible()

    expect(add).to_be_disabled()
    expect(pane).to_contain_text("You can create up to 5 opportunities.")
    pane.get_by_role("button", name="Remove opportunity 5").click()
    expect(pane.get_by_role("group", name="Opportunity 5")).to_have_count(0)
    expect(add).to_be_enabled()
    # Removing one in the middle renumbers the rest and puts the focus on the next one.
    pane.get_by_role("group", name="Opportunity 3").get_by_label("Topic").fill("Third")
    pane.get_by_role("button", name="Remove opportunity 2").click()
    third = pane.get_by_role("group", name="Opportunity 2")
    expect(third.get_by_label("Topic")).to_have_value("Third")
    expect(third.get_by_label("Topic")).to_be_focused()
    expect(pane.get_by_role("group", name="Opportunity 4")).to_have_count(0)
    for remaining in (3, 2, 1):
        pane.get_by_role("button", name="Remove opportunity 1").click()
        expect(pane.get_by_role("group", name=re.compile(r"^Opportunity \d$"))).to_have_count(
            remaining - 1
        )
    expect(add).to_be_focused()
    expect(pane.get_by_text("No opportunity will be created.")).to_be_visible()

    pane.get_by_role("button", name="Qualify", exact=True).click()

    # Back on the lead (no opportunity to open), which now says what the qualify did.
    messages = page.locator("#messages")
    expect(messages).to_contain_text(
        "Lead qualified: account Fabrikam, Inc. created, contact Nina Novak created."
    )
    expect(messages.get_by_role("link", name="Fabrikam, Inc.")).to_have_attribute(
        "href", re.compile(r"/accounts/\d+/$")
    )
    expect_on(page, live_server, lead.get_absolute_url())
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert Opportunity.objects.count() == 0


def test_cancel_and_close_write_nothing(page: Page, live_server, login, salesperson, lead):
    configure(experience=Experience.NEW, contact_mode=CreationMode.SALESPERSON)
    login(salesperson)

    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    contact = pane.get_by_role("group", name="Contact", exact=True)
    contact.get_by_text("· Edit").click()
    contact.get_by_label("Last Name").fill("Changed")
    pane.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    open_qualify(page, live_server, lead)
    page.get_by_role("dialog", name="Qualify lead").get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    open_qualify(page, live_server, lead)
    expect(page.get_by_role("dialog", name="Qualify lead")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_have_count(0)

    expect_on(page, live_server, lead.get_absolute_url())
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN
    assert (Account.objects.count(), Contact.objects.count(), Opportunity.objects.count()) == (
        0,
        0,
        0,
    )
    assert Qualification.objects.count() == 0


def test_duplicate_dialog_use_selected_links_the_existing_account(
    page: Page, live_server, login, salesperson, lead
):
    configure(experience=Experience.NEW)
    fabrikam = AccountFactory(name="Fabrikam Inc", city="Redmond")
    login(salesperson)

    open_qualify(page, live_server, lead)

    dialog = page.get_by_role("dialog", name="Possible duplicates found")
    table = dialog.get_by_role("table", name="Accounts")
    expect(table.get_by_role("columnheader", name="Website")).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("Fabrikam Inc.*Redmond"))).to_be_visible()
    assert Qualification.objects.count() == 0
    dialog.get_by_role("radio", name="Fabrikam Inc").check()
    dialog.get_by_role("button", name="Use selected").click()

    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    lead.refresh_from_db()
    assert lead.parent_account == fabrikam
    assert Account.objects.count() == 1
    assert lead.qualifying_opportunity.customer_account == fabrikam


def test_legacy_dialog_creates_the_ticked_records(
    page: Page, live_server, login, salesperson, lead
):
    configure(experience=Experience.LEGACY, legacy_create_automatically=False)
    login(salesperson)

    open_qualify(page, live_server, lead)
    dialog = page.get_by_role("dialog", name="Qualify lead")
    for record in ("Account", "Contact", "Opportunity"):
        expect(dialog.get_by_role("checkbox", name=record)).to_be_checked()
    dialog.get_by_role("checkbox", name="Opportunity").uncheck()
    dialog.get_by_role("button", name="Qualify", exact=True).click()

    expect(page.locator("#messages")).to_contain_text(
        "Lead qualified: account Fabrikam, Inc. created, contact Nina Novak created."
    )
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect_on(page, live_server, lead.get_absolute_url())
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED
    assert lead.parent_account.name == "Fabrikam, Inc."
    assert lead.parent_contact.account == lead.parent_account
    assert Opportunity.objects.count() == 0


def test_lead_qualified_page_finish_and_close(page: Page, live_server, login, salesperson, lead):
    configure(experience=Experience.NEW, summarize_after_qualify=True)
    login(salesperson)

    open_qualify(page, live_server, lead)

    expect(page.get_by_role("heading", name="Lead qualified", level=1)).to_be_visible()
    summary_url = page.url
    expect(page.get_by_role("region", name="Summary")).to_contain_text("Nina Novak")
    opportunity = Opportunity.objects.get()
    expect(page.get_by_role("link", name="Office chairs")).to_be_visible()
    page.get_by_role("button", name="Finish").click()
    expect_on(page, live_server, opportunity.get_absolute_url())

    page.goto(summary_url)
    page.get_by_role("button", name="Close").click()
    expect_on(page, live_server, lead.get_absolute_url())


def test_side_pane_takes_the_salesperson_to_the_first_field_in_error(
    page: Page, live_server, login, salesperson, lead
):
    configure(
        experience=Experience.NEW,
        contact_mode=CreationMode.SALESPERSON,
        opportunity_mode=CreationMode.SALESPERSON,
    )
    login(salesperson)
    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    contact = pane.get_by_role("group", name="Contact", exact=True)
    contact.get_by_text("· Edit").click()
    contact.get_by_label("Last Name").fill("")
    pane.get_by_role("group", name="Opportunity 1").get_by_label("Topic").fill("")

    pane.get_by_role("button", name="Qualify", exact=True).click()

    pane = page.get_by_role("dialog", name="Qualify lead")
    expect(pane.get_by_role("alert").first).to_contain_text("Correct the errors below.")
    # The folded contact opened again, its field in error focused and in view.
    last_name = pane.get_by_role("group", name="Contact", exact=True).get_by_label("Last Name")
    expect(pane.get_by_role("group", name="Opportunity 1").get_by_label("Topic")).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(last_name).to_be_focused()
    expect(last_name).to_be_in_viewport()
    assert Qualification.objects.count() == 0
