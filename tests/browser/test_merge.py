"""Merging duplicates in the browser: tick them in the grid, Merge, pick the master and the
values, and the master's page shows everything that moved and the merge on its timeline."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from crm.models import Account
from tests.browser.screenshots import screenshot
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_merges_two_accounts_from_the_grid(page: Page, live_server, login, salesperson):
    master = AccountFactory(
        owner=salesperson, name="Contoso Ltd", phone="", city="Seattle", industry="Retail"
    )
    other = AccountFactory(
        owner=salesperson, name="CONTOSO", phone="+1 425 555 0100", city="Redmond"
    )
    AccountFactory(owner=salesperson, name="City Power & Light")
    ContactFactory(owner=salesperson, account=other, first_name="Nancy", last_name="Davolio")
    OpportunityFactory(owner=salesperson, customer_account=other, topic="Laptop refresh")
    login(salesperson)
    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Accounts").click()

    grid = page.get_by_role("region", name="Accounts")
    names = grid.get_by_role("row").locator("td:nth-child(2)")
    expect(names).to_have_text(["City Power & Light", "CONTOSO", "Contoso Ltd"])
    grid.get_by_label("Select Contoso Ltd").check()
    grid.get_by_label("Select CONTOSO", exact=True).check()
    page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Merge").click()

    merge = page.get_by_role("region", name="Merge accounts")
    masters = merge.get_by_role("group", name="Master record")
    # The first one ticked (in the grid's order) is the master until another is picked.
    expect(masters.get_by_role("radio", name="CONTOSO", exact=True)).to_be_checked()
    masters.get_by_role("radio", name="Contoso Ltd").check()
    expect(masters.get_by_role("radio", name="Contoso Ltd")).to_be_checked()
    phone = merge.get_by_role("group", name="Main Phone")
    expect(phone.get_by_role("radio", name=re.compile("555 0100"))).to_be_checked()
    city = merge.get_by_role("group", name="City")
    expect(city.get_by_role("radio", name=re.compile("Seattle"))).to_be_checked()
    city.get_by_role("radio", name=re.compile("Redmond")).check()
    expect(merge).to_contain_text("1 contact (Account Name)")
    screenshot(page, "merge-page", full_page=True)
    merge.get_by_role("button", name="Merge").click()

    expect(page.get_by_role("status")).to_contain_text("Merged 1 account into Contoso Ltd.")
    expect(page).to_have_url(f"{live_server.url}{master.get_absolute_url()}")
    details = page.get_by_role("region", name="Details")
    expect(details).to_contain_text("+1 425 555 0100")
    expect(details).to_contain_text("Redmond")
    expect(page.get_by_role("region", name="Contacts")).to_contain_text("Nancy Davolio")
    expect(page.get_by_role("region", name="Opportunities")).to_contain_text("Laptop refresh")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Merged 1 account into this one")
    expect(timeline).to_contain_text(f"Merged: CONTOSO (#{other.pk}).")
    assert not Account.objects.filter(pk=other.pk).exists()


def test_changing_the_master_changes_the_defaults(page: Page, live_server, login, salesperson):
    first = AccountFactory(owner=salesperson, name="Fabrikam", city="Berlin")
    second = AccountFactory(owner=salesperson, name="FABRIKAM GmbH", city="Munich")
    login(salesperson)
    page.goto(f"{live_server.url}/accounts/merge/?ids={first.pk}&ids={second.pk}")

    merge = page.get_by_role("region", name="Merge accounts")
    merge.get_by_role("group", name="Master record").get_by_role(
        "radio", name="FABRIKAM GmbH"
    ).check()

    city = page.get_by_role("group", name="City")
    expect(city.get_by_role("radio", name=re.compile("Munich"))).to_be_checked()


def test_merging_a_record_with_itself_is_refused(page: Page, live_server, login, salesperson):
    account = AccountFactory(owner=salesperson, name="Northwind")
    login(salesperson)
    page.goto(f"{live_server.url}/accounts/merge/?ids={account.pk}&ids={account.pk}")

    expect(page.get_by_role("alert")).to_contain_text("A record can't be merged with itself")
    expect(page.get_by_role("button", name="Merge")).to_have_count(0)
