"""The API's interactive docs (Django Ninja's Swagger UI, served from static files) run under
the site's strict Content Security Policy: no violation, and the operations are listed."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_the_docs_page_works_under_the_csp(live_server, page, login, salesperson) -> None:
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    login(salesperson)
    page.goto(f"{live_server.url}/api/v1/docs")
    expect(page.get_by_text("CRM API").first).to_be_visible()
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any("/api/v1/leads/{lead_id}/qualify" in path for path in paths)
    # Try it out from the page: the session (with its CSRF token) is the auth.
    page.locator(".opblock-summary-path", has_text="/api/v1/leads").first.click()
    page.get_by_role("button", name="Try it out").first.click()
    page.get_by_role("button", name="Execute").first.click()
    live = page.locator(".live-responses-table .response .response-col_status").first
    expect(live).to_contain_text("200")
    assert violations == []
