"""Merges of overlapping records at the same moment, on PostgreSQL: the first merge holds its
row locks, the second blocks on them (seen in pg_stat_activity) and then works on what the
first left, or refuses because a record is gone. No row that pointed at a merged record is
ever lost or left pointing at nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from unittest import mock

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection

from crm.models import Account, Contact, Opportunity, TimelineEntry
from crm.services.errors import MergeRecordGoneError, RecordGoneError
from crm.services.merge import accounts_merge, contacts_merge
from crm.services.merge import records as merge_records
from crm.services.notes import record_note_add
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadOrigin
from qualification.models import Qualification
from tests.concurrency.tools import (
    THREAD_TIMEOUT,
    Outcome,
    join,
    sessions_waiting_for_a_lock,
    start_thread,
    wait_until,
)
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    LeadOriginFactory,
    OpportunityFactory,
    QualificationFactory,
    UserFactory,
)

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]


def children_of(account: Account, owner) -> None:
    """Two of every kind of row that points at an account."""
    ContactFactory.create_batch(2, account=account, owner=owner)
    OpportunityFactory.create_batch(2, customer_account=account, account=account, owner=owner)
    LeadFactory.create_batch(2, existing_account=account, owner=owner)
    LeadFactory.create_batch(2, parent_account=account, owner=owner, qualified=True)
    QualificationFactory.create_batch(2, account=account)
    LeadOriginFactory(account=account)
    for number in range(2):
        timeline_note_add(record=account, author=owner, title=f"Note {number}", body="")


def pointing_rows() -> dict[str, int]:
    """How many rows point at some account, per kind of link (a lost row lowers a count)."""
    return {
        "contacts": Contact.objects.filter(account__isnull=False).count(),
        "customer": Opportunity.objects.filter(customer_account__isnull=False).count(),
        "account": Opportunity.objects.filter(account__isnull=False).count(),
        "existing": Lead.objects.filter(existing_account__isnull=False).count(),
        "parent": Lead.objects.filter(parent_account__isnull=False).count(),
        "qualifications": Qualification.objects.filter(account__isnull=False).count(),
        "notes": TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Account), kind="note"
        ).count(),
    }


def assert_nothing_points_at_a_missing_account() -> None:
    existing = set(Account.objects.values_list("pk", flat=True))
    notes = TimelineEntry.objects.filter(content_type=ContentType.objects.get_for_model(Account))
    assert set(notes.values_list("object_id", flat=True)) <= existing


def merge(master: Account, other: Account, owner) -> Callable[[], Any]:
    return lambda: accounts_merge(
        master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=owner
    )


def run_holding_the_first(first: Callable[[], Any], second: Callable[[], Any]) -> list[Outcome]:
    """Run `first` until it holds every row lock of its merge, start `second`, wait until it is
    blocked on one of those locks, then let `first` finish."""
    locked, release = threading.Event(), threading.Event()
    holder = threading.get_ident
    lock_pointing_rows = merge_records.lock_pointing_rows
    holders: list[int] = []

    def lock_then_hold(model, ids):
        rows = lock_pointing_rows(model, ids)
        if not holders:
            holders.append(holder())
            locked.set()
            assert release.wait(THREAD_TIMEOUT)
        return rows

    with mock.patch.object(merge_records, "lock_pointing_rows", lock_then_hold):
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


@pytest.mark.parametrize("first", ["a-takes-b", "b-takes-c"])
def test_two_merges_of_a_chain_lose_no_row(first: str) -> None:
    """A <- B and B <- C at once. Whichever goes first, everything ends under a record that
    exists, and every row is still there."""
    owner = UserFactory()
    a, b, c = (AccountFactory(owner=owner, name=name) for name in ("A", "B", "C"))
    for account in (a, b, c):
        children_of(account, owner)
    before = pointing_rows()
    calls = {"a-takes-b": merge(a, b, owner), "b-takes-c": merge(b, c, owner)}
    second = "b-takes-c" if first == "a-takes-b" else "a-takes-b"

    first_outcome, second_outcome = run_holding_the_first(calls[first], calls[second])

    assert first_outcome.error is None
    if first == "a-takes-b":
        # B was merged away while the second merge waited for it: refused, nothing written.
        assert isinstance(second_outcome.error, MergeRecordGoneError)
        assert set(Account.objects.values_list("name", flat=True)) == {"A", "C"}
    else:
        # C went into B, then B (with C's rows) into A.
        assert second_outcome.error is None
        assert set(Account.objects.values_list("name", flat=True)) == {"A"}
    assert pointing_rows() == before
    assert_nothing_points_at_a_missing_account()
    # One origin per account that is left: the masters kept theirs.
    assert LeadOrigin.objects.filter(account__isnull=False).count() == Account.objects.count()


def test_two_people_merging_the_same_pair_merge_it_once() -> None:
    owner = UserFactory()
    a, b = AccountFactory(owner=owner), AccountFactory(owner=owner)
    children_of(a, owner)
    children_of(b, owner)
    before = pointing_rows()

    first, second = run_holding_the_first(merge(a, b, owner), merge(b, a, owner))

    assert first.error is None
    assert isinstance(second.error, MergeRecordGoneError)
    assert list(Account.objects.values_list("pk", flat=True)) == [a.pk]
    assert pointing_rows() == before


def test_a_note_added_while_its_account_is_merged_away_is_never_orphaned() -> None:
    owner = UserFactory()
    a, b = AccountFactory(owner=owner), AccountFactory(owner=owner)

    def note() -> Any:
        return record_note_add(record=b, acting_user=owner, title="Late note", body="")

    merged, noted = run_holding_the_first(merge(a, b, owner), note)

    assert merged.error is None
    assert isinstance(noted.error, RecordGoneError)
    assert not TimelineEntry.objects.filter(title="Late note").exists()
    assert_nothing_points_at_a_missing_account()


def test_an_account_merge_and_a_contact_merge_at_once_neither_deadlock_nor_lose_a_link() -> None:
    """The contact merge locks the accounts its contacts sit under before the contacts; the
    account merge locks the accounts, then the contacts under them: the same order."""
    owner = UserFactory()
    a, b = AccountFactory(owner=owner), AccountFactory(owner=owner)
    nancy = ContactFactory(owner=owner, account=a, first_name="Nancy", last_name="Davolio")
    twin = ContactFactory(owner=owner, account=b, first_name="Nancy", last_name="DAVOLIO")
    OpportunityFactory(owner=owner, customer_account=b, contact=twin)

    def contact_merge() -> Any:
        # The master takes the twin's Account Name: the account merged away meanwhile.
        return contacts_merge(
            master_id=nancy.pk,
            other_ids=[twin.pk],
            field_sources={"account": twin.pk},
            acting_user=owner,
        )

    accounts, contacts = run_holding_the_first(merge(a, b, owner), contact_merge)

    assert accounts.error is None
    assert contacts.error is None, contacts.error
    nancy.refresh_from_db()
    assert nancy.account_id == a.pk, "the twin's account had become A before the contact merge"
    opportunity = Opportunity.objects.get()
    assert (opportunity.customer_account_id, opportunity.contact_id) == (a.pk, nancy.pk)
    assert list(Contact.objects.values_list("pk", flat=True)) == [nancy.pk]
