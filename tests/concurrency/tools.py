"""Tools for the concurrency and fault tests: threads that start together, a wait for a
blocked row lock, and database faults injected by a PostgreSQL trigger.

Every test here is transactional (threads and subprocesses only see committed rows), so the
database is emptied after each one; tests/conftest.py puts back what the data migrations made
(the groups, the default field mappings) before the next.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection

# The marks of a test module that needs real row locks and concurrent transactions:
# `pytestmark = POSTGRES_ONLY`.
POSTGRES_ONLY = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]
# How long a thread may take before the test calls it stuck (a deadlock PostgreSQL did not
# break, or a lock that is never released).
THREAD_TIMEOUT = 60.0
_WRITE = re.compile(r'^\s*(?:INSERT INTO|UPDATE)\s+"(\w+)"', re.IGNORECASE)


@dataclass
class Outcome:
    """What one thread's call returned or raised."""

    value: Any = None
    error: BaseException | None = None


def run_together(*calls: Callable[[], Any], timeout: float = THREAD_TIMEOUT) -> list[Outcome]:
    """Run each call in its own thread (so on its own database connection), all released at
    once by a barrier; wait for all of them and return their outcomes in order."""
    barrier = threading.Barrier(len(calls))
    outcomes = [Outcome() for _ in calls]

    def run(outcome: Outcome, call: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=timeout)
            outcome.value = call()
        except BaseException as error:
            outcome.error = error
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(outcome, call), daemon=True)
        for outcome, call in zip(outcomes, calls, strict=True)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stuck = sum(thread.is_alive() for thread in threads)
    assert not stuck, f"{stuck} thread(s) still running after {timeout}s: a lock is never released"
    return outcomes


def start_thread(call: Callable[[], Any]) -> tuple[threading.Thread, Outcome]:
    """Run one call in a thread of its own (its own connection, closed at the end)."""
    outcome = Outcome()

    def run() -> None:
        try:
            outcome.value = call()
        except BaseException as error:
            outcome.error = error
        finally:
            connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def join(thread: threading.Thread, timeout: float = THREAD_TIMEOUT) -> None:
    thread.join(timeout)
    assert not thread.is_alive(), f"the thread is still running after {timeout}s"


def sessions_waiting_for_a_lock() -> int:
    """Other sessions of this database blocked on a lock (a row lock held by another)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND wait_event_type = 'Lock'"
            " AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


class Rendezvous:
    """Holds each arriving thread until every party has arrived, or until another session
    is blocked on a lock: the two calls can then not both be at this point at once (the code
    under test serialises them) and the arrived one goes on alone."""

    def __init__(self, parties: int, timeout: float = THREAD_TIMEOUT) -> None:
        self.parties = parties
        self.timeout = timeout
        self.arrived = 0
        self.saw_a_blocked_session = False
        self._lock = threading.Lock()

    def arrive(self) -> None:
        with self._lock:
            self.arrived += 1
        deadline = time.monotonic() + self.timeout
        while True:
            with self._lock:
                if self.arrived >= self.parties:
                    return
            if sessions_waiting_for_a_lock():
                self.saw_a_blocked_session = True
                return
            assert time.monotonic() < deadline, "the other party neither arrived nor blocked"
            time.sleep(0.02)


def wait_until(check: Callable[[], Any], *, timeout: float, what: str, every: float = 0.02) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out after {timeout}s waiting for {what}"
        time.sleep(every)


def tables_written(queries: list[dict[str, str]]) -> set[str]:
    """The tables that INSERT or UPDATE statements among the captured queries touched."""
    return {match[1] for query in queries if (match := _WRITE.match(query["sql"]))}


FAULT_MESSAGE = "injected fault"


@contextmanager
def failing_write(
    *, table: str, condition: str = "TRUE", operation: str = "INSERT"
) -> Iterator[None]:
    """Make PostgreSQL refuse the rows of `table` that match `condition` (plpgsql over NEW).

    A BEFORE row trigger raises, so the fault strikes in the middle of the statement, after
    the rows before it were written: a bulk INSERT of three opportunities can fail on the
    third. The application sees the database error it would see from any failing write.
    Table names and conditions are the tests' own constants, never outside input.
    """
    name = f"test_fault_{table}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            f" IF {condition} THEN"
            f" RAISE EXCEPTION '{FAULT_MESSAGE}: % on %', TG_OP, TG_TABLE_NAME;"
            " END IF; RETURN NEW; END $$"
        )
        cursor.execute(
            f'CREATE TRIGGER {name} BEFORE {operation} ON "{table}"'
            f" FOR EACH ROW EXECUTE FUNCTION {name}()"
        )
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")
