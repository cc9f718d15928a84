"""Disqualify, reactivate and delete in the browser, from the lead form and from the grid."""

from __future__ import annotations

import re

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import Page, expect

from crm.models import TimelineEntry
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadState, LeadStatus
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def commands(page: Page):
    return page.get_by_role("toolbar", name="Command bar")


def test_it_disqualifies_finds_in_closed_leads_and_reactivates(
    page: Page, live_server, login, salesperson
):
    lead = LeadFactory(owner=salesperson, first_name="Ida", last_name="Lovelace")
    login(salesperson)
    page.get_by_role("region", name="My Open Leads").get_by_role(
        "link", name="Ida Lovelace"
    ).click()

    commands(page).get_by_role("button", name="Disqualify").click()
    dialog = page.get_by_role("dialog", name="Disqualify lead")
    dialog.get_by_label("Status Reason").select_option("No Longer Interested")
    dialog.get_by_role("button", name="Disqualify").click()

    expect(page.get_by_role("status")).to_contain_text("Lead disqualified: No Longer Interested.")
    expect(page.get_by_role("note")).to_contain_text(
        "This lead is closed. Reactivate it to make changes."
    )
    expect(page.get_by_label("Topic")).to_have_count(0)
    expect(commands(page).get_by_role("button", name="Qualify", exact=True)).to_be_disabled()
    expect(page.get_by_role("region", name="Timeline")).to_contain_text(
        "Lead disqualified: No Longer Interested"
    )

    page.get_by_role("navigation", name="Site map").get_by_role("link", name="Leads").click()
    expect(page.get_by_role("region", name="My Open Leads")).to_contain_text(
        "No leads in this view"
    )
    page.get_by_label("View", exact=True).select_option("Closed Leads")
    closed = page.get_by_role("region", name="Closed Leads")
    row = closed.get_by_role("row", name=re.compile("Ida Lovelace"))
    expect(row).to_contain_text("No Longer Interested")

    row.get_by_role("link", name="Ida Lovelace").click()
    commands(page).get_by_role("button", name="Reactivate").click()

    expect(page.get_by_role("status")).to_contain_text("Lead reactivated.")
    expect(page.get_by_label("Topic")).to_be_editable()
    expect(commands(page).get_by_role("button", name="Reactivate")).to_be_disabled()
    lead.refresh_from_db()
    assert (lead.state, lead.status_reason) == (LeadState.OPEN, LeadStatus.NEW)


def test_it_refuses_to_disqualify_a_closed_lead_from_the_grid(
    page: Page, live_server, login, salesperson
):
    LeadFactory(owner=salesperson, first_name="Open", last_name="One")
    closed = LeadFactory(owner=salesperson, first_name="Qualified", last_name="Two", qualified=True)
    login(salesperson)
    page.get_by_label("View", exact=True).select_option("All Leads")
    grid = page.get_by_role("region", name="All Leads")

    grid.get_by_role("checkbox", name="Select Open One").check()
    grid.get_by_role("checkbox", name="Select Qualified Two").check()
    commands(page).get_by_role("button", name="Disqualify").click()
    dialog = page.get_by_role("dialog", name="Disqualify 2 leads")
    dialog.get_by_label("Status Reason").select_option("Lost")
    dialog.get_by_role("button", name="Disqualify").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("1 lead disqualified.")
    expect(status).to_contain_text(
        f"{closed}: This lead is closed. Reactivate it before you qualify or disqualify it."
    )
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(grid.get_by_role("row", name=re.compile("Open One"))).to_contain_text("Lost")
    closed.refresh_from_db()
    assert closed.state == LeadState.QUALIFIED


def test_it_reactivates_from_the_grid(page: Page, live_server, login, salesperson):
    LeadFactory(owner=salesperson, first_name="Dora", last_name="Dis", disqualified=True)
    login(salesperson)
    page.get_by_label("View", exact=True).select_option("Closed Leads")

    page.get_by_role("checkbox", name="Select Dora Dis").check()
    commands(page).get_by_role("button", name="Reactivate").click()

    expect(page.get_by_role("status")).to_contain_text("1 lead reactivated.")
    expect(page.get_by_role("region", name="Closed Leads")).to_contain_text("No leads in this view")
    assert Lead.objects.get().state == LeadState.OPEN


def test_it_deletes_a_lead_after_confirmation(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson, first_name="Del", last_name="Eted")
    note = timeline_note_add(
        record=lead,
        author=salesperson,
        title="Brochure",
        body="",
        attachment=SimpleUploadedFile("brochure.txt", b"hello", content_type="text/plain"),
    )
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    commands(page).get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog", name="Delete lead")
    expect(dialog).to_contain_text("permanently deletes")
    dialog.get_by_role("button", name="Cancel").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    assert Lead.objects.filter(pk=lead.pk).exists()

    commands(page).get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete lead").get_by_role(
        "button", name="Delete permanently"
    ).click()

    expect(page).to_have_url(f"{live_server.url}/leads/")
    expect(page.get_by_role("status")).to_contain_text("Lead deleted.")
    assert not Lead.objects.filter(pk=lead.pk).exists()
    assert not TimelineEntry.objects.filter(pk=note.pk).exists()
    assert not default_storage.exists(note.attachment.name)


def test_it_deletes_selected_leads_from_the_grid(page: Page, live_server, login, salesperson):
    LeadFactory(owner=salesperson, first_name="Gone", last_name="Soon")
    LeadFactory(owner=salesperson, first_name="Stays", last_name="Here")
    login(salesperson)

    page.get_by_role("checkbox", name="Select Gone Soon").check()
    commands(page).get_by_role("button", name="Delete").click()
    page.get_by_role("dialog", name="Delete 1 lead").get_by_role(
        "button", name="Delete permanently"
    ).click()

    expect(page.get_by_role("status")).to_contain_text("1 lead deleted.")
    grid = page.get_by_role("region", name="My Open Leads")
    expect(grid.get_by_role("link", name="Gone Soon")).to_have_count(0)
    expect(grid.get_by_role("link", name="Stays Here")).to_be_visible()
    assert list(Lead.objects.values_list("last_name", flat=True)) == ["Here"]
