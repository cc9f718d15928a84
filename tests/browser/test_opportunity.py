"""The opportunity's process bar in the browser: edit a stage's steps in place, move on."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from crm.models import SalesStage
from tests.factories import OpportunityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_it_saves_a_develop_step_and_moves_to_propose(page: Page, live_server, login) -> None:
    # The owner may change the opportunity; no group is needed (and a transactional test may
    # run after the sales groups were flushed).
    owner = UserFactory(username="brenda", first_name="Brenda", last_name="Buyer")
    opportunity = OpportunityFactory(owner=owner, topic="Ergonomic chairs for 40 desks")
    login(owner)

    page.goto(f"{live_server.url}{opportunity.get_absolute_url()}")
    bar = page.get_by_role("region", name="Process bar")
    bar.get_by_role("link", name="Develop").click()
    flyout = page.get_by_role("dialog", name="Develop")
    flyout.get_by_label("Identify Stakeholders").check()
    flyout.get_by_role("button", name="Save").click()
    expect(page.get_by_role("dialog", name="Develop")).to_have_count(0)
    expect(bar.get_by_role("status")).to_have_text("Steps saved.")

    page.reload()
    bar.get_by_role("link", name="Develop").click()
    expect(
        page.get_by_role("dialog", name="Develop").get_by_label("Identify Stakeholders")
    ).to_be_checked()

    bar.get_by_role("button", name="Next Stage").click()
    expect(bar.get_by_role("link", name="Propose")).to_have_attribute("aria-current", "step")
    expect(page.get_by_role("region", name="Timeline")).to_contain_text("Stage changed to Propose")
    opportunity.refresh_from_db()
    assert opportunity.stage == SalesStage.PROPOSE
    assert opportunity.identify_stakeholders is True
