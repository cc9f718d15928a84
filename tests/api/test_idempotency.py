"""Idempotency-Key on POST: a replay gets the first answer and does nothing again; the same
key with another body is 422; keys are per user and last 24 hours."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.models import User

from api.models import IdempotencyRecord
from api.services.idempotency import KEY_INVALID, KEY_REUSED, REPLAYED_HEADER
from crm.models import Opportunity
from leads.models import Lead
from qualification.engine import LEAD_ALREADY_QUALIFIED
from tests.api.conftest import ApiClient, problem
from tests.factories import LeadFactory, backdate

NEW_LEAD = {"topic": "Office chairs", "last_name": "Novak"}


def test_a_replay_gets_the_first_answer_and_creates_nothing(api: ApiClient) -> None:
    first = api.post("/leads", NEW_LEAD, key="create-1")
    again = api.post("/leads", NEW_LEAD, key="create-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again[REPLAYED_HEADER] == "true"
    assert Lead.objects.count() == 1


def test_a_replayed_qualify_does_not_qualify_again(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    first = api.post(f"/leads/{lead.pk}/qualify", {}, key="q-1")
    again = api.post(f"/leads/{lead.pk}/qualify", {}, key="q-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert Opportunity.objects.count() == 1
    # Without the key, the second qualify is refused as on the screens.
    assert problem(api.post(f"/leads/{lead.pk}/qualify", {}))["detail"] == LEAD_ALREADY_QUALIFIED


def test_a_refusal_is_replayed_too(api: ApiClient) -> None:
    first = api.post("/leads", {"topic": "t", "last_name": "n", "email": "x"}, key="bad-1")
    again = api.post("/leads", {"topic": "t", "last_name": "n", "email": "x"}, key="bad-1")
    assert first.status_code == again.status_code == 422
    assert again.content == first.content


def test_the_same_key_with_another_body_is_422(api: ApiClient) -> None:
    api.post("/leads", NEW_LEAD, key="k")
    response = api.post("/leads", {**NEW_LEAD, "topic": "Desks"}, key="k")
    assert response.status_code == 422
    assert problem(response)["detail"] == KEY_REUSED
    assert list(Lead.objects.values_list("topic", flat=True)) == ["Office chairs"]


def test_the_same_key_on_another_endpoint_is_422(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    api.post(f"/leads/{lead.pk}/reactivate", key="k")
    assert (
        api.post(f"/leads/{lead.pk}/disqualify", {"status_reason": "lost"}, key="k").status_code
        == 422
    )


def test_keys_are_per_user(api: ApiClient, other_api: ApiClient) -> None:
    assert api.post("/leads", NEW_LEAD, key="shared").status_code == 201
    assert other_api.post("/leads", NEW_LEAD, key="shared").status_code == 201
    assert Lead.objects.count() == 2


def test_a_key_expires_after_24_hours(api: ApiClient) -> None:
    api.post("/leads", NEW_LEAD, key="old")
    record = IdempotencyRecord.objects.get()
    backdate(record, created_at=record.created_at - timedelta(hours=24, seconds=1))
    response = api.post("/leads", NEW_LEAD, key="old")
    assert response.status_code == 201
    assert REPLAYED_HEADER not in response
    assert Lead.objects.count() == 2


def test_a_bad_key_is_422(api: ApiClient) -> None:
    for key in ("", "x" * 256):
        response = api.post("/leads", NEW_LEAD, key=key)
        assert response.status_code == 422
        assert problem(response)["detail"] == KEY_INVALID
    assert not Lead.objects.exists()
