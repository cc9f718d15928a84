"""An API client with a token: api.get("/leads"), api.post("/leads", {...}, key="k1")."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client

from api.services.tokens import api_token_create

BASE = "/api/v1"


@dataclass
class ApiClient:
    client: Client
    token: str

    def _headers(self, key: str | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self.client.get(BASE + path, params or {}, headers=self._headers(None))

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> Any:
        return self.client.post(
            BASE + path,
            json.dumps(body if body is not None else {}),
            content_type="application/json",
            headers=self._headers(key),
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            BASE + path,
            json.dumps(body),
            content_type="application/json",
            headers=self._headers(None),
        )


def token_for(user: User) -> str:
    return api_token_create(user=user, name="tests").key


@pytest.fixture
def api(salesperson: User) -> ApiClient:
    return ApiClient(Client(), token_for(salesperson))


@pytest.fixture
def other_api(other_salesperson: User) -> ApiClient:
    return ApiClient(Client(), token_for(other_salesperson))


@pytest.fixture
def manager_api(manager: User) -> ApiClient:
    return ApiClient(Client(), token_for(manager))


@pytest.fixture
def anonymous_api(db) -> ApiClient:
    return ApiClient(Client(), "")


def problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()
