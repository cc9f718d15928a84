"""Two people merging the same pair of leads at the same moment, on PostgreSQL: the first
merge holds the leads' row locks, the second blocks on them (seen in pg_stat_activity), then
finds the other lead merged (disqualified as Duplicate) or deleted and refuses, writing
nothing. The pair is merged once; no note is lost or moved twice."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import TimelineEntry
from crm.services.errors import MergeRecordGoneError
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadState, LeadStatus
from leads.services import MergeOutcome, leads_merge
from leads.services import merge as lead_merge
from leads.services.errors import LeadAlreadyMergedError
from tests.concurrency.tools import (
    THREAD_TIMEOUT,
    Outcome,
    join,
    sessions_waiting_for_a_lock,
    start_thread,
    wait_until,
)
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def merge(master: Lead, other: Lead, user, outcome: str) -> Callable[[], Any]:
    return lambda: leads_merge(
        master_id=master.pk,
        other_ids=[other.pk],
        field_sources={},
        outcome=outcome,
        acting_user=user,
    )


def run_holding_the_first(first: Callable[[], Any], second: Callable[[], Any]) -> list[Outcome]:
    """Run `first` until it holds every lock of its merge, start `second`, wait until it is
    blocked on one of those locks, then let `first` finish."""
    locked, release = threading.Event(), threading.Event()
    lock_pointing_rows = lead_merge.lock_pointing_rows
    holders: list[int] = []

    def lock_then_hold(model, ids):
        rows = lock_pointing_rows(model, ids)
        if not holders:
            holders.append(threading.get_ident())
            locked.set()
            assert release.wait(THREAD_TIMEOUT)
        return rows

    with mock.patch.object(lead_merge, "lock_pointing_rows", lock_then_hold):
        first_thread, first_outcome = start_thread(first)
        try:
            assert locked.wait(THREAD_TIMEOUT)
            second_thread, second_outcome = start_thread(second)
            wait_until(sessions_waiting_for_a_lock, timeout=10, what="the second merge to block")
        finally:
            release.set()
        join(first_thread)
        join(second_thread)
    return [first_outcome, second_outcome]


def pair_with_notes() -> tuple[Lead, Lead, Any]:
    owner = UserFactory(salesperson=True)
    a = LeadFactory(owner=owner, email="jon@contoso.com")
    b = LeadFactory(owner=owner, email="JON@contoso.com")
    for lead in (a, b):
        for number in range(2):
            timeline_note_add(record=lead, author=owner, title=f"Note {number}", body="")
    return a, b, owner


def lead_notes() -> dict[int, int]:
    notes = TimelineEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Lead), kind="note"
    )
    counts: dict[int, int] = {}
    for object_id in notes.values_list("object_id", flat=True):
        counts[object_id] = counts.get(object_id, 0) + 1
    return counts


@pytest.mark.parametrize("second_master", ["same", "swapped"])
def test_two_people_merging_the_same_pair_merge_it_once(second_master: str) -> None:
    a, b, owner = pair_with_notes()
    master, other = (a, b) if second_master == "same" else (b, a)
    second = merge(master, other, owner, MergeOutcome.DISQUALIFY)

    first_outcome, second_outcome = run_holding_the_first(
        merge(a, b, owner, MergeOutcome.DISQUALIFY), second
    )

    assert first_outcome.error is None
    assert isinstance(second_outcome.error, LeadAlreadyMergedError)
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.state == LeadState.OPEN
    assert (b.state, b.status_reason) == (LeadState.DISQUALIFIED, LeadStatus.DUPLICATE)
    assert lead_notes() == {a.pk: 4}
    merged_events = TimelineEntry.objects.filter(title="Merged 1 lead into this one")
    assert list(merged_events.values_list("object_id", flat=True)) == [a.pk]


def test_a_merge_that_waited_for_a_delete_merge_finds_the_lead_gone() -> None:
    a, b, owner = pair_with_notes()

    first_outcome, second_outcome = run_holding_the_first(
        merge(a, b, owner, MergeOutcome.DELETE), merge(a, b, owner, MergeOutcome.DISQUALIFY)
    )

    assert first_outcome.error is None
    assert isinstance(second_outcome.error, MergeRecordGoneError)
    assert list(Lead.objects.values_list("pk", flat=True)) == [a.pk]
    assert lead_notes() == {a.pk: 4}
