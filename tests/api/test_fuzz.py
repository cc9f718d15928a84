"""A schema-driven fuzz run (schemathesis) against the live server: every operation of
/api/v1/openapi.json with generated requests; no answer is a server error, and every answer
(status, content type, headers, body) matches the schema. Bounded: MAX_EXAMPLES per operation
(about a minute and a half in all on SQLite on this 2-core machine)."""

from __future__ import annotations

import pytest
import schemathesis
from django.test import Client
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services.tokens import api_token_create
from tests.factories import AccountFactory, ContactFactory, LeadFactory, UserFactory

MAX_EXAMPLES = 10
REQUEST_TIMEOUT = 120
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def fuzz_token(transactional_db, settings) -> str:
    settings.API_RATE_LIMIT = "100000/min"
    user = UserFactory(salesperson=True)
    # Records with low ids, so that generated ids find some of them.
    for _ in range(5):
        LeadFactory(owner=user)
    LeadFactory(owner=user, disqualified=True)
    account = AccountFactory(owner=user)
    ContactFactory(owner=user, account=account)
    return api_token_create(user=user, name="fuzz").key


def _fuzz(operation, token: str, base_url: str) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def run(case) -> None:
        case.call_and_validate(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            checks=CHECKS,
            # A loaded machine answers slowly; no answer is timed, each is checked.
            timeout=REQUEST_TIMEOUT,
        )

    run()


def test_api_matches_its_schema(live_server, fuzz_token: str) -> None:
    # The schema as the live server serves it (read in-process, not over a socket).
    served = Client().get("/api/v1/openapi.json")
    assert served.status_code == 200
    schema = schemathesis.openapi.from_dict(served.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 15
    for operation in operations:
        _fuzz(operation, fuzz_token, live_server.url)
