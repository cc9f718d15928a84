"""Accounts and contacts in the browser: New, Edit in place, a note, Delete (refused while an
open lead names the record, then done)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm.models import Account, Contact
from leads.models import Lead
from tests.factories import AccountFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def commands(page: Page):
    return page.get_by_role("toolbar", name="Command bar")


def test_new_account_edit_note_and_delete(page: Page, live_server, login, salesperson) -> None:
    login(salesperson)
    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Accounts").click()
    commands(page).get_by_role("link", name="New").click()

    page.get_by_label("Account Name").fill("Wide World Importers")
    page.get_by_label("Main Phone").fill("+1 555 0123")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Account created.")
    account = Account.objects.get()

    commands(page).get_by_role("link", name="Edit").click()
    details = page.get_by_role("region", name="Details")
    details.get_by_label("City").fill("Oslo")
    details.get_by_role("button", name="Save").click()
    expect(page.get_by_role("region", name="Details")).to_contain_text("Oslo")

    timeline = page.get_by_role("region", name="Timeline")
    timeline.get_by_label("Title").fill("First call")
    timeline.get_by_role("button", name="Add note").click()
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("First call")

    lead = LeadFactory(owner=salesperson, existing_account=account)
    commands(page).get_by_role("link", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete account")
    expect(dialog.get_by_role("alert")).to_contain_text("1 open lead (Existing Account)")
    expect(dialog.get_by_role("button", name="Delete permanently")).to_be_disabled()
    dialog.get_by_role("button", name="Cancel").click()

    Lead.objects.filter(pk=lead.pk).update(existing_account=None)
    commands(page).get_by_role("link", name="Delete").click()
    page.get_by_role("dialog", name="Delete account").get_by_role(
        "button", name="Delete permanently"
    ).click()
    expect(page.get_by_role("status")).to_contain_text("Account deleted.")
    assert not Account.objects.exists()


def test_new_contact_under_an_account_picked_by_search(
    page: Page, live_server, login, salesperson
) -> None:
    AccountFactory(name="Contoso Ltd")
    AccountFactory(name="Fabrikam")
    login(salesperson)
    page.goto(f"{live_server.url}/contacts/new/")

    page.get_by_label("First Name").fill("Nancy")
    page.get_by_label("Last Name").fill("Davolio")
    page.get_by_label("Search accounts").fill("fab")
    page.get_by_label("Search accounts").press("Enter")
    picker = page.get_by_label("Account Name", exact=True)
    expect(picker.locator("option")).to_have_text(["---------", "Fabrikam"])
    picker.select_option("Fabrikam")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Contact created.")
    contact = Contact.objects.get()
    assert (contact.full_name, contact.account.name) == ("Nancy Davolio", "Fabrikam")


def test_another_salespersons_account_is_read_only(
    page: Page, live_server, login, salesperson, other_salesperson
) -> None:
    account = AccountFactory(owner=other_salesperson, name="Olga's Account")
    login(salesperson)
    page.goto(f"{live_server.url}{account.get_absolute_url()}")

    expect(page.get_by_role("note")).to_contain_text(
        "Only the owner of this account or a sales manager can change it."
    )
    expect(commands(page).get_by_role("link", name="Edit")).to_be_disabled()
    expect(page.get_by_role("form", name="Add note")).to_have_count(0)
