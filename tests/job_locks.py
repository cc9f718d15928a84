"""A bulk job held by another worker, for the task and view tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

from qualification.models import BulkQualifyJob
from qualification.tasks import bulk_job_lock


@contextmanager
def job_lock_held_elsewhere(job: BulkQualifyJob) -> Iterator[None]:
    """On PostgreSQL, a session of its own (as another worker's would) holds the job's advisory
    lock until the block ends. SQLite has no such lock: nothing is held there."""
    if connection.vendor != "postgresql":
        yield
        return
    locked, release = threading.Event(), threading.Event()

    def hold() -> None:
        try:
            with bulk_job_lock(job_id=job.pk) as held:
                if held:
                    locked.set()
                    release.wait(30)
        finally:
            connection.close()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    try:
        assert locked.wait(30), "the other worker did not get the job's lock"
        yield
    finally:
        release.set()
        thread.join(30)
