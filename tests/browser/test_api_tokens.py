"""The API tokens page, as a salesperson uses it: from the top bar, create a token (shown
once, and it works), revoke it (and it stops working); no serious accessibility violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import assert_no_serious_violations

pytestmark = pytest.mark.browser


def test_create_use_and_revoke_a_token(live_server, page, login, salesperson) -> None:
    login(salesperson)
    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens", level=1)).to_be_visible()
    page.get_by_label("Token name").fill("Website form")
    page.get_by_role("button", name="Create token").click()
    key = page.locator("#new-token-key").inner_text()
    assert key.startswith("crm_")
    expect(page.get_by_role("cell", name="Website form", exact=True)).to_be_visible()
    assert_no_serious_violations(page)

    headers = {"Authorization": f"Bearer {key}"}
    api = page.request
    assert api.get(f"{live_server.url}/api/v1/leads", headers=headers).status == 200

    page.goto(f"{live_server.url}/account/api-tokens/")
    assert key not in page.content()
    page.get_by_role("button", name="Revoke Website form").click()
    expect(page.get_by_text("revoked: requests with it are refused")).to_be_visible()
    assert api.get(f"{live_server.url}/api/v1/leads", headers=headers).status == 401
