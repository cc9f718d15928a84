"""Bulk qualify in the browser: select leads in the grid, Qualify, pick record types, result."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from leads.models import Lead, LeadState
from qualification.models import BulkQualifyJob
from qualification.tasks import bulk_qualify_job_run
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_it_bulk_qualifies_three_leads_through_the_dialog(page: Page, login, salesperson):
    names = [("Ada", "Byron"), ("Alan", "Turing"), ("Grace", "Hopper")]
    leads = [
        LeadFactory(owner=salesperson, first_name=first, last_name=last, company_name=last)
        for first, last in names
    ]
    left_alone = LeadFactory(owner=salesperson, first_name="Edsger", last_name="Dijkstra")
    login(salesperson)

    for lead in leads:
        page.get_by_role("checkbox", name=f"Select {lead.full_name}").check()
    page.get_by_role("toolbar", name="Command bar").get_by_role(
        "button", name="Qualify", exact=True
    ).click()

    dialog = page.get_by_role("dialog", name="Qualify leads")
    expect(dialog).to_contain_text("Qualify 3 leads.")
    for record in ("Account", "Contact", "Opportunity"):
        expect(dialog.get_by_role("checkbox", name=record)).to_be_checked()
    dialog.get_by_role("checkbox", name="Opportunity").uncheck()
    dialog.get_by_role("button", name="Qualify").click()

    result = page.get_by_role("dialog", name="Qualify leads")
    expect(result).to_contain_text("3 leads qualified")
    result.get_by_role("button", name="Close").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    # The grid refreshed itself: qualified leads have left My Open Leads.
    grid = page.get_by_role("region", name="My Open Leads")
    expect(grid.get_by_role("link", name="Ada Byron")).to_have_count(0)
    expect(grid.get_by_role("link", name="Edsger Dijkstra")).to_be_visible()

    for lead in leads:
        lead.refresh_from_db()
        assert lead.state == LeadState.QUALIFIED
        assert lead.parent_account.name == lead.last_name
        assert lead.qualifying_opportunity is None
    assert Lead.objects.get(pk=left_alone.pk).state == LeadState.OPEN


def test_cancel_closes_the_dialog_and_changes_nothing(page: Page, login, salesperson):
    lead = LeadFactory(owner=salesperson, first_name="Barbara", last_name="Liskov")
    login(salesperson)

    page.get_by_role("checkbox", name="Select Barbara Liskov").check()
    page.get_by_role("toolbar", name="Command bar").get_by_role(
        "button", name="Qualify", exact=True
    ).click()
    dialog = page.get_by_role("dialog", name="Qualify leads")
    expect(dialog).to_contain_text("Qualify 1 lead.")
    dialog.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("dialog")).to_have_count(0)
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_a_large_selection_runs_in_the_background_with_a_progress_bar(
    page: Page, login, salesperson, settings
):
    settings.BULK_QUALIFY_BACKGROUND_THRESHOLD = 2
    for first, last in [("Ken", "Thompson"), ("Dennis", "Ritchie"), ("Brian", "Kernighan")]:
        LeadFactory(owner=salesperson, first_name=first, last_name=last, company_name=last)
    login(salesperson)

    page.get_by_role("checkbox", name="Select all on this page").check()
    page.get_by_role("toolbar", name="Command bar").get_by_role(
        "button", name="Qualify", exact=True
    ).click()
    dialog = page.get_by_role("dialog", name="Qualify leads")
    expect(dialog).to_contain_text("they are qualified in the background")
    dialog.get_by_role("button", name="Qualify").click()

    expect(page.get_by_role("heading", name="Bulk qualify")).to_be_visible()
    expect(page.get_by_role("heading", name="Waiting for the background worker…")).to_be_visible()
    job = BulkQualifyJob.objects.get()
    assert page.url.endswith(reverse("qualification:bulk-job-detail", args=[job.pk]))

    # The worker's turn: the page polls and shows the progress, then the result.
    bulk_qualify_job_run.call(job.pk)

    expect(page.get_by_role("heading", name="Finished")).to_be_visible()
    expect(page.get_by_role("progressbar", name="Progress")).to_have_attribute("value", "3")
    expect(page.get_by_text("3 leads qualified")).to_be_visible()
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 3
