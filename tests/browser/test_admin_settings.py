"""Django admin in the browser: the settings page folds what does not apply as the experience
changes, orders the quick-create fields with the keyboard, keeps Legacy with a ticked summary,
and a new field mapping lists the target fields of its record type only."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from qualification.models import Experience, QualificationSettings

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
LAPTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def open_settings(page: Page, live_server, login, admin_user) -> None:
    login(admin_user)
    page.get_by_role("banner").get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", name="Change qualification settings")).to_be_visible()


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1280x800", "390x844"])
def test_it_folds_what_does_not_apply_as_the_experience_changes(
    page: Page, live_server, login, admin_user, viewport
):
    page.set_viewport_size(viewport)
    open_settings(page, live_server, login, admin_user)
    legacy_option = page.get_by_label("Create account, contact and opportunity automatically")
    summary = page.get_by_label("Summarize the lead after it is qualified")

    expect(legacy_option).to_be_hidden()
    expect(page.get_by_text("applies when Experience is Legacy")).to_be_visible()
    expect(summary).to_be_visible()

    page.get_by_role("combobox", name="Experience").select_option("Legacy")
    expect(legacy_option).to_be_visible()
    expect(summary).to_be_hidden()
    expect(page.get_by_text("applies when Experience is New", exact=False).first).to_be_visible()

    # A folded part can still be opened to look at it.
    page.get_by_role("heading", name=re.compile("^New experience")).click()
    expect(summary).to_be_visible()


def test_it_saves_legacy_with_the_summary_still_ticked(page: Page, live_server, login, admin_user):
    row = QualificationSettings.load()
    row.summarize_after_qualify = True
    row.save()
    open_settings(page, live_server, login, admin_user)

    page.get_by_role("combobox", name="Experience").select_option("Legacy")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("was changed successfully")).to_be_visible()
    row.refresh_from_db()
    assert (row.experience, row.summarize_after_qualify) == (Experience.LEGACY, True)


def test_it_orders_the_quick_create_fields_with_move_up_and_down(
    page: Page, live_server, login, admin_user
):
    row = QualificationSettings.load()
    row.opportunity_mode = "salesperson"
    row.opportunity_quick_create_fields = ["topic", "estimated_revenue", "need"]
    row.save()
    open_settings(page, live_server, login, admin_user)
    fields = page.get_by_role("group", name="Fields after Topic")

    fields.get_by_role("checkbox", name="Budget Amount").check()
    up = fields.get_by_role("button", name="Move Budget Amount up")
    up.focus()
    for _ in range(10):
        page.keyboard.press("Enter")
    expect(up).to_be_focused()
    expect(page.get_by_text("Budget Amount: field 2")).to_be_attached()
    fields.get_by_role("button", name="Move Need down").click()
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.get_by_text("was changed successfully")).to_be_visible()
    row.refresh_from_db()
    assert row.opportunity_quick_create_fields[:4] == [
        "topic",
        "budget_amount",
        "estimated_revenue",
        "need",
    ]


def test_a_new_mapping_lists_the_target_fields_of_its_record_type(
    page: Page, live_server, login, admin_user
):
    login(admin_user)
    page.goto(f"{live_server.url}/admin/qualification/fieldmapping/add/")
    target = page.get_by_role("combobox", name="Target field")

    page.get_by_role("combobox", name="Record type").select_option("Contact")
    expect(target.locator("optgroup")).to_have_count(1)
    expect(target.locator("optgroup")).to_have_attribute("label", "Contact")
    expect(target.locator("option", has_text="(first_name)")).to_have_count(1)
    expect(target.locator("option", has_text="(topic)")).to_have_count(0)

    page.get_by_role("combobox", name="Record type").select_option("Opportunity")
    expect(target.locator("option", has_text="(topic)")).to_have_count(1)
    expect(target.locator("option", has_text="(first_name)")).to_have_count(0)
