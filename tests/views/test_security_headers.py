"""Security headers and the Content Security Policy, with the production settings' values
applied (read from a production process, not copied here), and pages that need nothing the
policy forbids: no inline script, no style attribute, no inline event handlers."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import LeadStatus
from tests.factories import (
    DEFAULT_PASSWORD,
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
)
from tests.insights import dated_lead, dated_qualification
from tests.unit.test_production_settings import production_settings

PRODUCTION_SECURITY_SETTINGS = (
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SECURE_CSP",
)


@pytest.fixture(scope="module")
def production_values(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return production_settings(tmp_path_factory.mktemp("production"), *PRODUCTION_SECURITY_SETTINGS)


@pytest.fixture
def production(settings, production_values: dict[str, object]) -> None:
    """This process answers with the production security settings."""
    for name, value in production_values.items():
        setattr(settings, name, value)


def _csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.usefixtures("production")
def test_it_redirects_plain_http_to_https(client: Client, db) -> None:
    response = client.get("/login/")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


@pytest.mark.usefixtures("production")
def test_it_does_not_take_a_clients_word_for_https(client: Client, db) -> None:
    # Only the app server decides the scheme (gunicorn, from trusted proxies); a forged
    # X-Forwarded-Proto still gets the redirect.
    response = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")

    assert response.status_code == 301
    assert response["Location"] == "https://testserver/login/"


@pytest.mark.usefixtures("production")
def test_it_sends_the_security_headers(client: Client, db) -> None:
    response = client.get("/login/", secure=True)

    assert response.status_code == 200
    assert response["Strict-Transport-Security"] == ("max-age=31536000; includeSubDomains; preload")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.usefixtures("production")
def test_it_sends_a_strict_content_security_policy(client: Client, db) -> None:
    response = client.get("/login/", secure=True)

    header = response["Content-Security-Policy"]
    directives = _csp_directives(header)
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert directives["form-action"] == ["'self'"]
    assert "unsafe-inline" not in header
    assert "unsafe-eval" not in header


def test_it_sends_the_policy_in_development_too(client: Client, db) -> None:
    # The same policy while building pages, so an inline script fails at once, not in production.
    response = client.get("/login/")

    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.usefixtures("production")
def test_it_marks_the_cookies_secure(client: Client, salesperson: User) -> None:
    page = client.get("/login/", secure=True)
    assert page.cookies["csrftoken"]["secure"] is True

    response = client.post(
        "/login/", {"username": "sam", "password": DEFAULT_PASSWORD}, secure=True
    )

    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] is True
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"


class _PolicyAudit(HTMLParser):
    """Collects whatever a strict policy would block or an htmx page would need eval for."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name for name, _value in attrs}
        if tag == "script":
            self.scripts += 1
            if "src" not in names:
                self.problems.append("inline <script> without src")
        if tag == "style":
            self.problems.append("inline <style> element")
        for name, _value in attrs:
            if name == "style":
                self.problems.append(f"style attribute on <{tag}>")
            elif name.startswith("on"):
                self.problems.append(f"{name} handler on <{tag}>")
            elif name.startswith(("hx-on", "data-hx-on")):
                self.problems.append(f"{name} on <{tag}>")
        if tag == "a" and (dict(attrs).get("href") or "").lower().startswith("javascript:"):
            self.problems.append("javascript: link")


def _audit(html: str) -> _PolicyAudit:
    audit = _PolicyAudit()
    audit.feed(html)
    audit.close()
    return audit


def test_the_audit_catches_what_the_policy_blocks() -> None:
    audit = _audit(
        '<script>alert(1)</script><p style="color:red" onclick="x()">'
        '<button hx-on:click="y()">b</button><a href="javascript:z()">z</a><style>p{}</style>'
    )

    assert audit.problems == [
        "inline <script> without src",
        "style attribute on <p>",
        "onclick handler on <p>",
        "hx-on:click on <button>",
        "javascript: link",
        "inline <style> element",
    ]


