"""Undo racing an edit of a record the qualification created, a note on it, or a second
undo: either the undo or the other write, never half of each."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from crm.models import Account, Contact, Opportunity, TimelineEntry
from crm.services import fields as field_services
from crm.services.errors import RecordGoneError
from crm.services.records import account_update
from crm.services.timeline import TimelineRecordGoneError, timeline_note_add
from leads.models import Lead, LeadState
from qualification.engine import lead_qualify
from qualification.models import Qualification
from qualification.services.undo import UNDO_ALREADY_DONE, UndoRefusedError, qualification_undo
from qualification.services.undo import run as undo_run
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

ROUNDS = 10
NEW_PHONE = "+1 555 0199"


def _qualified(owner: Any, round_: int = 0) -> tuple[Lead, Qualification, Account]:
    # A company and a person of their own per round: a round whose undo lost keeps them.
    lead = LeadFactory(
        owner=owner, company_name=f"Fabrikam {round_}", last_name=f"Novak {round_}", email=""
    )
    result = lead_qualify(lead_id=lead.pk, acting_user=owner)
    return lead, result.qualification, result.account


def _undo(qualification: Qualification, user: Any) -> Callable[[], Any]:
    return lambda: qualification_undo(qualification=qualification, acting_user=user)


def _edit(account: Account, user: Any) -> Callable[[], Any]:
    return lambda: account_update(
        account=Account.objects.get(pk=account.pk), acting_user=user, phone=NEW_PHONE
    )


def _assert_undone(lead: Lead, qualification: Qualification, account: Account) -> None:
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN and lead.parent_account_id is None
    assert not Account.objects.filter(pk=account.pk).exists()
    assert not Contact.objects.filter(origin__lead=lead).exists()
    assert not Opportunity.objects.filter(origin__lead=lead).exists()
    assert Qualification.objects.get(pk=qualification.pk).undone_at is not None


def _assert_kept(lead: Lead, qualification: Qualification, account: Account) -> None:
    lead.refresh_from_db()
    assert lead.state == LeadState.QUALIFIED and lead.parent_account_id == account.pk
    assert Account.objects.filter(pk=account.pk).exists()
    assert Contact.objects.filter(origin__lead=lead).count() == 1
    assert Opportunity.objects.filter(origin__lead=lead).count() == 1
    assert Qualification.objects.get(pk=qualification.pk).undone_at is None


@contextmanager
def _held(target: Any, name: str) -> Iterator[tuple[threading.Event, threading.Event]]:
    """Patch `target.name` so that its first call, once it has run (its locks taken), waits
    for `release`; `reached` says it got there."""
    reached, release = threading.Event(), threading.Event()
    original = getattr(target, name)

    def holding(*args: Any, **kwargs: Any) -> Any:
        value = original(*args, **kwargs)
        if not reached.is_set():
            reached.set()
            assert release.wait(THREAD_TIMEOUT)
        return value

    with mock.patch.object(target, name, holding):
        try:
            yield reached, release
        finally:
            release.set()


def test_an_edit_that_waits_for_the_undo_finds_the_account_gone():
    owner = UserFactory(salesperson=True)
    lead, qualification, account = _qualified(owner)
    with _held(undo_run.examine, "undo_examine") as (reached, release):
        undo, undo_outcome = start_thread(_undo(qualification, owner))
        assert reached.wait(THREAD_TIMEOUT)
        edit, edit_outcome = start_thread(_edit(account, owner))
        wait_until(sessions_waiting_for_a_lock, timeout=10, what="the edit to block")
        release.set()
        join(undo)
        join(edit)
    assert undo_outcome.error is None
    assert isinstance(edit_outcome.error, RecordGoneError)
    _assert_undone(lead, qualification, account)


def test_an_undo_that_waits_for_the_edit_is_refused_and_changes_nothing():
    owner = UserFactory(salesperson=True)
    lead, qualification, account = _qualified(owner)
    with _held(field_services, "record_lock_for_change") as (reached, release):
        edit, edit_outcome = start_thread(_edit(account, owner))
        assert reached.wait(THREAD_TIMEOUT)
        undo, undo_outcome = start_thread(_undo(qualification, owner))
        wait_until(sessions_waiting_for_a_lock, timeout=10, what="the undo to block")
        release.set()
        join(edit)
        join(undo)
    assert edit_outcome.error is None
    assert isinstance(undo_outcome.error, UndoRefusedError)
    assert any("was edited on" in reason for reason in undo_outcome.error.reasons)
    _assert_kept(lead, qualification, account)
    assert Account.objects.get(pk=account.pk).phone == NEW_PHONE


def test_an_undo_and_an_edit_at_once_leave_one_of_them_whole():
    owner = UserFactory(salesperson=True)
    for round_ in range(ROUNDS):
        lead, qualification, account = _qualified(owner, round_)
        undo, edit = run_together(_undo(qualification, owner), _edit(account, owner))
        if undo.error is None:
            assert isinstance(edit.error, RecordGoneError)
            _assert_undone(lead, qualification, account)
        else:
            assert isinstance(undo.error, UndoRefusedError), undo.error
            assert edit.error is None
            _assert_kept(lead, qualification, account)
            assert Account.objects.get(pk=account.pk).phone == NEW_PHONE


def test_a_note_and_an_undo_at_once_leave_one_of_them_whole():
    owner, colleague = UserFactory(salesperson=True), UserFactory(salesperson=True)
    for round_ in range(ROUNDS):
        lead, qualification, account = _qualified(owner, round_)

        def note(account: Account = account) -> TimelineEntry:
            return timeline_note_add(record=account, author=colleague, title="Met", body="")

        undo, noted = run_together(_undo(qualification, owner), note)
        if undo.error is None:
            assert isinstance(noted.error, TimelineRecordGoneError)
            _assert_undone(lead, qualification, account)
        else:
            assert isinstance(undo.error, UndoRefusedError), undo.error
            assert noted.error is None
            _assert_kept(lead, qualification, account)


def test_two_undos_at_once_undo_once():
    owner, manager = UserFactory(salesperson=True), UserFactory(manager=True)
    for round_ in range(ROUNDS):
        lead, qualification, account = _qualified(owner, round_)
        outcomes = run_together(_undo(qualification, owner), _undo(qualification, manager))
        errors = [outcome.error for outcome in outcomes if outcome.error is not None]
        assert len(errors) == 1, errors
        assert isinstance(errors[0], UndoRefusedError) and errors[0].message == UNDO_ALREADY_DONE
        _assert_undone(lead, qualification, account)
        undone_events = TimelineEntry.objects.filter(
            object_id=lead.pk, title__startswith="Qualification undone"
        )
        assert undone_events.count() == 1
