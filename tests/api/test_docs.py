"""The schema and the docs page: served at /api/v1/openapi.json and /api/v1/docs, the docs
with the site's strict CSP and nothing it would block (its one script without `src` is a JSON
data block, which is never run)."""

from __future__ import annotations

from html.parser import HTMLParser

from django.test import Client


class _Scripts(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.inline_types: list[str] = []
        self.style_attributes = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        if tag == "script" and "src" not in names:
            self.inline_types.append(names.get("type") or "")
        self.style_attributes += "style" in names or tag == "style"


def test_the_docs_page_keeps_the_strict_policy(client: Client, db) -> None:
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    assert "script-src 'self';" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    scripts = _Scripts()
    scripts.feed(response.content.decode())
    assert scripts.inline_types == ["application/json"]
    assert scripts.style_attributes == 0
    assert "/static/ninja/swagger-ui-bundle.js" in response.content.decode()


def test_the_schema_names_every_operation(client: Client, db) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    operations = {
        (method.upper(), path) for path, item in schema["paths"].items() for method in item
    }
    assert ("POST", "/api/v1/leads/{lead_id}/qualify") in operations
    assert ("POST", "/api/v1/leads/qualify") in operations
    assert len(operations) == 15
    qualify = schema["paths"]["/api/v1/leads/{lead_id}/qualify"]["post"]
    assert {"Idempotency-Key"} <= {parameter["name"] for parameter in qualify["parameters"]}
    assert "application/problem+json" in qualify["responses"]["409"]["content"]
    assert schema["components"]["securitySchemes"]["ApiTokenAuth"]["scheme"] == "bearer"