def test_the_login_page_needs_no_inline_script_or_style(client: Client, db) -> None:
    response = client.get("/login/")

    audit = _audit(response.content.decode())
    assert response.status_code == 200
    assert audit.scripts >= 2, "htmx and app.js are loaded from files"
    assert audit.problems == []


def test_the_throttled_login_page_needs_no_inline_script_or_style(
    client: Client, settings, db
) -> None:
    settings.LOGIN_FAILURE_LIMIT = 1
    cache.clear()
    client.post("/login/", {"username": "nobody", "password": "wrong password"})
    response = client.post("/login/", {"username": "nobody", "password": "wrong password"})
    cache.clear()

    assert response.status_code == 429
    assert _audit(response.content.decode()).problems == []


PAGES: dict[str, Callable[[User], str]] = {
    "lead list": lambda user: reverse("leads:lead-list"),
    "api tokens": lambda user: reverse("api-tokens:list"),
    "new lead": lambda user: reverse("leads:lead-create"),
    "lead": lambda user: reverse("leads:lead-detail", args=[LeadFactory(owner=user).pk]),
    "account list": lambda user: reverse("crm:account-list"),
    "account": lambda user: reverse("crm:account-detail", args=[AccountFactory(owner=user).pk]),
    "contact list": lambda user: reverse("crm:contact-list"),
    "contact": lambda user: reverse("crm:contact-detail", args=[ContactFactory(owner=user).pk]),
    "opportunity list": lambda user: reverse("crm:opportunity-list"),
    "opportunity": lambda user: reverse(
        "crm:opportunity-detail", args=[OpportunityFactory(owner=user).pk]
    ),
    "won opportunity": lambda user: reverse(
        "crm:opportunity-detail",
        args=[OpportunityFactory(owner=user, state="won", status_reason="won").pk],
    ),
    "opportunity edit": lambda user: reverse(
        "crm:opportunity-edit", args=[OpportunityFactory(owner=user).pk]
    ),
    "close as won": lambda user: reverse(
        "crm:opportunity-close", args=[OpportunityFactory(owner=user).pk, "won"]
    ),
    "close as lost": lambda user: reverse(
        "crm:opportunity-close", args=[OpportunityFactory(owner=user).pk, "lost"]
    ),
    "new account": lambda user: reverse("crm:account-create"),
    "account edit": lambda user: reverse("crm:account-edit", args=[AccountFactory(owner=user).pk]),
    "account delete": lambda user: reverse(
        "crm:account-delete", args=[AccountFactory(owner=user).pk]
    ),
    "account merge": lambda user: (
        reverse("crm:account-merge")
        + "?"
        + "&".join(f"ids={AccountFactory(owner=user).pk}" for _ in range(3))
    ),
    "new contact": lambda user: reverse("crm:contact-create"),
    "contact edit": lambda user: reverse("crm:contact-edit", args=[ContactFactory(owner=user).pk]),
    "contact delete": lambda user: reverse(
        "crm:contact-delete", args=[ContactFactory(owner=user).pk]
    ),
    "contact merge": lambda user: (
        reverse("crm:contact-merge")
        + "?"
        + "&".join(f"ids={ContactFactory(owner=user).pk}" for _ in range(2))
    ),
    "insights": lambda user: _insights_url(user),
}


def _insights_url(user: User) -> str:
    """Insights with something in every chart (SVG drawn, with links) this week."""
    now = timezone.now()
    dated_lead(user, created=now, closed=now, reason=LeadStatus.LOST)
    qualified = dated_lead(user, created=now, closed=now, reason=LeadStatus.QUALIFIED)
    dated_qualification(
        qualified,
        on=now,
        account="linked",
        account_duplicates="linked",
        opportunities=[{"estimated_revenue": Decimal(500)}],
    )
    return f"{reverse('insights:overview')}?period=this_week"


@pytest.mark.parametrize("page_name", PAGES)
def test_the_signed_in_pages_need_no_inline_script_or_style(
    sales_client: Client, salesperson: User, page_name: str
) -> None:
    response = sales_client.get(PAGES[page_name](salesperson))

    assert response.status_code == 200
    audit = _audit(response.content.decode())
    assert audit.problems == []
    assert audit.scripts >= 2
