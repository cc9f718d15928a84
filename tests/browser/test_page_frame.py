"""What every page has: messages that can be dismissed (success fades, errors stay), a skip
link past the site map, the command bar and page head inside the main landmark, and the top
bar's Settings link for admins."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from leads.models import LeadStatus
from leads.services import LEAD_CLOSED_READ_ONLY, lead_disqualify
from tests.factories import LeadFactory

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def save_lead(page: Page) -> None:
    page.get_by_role("toolbar", name="Command bar").get_by_role("button", name="Save").click()


def test_a_success_message_fades_unless_the_pointer_is_on_it(
    page: Page, live_server, login, salesperson
):
    lead = LeadFactory(owner=salesperson)
    page.clock.install()
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    save_lead(page)
    message = page.get_by_role("status").get_by_text("Lead saved.", exact=True)
    expect(message).to_be_visible()
    page.get_by_role("status").hover()
    page.clock.run_for(10_000)
    expect(message).to_be_visible()

    page.mouse.move(0, 0)
    page.clock.run_for(10_000)
    expect(message).to_have_count(0)


def test_an_error_stays_until_dismissed(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson, topic="Kept")
    page.clock.install()
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")
    # Someone else closes the lead while the form is open.
    lead_disqualify(lead=lead, reason=LeadStatus.LOST, acting_user=salesperson)

    page.get_by_label("Topic").fill("Changed")
    save_lead(page)
    status = page.get_by_role("status")
    expect(status).to_contain_text(LEAD_CLOSED_READ_ONLY)
    page.clock.run_for(60_000)
    expect(status).to_contain_text(LEAD_CLOSED_READ_ONLY)

    status.get_by_role("button", name="Dismiss message").click()
    expect(status.get_by_text(LEAD_CLOSED_READ_ONLY)).to_have_count(0)


def test_a_message_is_dismissed_with_the_keyboard(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    save_lead(page)
    dismiss = page.get_by_role("status").get_by_role("button", name="Dismiss message")
    dismiss.focus()
    page.keyboard.press("Space")

    expect(page.get_by_role("status").get_by_text("Lead saved.")).to_have_count(0)
    expect(page.get_by_role("main")).to_be_focused()


def test_the_skip_link_leads_past_the_site_map(page: Page, live_server, login, salesperson):
    lead = LeadFactory(owner=salesperson)
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="New", exact=True)).to_be_focused()


def test_the_command_bar_and_the_page_head_sit_in_the_main_landmark(
    page: Page, live_server, login, salesperson
):
    lead = LeadFactory(owner=salesperson, first_name="Nina", last_name="Novak")
    login(salesperson)
    page.goto(f"{live_server.url}{lead.get_absolute_url()}")

    main = page.get_by_role("main")
    expect(main.get_by_role("toolbar", name="Command bar")).to_be_visible()
    expect(main.get_by_role("heading", name="Nina Novak", level=1)).to_be_visible()
    expect(page.get_by_role("banner").get_by_role("navigation", name="Site map")).to_be_visible()


def test_the_settings_link_opens_the_settings_record(page: Page, live_server, login, admin_user):
    login(admin_user)

    page.get_by_role("banner").get_by_role("link", name="Settings").click()

    expect(page).to_have_url(re.compile(r"/admin/qualification/qualificationsettings/1/change/$"))
    expect(page.get_by_role("heading", name="Change qualification settings")).to_be_visible()


def test_links_in_a_selected_grid_row_reach_4_5_to_1(page: Page, live_server, login, salesperson):
    LeadFactory(owner=salesperson, first_name="Ida", last_name="Lovelace")
    login(salesperson)

    page.get_by_role("checkbox", name="Select Ida Lovelace").check()
    page.mouse.move(0, 0)  # the selected row's own colour, not the hover one

    link = page.get_by_role("region", name="My Open Leads").get_by_role("link", name="Ida Lovelace")
    ratio = link.evaluate(
        """(link) => {
            const rgb = (value) => value.match(/\\d+/g).slice(0, 3).map(Number);
            const luminance = (value) => {
                const [r, g, b] = rgb(value).map((c) => {
                    c /= 255;
                    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const row = link.closest("tr");
            const fg = luminance(getComputedStyle(link).color);
            const bg = luminance(getComputedStyle(row).backgroundColor);
            return (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
        }"""
    )
    assert ratio >= 4.5
