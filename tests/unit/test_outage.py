"""Telling a lost database connection from a failed statement, and waiting for the database:
what the worker and the bulk task rely on to ride out an outage."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, IntegrityError, OperationalError, connection

from crm.outage import database_connection_lost, database_wait
from tests.factories import LeadFactory

POSTGRES = connection.vendor == "postgresql"
postgres_only = pytest.mark.skipif(not POSTGRES, reason="PostgreSQL sessions can be terminated")


def _error_of(sql: str) -> DatabaseError:
    with pytest.raises(DatabaseError) as error, connection.cursor() as cursor:
        cursor.execute(sql)
    return error.value


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_terminated_session_is_a_lost_connection_and_the_wait_reconnects() -> None:
    # What a PostgreSQL restart does to every session.
    error = _error_of("SELECT pg_terminate_backend(pg_backend_pid())")

    assert isinstance(error, OperationalError)
    assert database_connection_lost(error)
    assert database_wait(give_up_after=10) >= 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_cancelled_statement_is_not_a_lost_connection() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 1")
    try:
        error = _error_of("SELECT pg_sleep(1)")
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = 0")

    assert isinstance(error, OperationalError)
    assert not database_connection_lost(error)


@pytest.mark.django_db
def test_a_constraint_is_not_a_lost_connection() -> None:
    lead = LeadFactory()

    with pytest.raises(IntegrityError) as error:
        LeadFactory(pk=lead.pk)

    assert not database_connection_lost(error.value)


@pytest.mark.skipif(POSTGRES, reason="SQLite's errors")
@pytest.mark.django_db
def test_on_sqlite_nothing_is_an_outage() -> None:
    assert not database_connection_lost(OperationalError("database is locked"))
    assert not database_connection_lost(OperationalError("disk I/O error"))


@pytest.mark.django_db(transaction=True)
def test_the_wait_gives_up_when_told(monkeypatch) -> None:
    def refuse() -> None:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "ensure_connection", refuse)
    monkeypatch.setattr("crm.outage.time.sleep", lambda seconds: None)

    with pytest.raises(OperationalError):
        database_wait(give_up_after=0)
