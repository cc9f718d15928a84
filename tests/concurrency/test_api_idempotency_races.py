"""Two requests with one Idempotency-Key at the same moment, on PostgreSQL against a live
server: one lead is created and both get the same answer."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from urllib.request import Request, urlopen

import pytest
from django.db import connection

from api.services.tokens import api_token_create
from leads.models import Lead
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
    pytest.mark.django_db(transaction=True),
]


def _post(url: str, token: str, key: str) -> tuple[int, dict]:
    request = Request(  # noqa: S310 - the live server on loopback
        url,
        data=json.dumps({"topic": "Office chairs", "last_name": "Novak"}).encode(),
        headers={
            "Authorization": f"Bearer {token}",
            "Idempotency-Key": key,
            "Content-Type": "application/json",
        },
        method="POST",
    )
    with urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read())


def test_concurrent_posts_with_one_key_create_one_lead(live_server) -> None:
    user = UserFactory(salesperson=True)
    token = api_token_create(user=user, name="race").key
    url = f"{live_server.url}/api/v1/leads"
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(lambda _: _post(url, token, "same-key"), range(6)))
    assert Lead.objects.count() == 1
    assert {status for status, _ in answers} == {201}
    assert {body["id"] for _, body in answers} == {Lead.objects.get().pk}
