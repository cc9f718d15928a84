"""Riding out a database outage (a PostgreSQL restart, a network cut) in long-running
processes: the background worker and the tasks it runs.

A web request that hits an outage fails and the next one reconnects; a worker that lets the
error escape dies for good. These tell a lost connection from a statement that failed (a
deadlock, a constraint), and wait, with backoff, until the database answers again.
"""

from __future__ import annotations

import logging
import time

from django.db import (
    DEFAULT_DB_ALIAS,
    DatabaseError,
    InterfaceError,
    OperationalError,
    connections,
)

logger = logging.getLogger(__name__)

# Seconds between two attempts to reconnect: doubled each time, up to the cap.
RECONNECT_FIRST_DELAY = 0.5
RECONNECT_MAX_DELAY = 15.0


# PostgreSQL's errors that end the session: class 08 (connection exception), and the server
# shutting down or starting up (a restart terminates every session with 57P01).
_SESSION_ENDED_SQLSTATES = ("08", "57P01", "57P02", "57P03")


def database_connection_lost(error: BaseException, *, using: str = DEFAULT_DB_ALIAS) -> bool:
    """Whether this database error means the connection is gone (the server restarted or went
    away, the network was cut) rather than one statement having failed (a deadlock, a
    constraint, a timeout). Read from the error itself: by the time it is caught, Django may
    already have opened a new connection (leaving an atomic block reconnects)."""
    if connections[using].vendor != "postgresql" or not isinstance(error, DatabaseError):
        return False
    driver_error = error.__cause__ or error
    sqlstate = getattr(driver_error, "sqlstate", None)
    if sqlstate is None:
        # psycopg's own errors, raised without a server answer: the connection failed or
        # was closed under it.
        return isinstance(error, (OperationalError, InterfaceError))
    return sqlstate.startswith(_SESSION_ENDED_SQLSTATES)


def database_wait(*, give_up_after: float | None = None, using: str = DEFAULT_DB_ALIAS) -> float:
    """Reconnect, with backoff, until the database answers; returns the seconds waited.

    Raises the last OperationalError once `give_up_after` seconds have passed (None: never).
    """
    connection = connections[using]
    started = time.monotonic()
    delay = RECONNECT_FIRST_DELAY
    while True:
        # The broken connection goes; the next one is new (and passes CONN_HEALTH_CHECKS).
        connection.close()
        try:
            connection.ensure_connection()
            if connection.is_usable():
                waited = time.monotonic() - started
                logger.warning("The database answers again after %.1f seconds.", waited)
                return waited
        except OperationalError as error:
            waited = time.monotonic() - started
            if give_up_after is not None and waited >= give_up_after:
                raise
            logger.warning(
                "The database is unreachable (%s): trying again in %.1f seconds.",
                str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__,
                delay,
            )
        if give_up_after is not None:
            delay = min(delay, max(0.0, give_up_after - (time.monotonic() - started)))
        time.sleep(delay)
        delay = min(delay * 2, RECONNECT_MAX_DELAY)
