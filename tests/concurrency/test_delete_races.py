"""Two people delete one lead at once: one deletes it, the other lands on the grid with
"This lead was already deleted." (not on the deleted lead's page, which would answer 404)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any
from unittest import mock

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from leads.models import Lead
from leads.services import LEAD_ALREADY_DELETED
from leads.services import delete as delete_service
from tests.concurrency.tools import (
    POSTGRES_ONLY,
    THREAD_TIMEOUT,
    join,
    run_together,
    sessions_waiting_for_a_lock,
    start_thread,
    wait_until,
)
from tests.factories import LeadFactory, UserFactory

pytestmark = POSTGRES_ONLY

LIST = reverse("leads:lead-list")
ROUNDS = 20
DELETED = "Lead deleted."


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _delete(client: Client, lead_id: int, **headers: str) -> Callable[[], tuple[str, str]]:
    """POST Delete permanently; returns where it went and the message it left."""

    def post() -> tuple[str, str]:
        response = client.post(reverse("leads:lead-delete", args=[lead_id]), **headers)
        location = response.get("HX-Redirect") or response.get("Location", "")
        # The newest message: the client never opens the grid, so earlier rounds' stay queued.
        *_earlier, message = [str(message) for message in get_messages(response.wsgi_request)]
        return location, message

    return post


def test_the_second_delete_waits_for_the_first_and_lands_on_the_grid():
    """The first delete holds the lead's row lock; the second, past its permission check,
    blocks on it (seen in pg_stat_activity), then finds the lead gone."""
    owner, manager = UserFactory(salesperson=True), UserFactory(manager=True)
    lead = LeadFactory(owner=owner)
    locked, release = threading.Event(), threading.Event()
    lock = delete_service.lead_lock

    def holding(*args: Any) -> Lead:
        found = lock(*args)
        if not locked.is_set():
            locked.set()
            assert release.wait(THREAD_TIMEOUT)
        return found

    with mock.patch.object(delete_service, "lead_lock", holding):
        first, first_outcome = start_thread(_delete(_signed_in(owner), lead.pk))
        try:
            assert locked.wait(THREAD_TIMEOUT)
            second, second_outcome = start_thread(
                _delete(_signed_in(manager), lead.pk, HTTP_HX_REQUEST="true")
            )
            wait_until(sessions_waiting_for_a_lock, timeout=10, what="the second delete to block")
        finally:
            release.set()
        join(first)
        join(second)

    assert first_outcome.error is None and second_outcome.error is None
    assert first_outcome.value == (LIST, DELETED)
    assert second_outcome.value == (LIST, LEAD_ALREADY_DELETED)
    assert not Lead.objects.filter(pk=lead.pk).exists()


def test_two_deletes_at_once_delete_once_and_both_land_on_the_grid(capsys):
    owner, manager = UserFactory(salesperson=True), UserFactory(manager=True)
    clients = [_signed_in(owner), _signed_in(manager)]
    messages: Counter[str] = Counter()

    for _ in range(ROUNDS):
        lead = LeadFactory(owner=owner)
        outcomes = run_together(*[_delete(client, lead.pk) for client in clients])
        for outcome in outcomes:
            assert outcome.error is None, repr(outcome.error)
            location, message = outcome.value
            assert location == LIST
            messages[message] += 1
        assert sorted(outcome.value[1] for outcome in outcomes) == sorted(
            [DELETED, LEAD_ALREADY_DELETED]
        )

    with capsys.disabled():
        print(
            f"\n{ROUNDS} rounds of two deletes at once: {messages[DELETED]} deleted, "
            f"{messages[LEAD_ALREADY_DELETED]} told 'already deleted', leads left "
            f"{Lead.objects.count()}"
        )
    assert messages == {DELETED: ROUNDS, LEAD_ALREADY_DELETED: ROUNDS}
    assert not Lead.objects.exists()
