"""Lead-to-lead duplicates in the browser: the banner on the lead form, View duplicates in the
grid, the side-by-side comparison with the matching values marked, and Merge leads."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadState, LeadStatus
from tests.browser.screenshots import screenshot
from tests.browser.test_accessibility import assert_no_serious_violations
from tests.factories import LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def leads_of(owner):
    """Jon Smith three times: the oldest lead, one with his email typed in capitals, one with
    his phone written another way."""
    jon = LeadFactory(
        owner=owner,
        first_name="Jon",
        last_name="Smith",
        company_name="Contoso Ltd",
        email="jon.smith@contoso.com",
        business_phone="+1 (425) 555-0100",
        job_title="Buyer",
    )
    Lead.objects.filter(pk=jon.pk).update(created_at=timezone.now() - timedelta(days=3))
    by_email = LeadFactory(
        owner=owner,
        first_name="Jonathan",
        last_name="Smith",
        company_name="Contoso",
        email="JON.SMITH@contoso.com",
        business_phone="",
        job_title="Head of Purchasing",
    )
    by_phone = LeadFactory(
        owner=owner,
        first_name="J.",
        last_name="Smith",
        company_name="",
        email="",
        business_phone="1 425 555 0100",
        job_title="",
    )
    timeline_note_add(record=by_email, author=owner, title="Met at the trade show", body="")
    return jon, by_email, by_phone


def test_the_banner_opens_the_comparison_and_merge_leads_merges(
    page: Page, live_server, login, salesperson
):
    jon, by_email, by_phone = leads_of(salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{jon.get_absolute_url()}")

    banner = page.get_by_role("complementary", name="Possible duplicates")
    expect(banner).to_contain_text("2 open leads look like the same person")
    banner.get_by_role("link", name="View possible duplicates").click()

    expect(page.get_by_role("heading", name="Possible duplicates of Jon Smith")).to_be_visible()
    compare = page.get_by_role("region", name="Possible duplicates")
    masters = compare.get_by_role("group", name="Master lead")
    expect(masters).to_contain_text("Matched: same email")
    expect(masters).to_contain_text("Matched: same phone")
    # Jonathan is also Jon at the same company (a nickname), which marks the names.
    expect(masters).to_contain_text("similar name 0.97 + same company")
    expect(masters.get_by_role("radio", name="Jon Smith")).to_be_checked()
    email = compare.get_by_role("group", name="Email")
    expect(
        email.get_by_role("radio", name=re.compile(r"JON\.SMITH@contoso\.com \(matches\)"))
    ).to_be_visible()
    phone = compare.get_by_role("group", name="Business Phone")
    expect(
        phone.get_by_role("radio", name=re.compile(r"1 425 555 0100 \(matches\)"))
    ).to_be_visible()
    # The best value: the newest lead's where it has one.
    job = compare.get_by_role("group", name="Job Title")
    expect(job.get_by_role("radio", name=re.compile("Head of Purchasing"))).to_be_checked()
    compare.get_by_role("group", name="First Name").get_by_role(
        "radio", name=re.compile(r"^Jon \(matches\) from")
    ).check()
    screenshot(page, "lead-duplicates", full_page=True)
    compare.get_by_role("button", name="Merge leads").click()

    expect(page.get_by_role("status")).to_contain_text("Merged 2 leads into Jon Smith")
    expect(page).to_have_url(f"{live_server.url}{jon.get_absolute_url()}")
    expect(page.get_by_label("Job Title")).to_have_value("Head of Purchasing")
    expect(page.get_by_label("First Name")).to_have_value("Jon")
    timeline = page.get_by_role("region", name="Timeline")
    expect(timeline).to_contain_text("Merged 2 leads into this one")
    expect(timeline).to_contain_text("Met at the trade show")
    expect(page.get_by_role("complementary", name="Possible duplicates")).to_have_count(0)
    for other in (by_email, by_phone):
        other.refresh_from_db()
        assert (other.state, other.status_reason) == (
            LeadState.DISQUALIFIED,
            LeadStatus.DUPLICATE,
        )


def test_view_duplicates_in_the_grid_and_delete_the_other(
    page: Page, live_server, login, salesperson
):
    jon, by_email, by_phone = leads_of(salesperson)
    login(salesperson)
    grid = page.get_by_role("region", name="My Open Leads")
    grid.get_by_label("Select Jonathan Smith").check()
    page.get_by_role("toolbar", name="Command bar").get_by_role(
        "button", name="View duplicates"
    ).click()

    compare = page.get_by_role("region", name="Possible duplicates")
    masters = compare.get_by_role("group", name="Master lead")
    expect(masters).to_contain_text("Matched: same email")
    # Only Jon shares a key with Jonathan: J. Smith's phone is Jon's, not Jonathan's.
    expect(masters.get_by_role("radio")).to_have_count(2)
    masters.get_by_role("radio", name="Jon Smith").check()
    compare.get_by_label("Delete them").check()
    compare.get_by_role("button", name="Merge leads").click()

    # Jon is the master; his First Name took the newest lead's (the default).
    expect(page.get_by_role("status")).to_contain_text("Merged 1 lead into Jonathan Smith")
    expect(page).to_have_url(f"{live_server.url}{jon.get_absolute_url()}")
    assert not Lead.objects.filter(pk=by_email.pk).exists()
    assert Lead.objects.get(pk=by_phone.pk).state == LeadState.OPEN


def test_a_merge_without_the_master_ticked_is_refused(page: Page, live_server, login, salesperson):
    jon, _by_email, _ = leads_of(salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}/leads/{jon.pk}/duplicates/")

    compare = page.get_by_role("region", name="Possible duplicates")
    compare.get_by_label(f"Merge Jon Smith (#{jon.pk})").uncheck()
    compare.get_by_role("button", name="Merge leads").click()

    expect(compare.get_by_role("alert")).to_contain_text(
        "The master lead must be one of the leads you merge"
    )
    assert Lead.objects.filter(state=LeadState.OPEN).count() == 3


def test_the_banner_and_the_comparison_pass_axe(page: Page, live_server, login, salesperson):
    jon, _, _ = leads_of(salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{jon.get_absolute_url()}")
    expect(page.get_by_role("complementary", name="Possible duplicates")).to_be_visible()
    assert_no_serious_violations(page)

    page.get_by_role("link", name="View possible duplicates").click()
    expect(page.get_by_role("region", name="Possible duplicates")).to_be_visible()
    assert_no_serious_violations(page)


def test_a_similar_name_at_a_similar_company_is_found_and_merged(
    page: Page, live_server, login, salesperson
):
    """Nothing typed alike but the person: a typo in the first name, another spelling of the
    company, another email and phone."""
    jon = LeadFactory(
        owner=salesperson,
        first_name="Jon",
        last_name="O\u2019Brien",
        company_name="Contoso Ltd",
        email="jon@contoso.com",
        business_phone="+1 (425) 555-0100",
    )
    Lead.objects.filter(pk=jon.pk).update(created_at=timezone.now() - timedelta(days=1))
    typo = LeadFactory(
        owner=salesperson,
        first_name="John",
        last_name="OBrien",
        company_name="Contosso",
        email="john.obrien@example.org",
        business_phone="+1 (206) 555-0199",
    )
    login(salesperson)
    page.goto(f"{live_server.url}{jon.get_absolute_url()}")

    banner = page.get_by_role("complementary", name="Possible duplicates")
    expect(banner).to_contain_text("One open lead looks like the same person")
    banner.get_by_role("link", name="View possible duplicates").click()

    compare = page.get_by_role("region", name="Possible duplicates")
    masters = compare.get_by_role("group", name="Master lead")
    expect(masters).to_contain_text("Matched: similar name 0.97 + same company")
    company = compare.get_by_role("group", name="Company Name")
    expect(company.get_by_role("radio", name=re.compile(r"Contosso \(matches\)"))).to_be_visible()
    email = compare.get_by_role("group", name="Email")
    expect(email.get_by_role("radio", name=re.compile(r"\(matches\)"))).to_have_count(0)
    compare.get_by_role("button", name="Merge leads").click()

    expect(page.get_by_role("status")).to_contain_text("Merged 1 lead into")
    typo.refresh_from_db()
    assert (typo.state, typo.status_reason) == (LeadState.DISQUALIFIED, LeadStatus.DUPLICATE)
