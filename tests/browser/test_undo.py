"""Undo qualification in the browser: from the qualified lead's command bar (the dialog lists
what will be deleted and what stays), refused with the reasons, and a whole bulk qualify
undone from its result. axe finds no serious or critical violation in the dialog."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm.models import Account
from crm.services.records import account_update
from leads.models import Lead, LeadState, LeadStatus
from qualification.engine import lead_qualify
from tests.browser.screenshots import screenshot
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.factories import AccountFactory, LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def commands(page: Page):
    return page.get_by_role("toolbar", name="Command bar")


def _qualified_lead(salesperson) -> Lead:
    existing = AccountFactory(name="Contoso Ltd", owner=salesperson, city="Redmond")
    lead = LeadFactory(
        owner=salesperson,
        contacted=True,
        first_name="Nina",
        last_name="Novak",
        topic="Office chairs",
        company_name="Contoso",
        existing_account=existing,
    )
    lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    return lead


def test_it_undoes_a_qualification_from_the_lead(page: Page, live_server, login, salesperson):
    lead = _qualified_lead(salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    commands(page).get_by_role("button", name="Undo qualification").click()
    dialog = page.get_by_role("dialog", name="Undo qualification")
    deleted = dialog.get_by_role("list", name="Deleted")
    expect(deleted).to_contain_text("Opportunity Office chairs")
    expect(deleted).to_contain_text("Contact Nina Novak")
    expect(dialog.get_by_role("list", name="Stays")).to_contain_text(
        "Account Contoso Ltd (existing: only the link to this lead is removed)"
    )
    screenshot(page, "undo-qualification")
    assert_no_serious_violations(page)
    dialog.get_by_role("button", name="Undo qualification").click()

    expect(page.get_by_role("status")).to_contain_text(
        "Qualification undone: the lead is open again."
    )
    expect(page.get_by_label("Topic")).to_be_editable()
    expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Qualification undone by Sam Seller"
    )
    expect(commands(page).get_by_role("button", name="Undo qualification")).to_have_count(0)
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.CONTACTED)
    assert list(Account.objects.values_list("name", flat=True)) == ["Contoso Ltd"]


def test_it_says_what_refuses_the_undo(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson, company_name="Fabrikam", topic="Desks")
    result = lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    account_update(account=result.account, acting_user=salesperson, phone="+1 555 0000")
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    commands(page).get_by_role("button", name="Undo qualification").click()
    dialog = page.get_by_role("dialog", name="Undo qualification")
    expect(dialog.get_by_role("alert")).to_contain_text("Account Fabrikam was edited on")
    expect(dialog.get_by_role("button", name="Undo qualification")).to_be_disabled()
    assert_no_serious_violations(page)
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED


def test_it_undoes_a_bulk_qualify_from_its_result(page: Page, login, salesperson):
    leads = [
        LeadFactory(owner=salesperson, first_name=first, last_name=last, company_name=last)
        for first, last in (("Ada", "Byron"), ("Alan", "Turing"))
    ]
    login(salesperson)
    for lead in leads:
        page.get_by_role("checkbox", name=f"Select {lead.full_name}").check()
    commands(page).get_by_role("button", name="Qualify", exact=True).click()
    page.get_by_role("dialog", name="Qualify leads").get_by_role("button", name="Qualify").click()
    result = page.get_by_role("dialog", name="Qualify leads")
    expect(result).to_contain_text("2 leads qualified")

    result.get_by_role("button", name="Undo this bulk qualify").click()
    confirm = page.get_by_role("dialog", name="Undo bulk qualify")
    confirm.get_by_role("button", name="Undo 2 qualifications").click()
    done = page.get_by_role("dialog", name="Undo bulk qualify")
    expect(done.get_by_role("status")).to_contain_text("2 qualifications undone")
    expect(done.get_by_role("list", name="Undone (2)")).to_contain_text("Ada Byron")
    done.get_by_role("button", name="Close").click()
    grid = page.get_by_role("region", name="My Open Leads")
    expect(grid.get_by_role("link", name="Ada Byron")).to_be_visible()
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 2


def test_it_undoes_the_selection_in_closed_leads(page: Page, login, salesperson):
    leads = [
        LeadFactory(owner=salesperson, first_name=first, last_name=last, company_name=last)
        for first, last in (("Grace", "Hopper"), ("Edsger", "Dijkstra"))
    ]
    for lead in leads:
        lead_qualify(lead_id=lead.pk, acting_user=salesperson)
    login(salesperson)
    page.get_by_label("View", exact=True).select_option("Closed Leads")
    closed = page.get_by_role("region", name="Closed Leads")
    for lead in leads:
        closed.get_by_role("checkbox", name=f"Select {lead.full_name}").check()
    commands(page).get_by_role("button", name="Undo qualification").click()
    page.get_by_role("dialog", name="Undo bulk qualify").get_by_role(
        "button", name="Undo 2 qualifications"
    ).click()
    done = page.get_by_role("dialog", name="Undo bulk qualify")
    expect(done.get_by_role("status")).to_contain_text("2 qualifications undone")
    done.get_by_role("button", name="Close").click()
    expect(page.get_by_role("region", name="Closed Leads")).to_contain_text("No leads in this view")
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 2
