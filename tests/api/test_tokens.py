"""The API tokens page (create: shown once, stored hashed; revoke), admin's tokens, the browser
session with CSRF, and the rate limit per token."""

from __future__ import annotations

import json

from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from api.models import ApiToken
from api.services.tokens import api_token_hash
from leads.models import Lead
from tests.api.conftest import ApiClient, problem


def test_the_top_bar_links_the_page(sales_client: Client) -> None:
    page = sales_client.get(reverse("leads:lead-list")).content.decode()
    assert f'href="{reverse("api-tokens:list")}"' in page


def test_create_shows_the_token_once_and_stores_its_hash(
    sales_client: Client, salesperson: User
) -> None:
    response = sales_client.post(reverse("api-tokens:list"), {"name": "Website form"})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(user=salesperson)
    key = response.context["new_token"].key
    assert key in response.content.decode()
    assert token.key_hash == api_token_hash(key) and key not in token.key_hash
    assert key.startswith(token.prefix)
    # The list shows the prefix, never the token again.
    again = sales_client.get(reverse("api-tokens:list")).content.decode()
    assert key not in again and token.prefix in again and "Website form" in again
    # And the token works.
    api = ApiClient(Client(), key)
    assert api.get("/leads").status_code == 200


def test_a_name_is_required(sales_client: Client) -> None:
    response = sales_client.post(reverse("api-tokens:list"), {"name": ""})
    assert "This field is required." in response.content.decode()
    assert not ApiToken.objects.exists()


def test_revoke(sales_client: Client, api: ApiClient, salesperson: User) -> None:
    token = ApiToken.objects.get(user=salesperson)
    response = sales_client.post(reverse("api-tokens:revoke", args=[token.pk]), follow=True)
    assert "revoked" in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert api.get("/leads").status_code == 401


def test_another_users_token_cannot_be_revoked(
    sales_client: Client, other_api: ApiClient, other_salesperson: User
) -> None:
    token = ApiToken.objects.get(user=other_salesperson)
    sales_client.post(reverse("api-tokens:revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is None
    assert other_api.get("/leads").status_code == 200


def test_an_admin_creates_a_token_for_a_user(client: Client, admin_user, salesperson) -> None:
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:api_apitoken_add"), {"user": salesperson.pk, "name": "Import script"}
    )
    assert response.status_code == 200
    token = ApiToken.objects.get(user=salesperson)
    key = response.content.decode().split("<code>")[1].split("</code>")[0]
    assert token.key_hash == api_token_hash(key)
    client.post(
        reverse("admin:api_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_the_browser_session_needs_the_csrf_token_to_change(salesperson: User) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(salesperson)
    assert browser.get("/api/v1/leads").status_code == 200
    body = json.dumps({"topic": "t", "last_name": "n"})
    refused = browser.post("/api/v1/leads", body, content_type="application/json")
    assert refused.status_code == 403
    assert problem(refused)["status"] == 403
    page = browser.get(reverse("api-tokens:list"))
    csrf = page.cookies["csrftoken"].value
    accepted = browser.post(
        "/api/v1/leads", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert accepted.status_code == 201
    assert Lead.objects.count() == 1


def test_the_rate_limit_is_per_token(api: ApiClient, other_api: ApiClient, settings) -> None:
    settings.API_RATE_LIMIT = "3/min"
    assert [api.get("/leads").status_code for _ in range(4)] == [200, 200, 200, 429]
    limited = api.get("/leads")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert problem(limited)["detail"].startswith("Too many requests")
    assert other_api.get("/leads").status_code == 200
