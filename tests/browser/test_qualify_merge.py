"""The merge preview of "Use existing" in the browser: pick a record in the side pane, see per
field what the qualify will change, choose per field, and find the choice on the record."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Page, expect

from leads.models import Lead, LeadState
from qualification.models import CreationMode, Experience, LinkedFieldChange
from tests.browser.screenshots import SCREEN, screenshot
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.browser.test_qualify import configure, open_qualify
from tests.factories import AccountFactory, LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


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
        business_phone="+1 555 100 2000",
        city="Springfield",
    )


def test_the_pane_previews_the_picked_account_and_takes_a_per_field_choice(
    page: Page, live_server, login, salesperson, lead
):
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)
    northwind = AccountFactory(
        name="Northwind Traders", city="", phone="+1 555 999 0000", website=""
    )
    AccountFactory(name="Northwind Labs", city="Oslo", phone="", website="")
    login(salesperson)

    open_qualify(page, live_server, lead)
    pane = page.get_by_role("dialog", name="Qualify lead")
    account = pane.get_by_role("group", name="Account", exact=True)
    account.get_by_label("Use existing").check()
    expect(account.get_by_text("Select the account to use to see what")).to_be_visible()
    account.get_by_label("Search accounts").fill("Northwind")
    account.get_by_role("radio", name=re.compile("Northwind Labs")).check()

    preview = account.get_by_role("table", name=re.compile("What Use existing changes on"))
    expect(preview).to_have_accessible_name("What Use existing changes on Northwind Labs")
    # Picking another record draws its preview.
    account.get_by_role("radio", name=re.compile("Northwind Traders")).check()
    expect(preview).to_have_accessible_name("What Use existing changes on Northwind Traders")
    city = preview.get_by_role("row", name=re.compile("^City"))
    expect(city).to_contain_text("Springfield")
    expect(city).to_contain_text("Fills the empty field")
    phone = preview.get_by_role("row", name=re.compile("^Main Phone"))
    expect(phone).to_contain_text("+1 555 999 0000")
    expect(phone).to_contain_text("Keeps the existing value")
    expect(preview).to_contain_text("2 fields will change")  # city and website

    phone.get_by_role("combobox").select_option(label="Take the lead's")
    expect(phone).to_contain_text("Replaces the existing value")
    city.get_by_role("combobox").select_option(label="Keep existing")
    expect(city).to_contain_text("Keeps the existing value")
    expect(preview).to_contain_text("2 fields will change")  # phone and website
    assert_no_serious_violations(page)
    page.set_viewport_size(SCREEN)
    preview.scroll_into_view_if_needed()
    screenshot(page, "qualify-merge-preview")

    pane.get_by_role("button", name="Qualify", exact=True).click()

    page.wait_for_url(re.compile(r"/opportunities/\d+/$"))
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED and lead.parent_account == northwind
    northwind.refresh_from_db()
    assert (northwind.phone, northwind.city) == ("+1 555 100 2000", "")
    assert northwind.website == "https://www.fabrikam.example"
    assert sorted(LinkedFieldChange.objects.values_list("field", flat=True)) == [
        "phone",
        "website",
    ]
    page.goto(f"{live_server.url}{northwind.get_absolute_url()}")
    expect(page.get_by_text("+1 555 100 2000").first).to_be_visible()
