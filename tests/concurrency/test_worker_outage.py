"""A database outage while the background worker runs: the worker rides it out.

The worker (`manage.py worker`, what `make run` and production run) reaches PostgreSQL through
a TCP proxy that the test cuts for 3 seconds, as a database restart or a network outage would:
every connection through it is closed and new ones are refused. A bulk qualify running at
that moment loses its chunk in flight (rolled back) and its lock; once the database answers
again it takes the lock back and finishes, every lead qualified once. django-tasks-db's own
`db_worker` exits for good on the same cut.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from qualification.engine import BulkOptions, bulk
from qualification.models import BulkJobStatus, BulkQualifyJob
from qualification.tasks import bulk_qualify_job_start
from tests.concurrency.tcp_proxy import TcpProxy
from tests.concurrency.tools import POSTGRES_ONLY, wait_until
from tests.concurrency.worker_processes import (
    WORKER_TIMEOUT,
    Worker,
    assert_each_lead_qualified_once,
    bulk_job_of_new_leads,
    worker_sessions,
)
from tests.factories import LeadFactory, UserFactory

pytestmark = POSTGRES_ONLY

LEADS = 4 * bulk.BULK_QUALIFY_CHUNK_SIZE
COMPANIES = 700
OUTAGE_SECONDS = 3.0


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    db = connection.settings_dict
    tcp_proxy = TcpProxy((db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432)))
    yield tcp_proxy
    tcp_proxy.stop()


def _outage(proxy: TcpProxy, worker: Worker) -> None:
    """Cut the database off for OUTAGE_SECONDS; the worker must live through it."""
    proxy.cut()
    deadline = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < deadline:
        assert worker.alive(), worker.output()
        time.sleep(0.1)
    proxy.restore()


def _wait_until_done(job: BulkQualifyJob, worker: Worker) -> None:
    """The job done and its task's result written (a moment after the job's last commit)."""

    def finished() -> bool:
        assert worker.alive(), worker.output()
        done = BulkQualifyJob.objects.get(pk=job.pk)
        return done.status == BulkJobStatus.DONE and (
            DBTaskResult.objects.get(id=done.task_id).finished_at is not None
        )

    wait_until(finished, timeout=WORKER_TIMEOUT, what="the job to finish", every=0.2)


def test_a_job_running_through_an_outage_finishes_with_every_lead_qualified_once(
    proxy: TcpProxy, workers, tmp_path: Path
):
    worker = Worker(tmp_path / "worker.log", port=proxy.port)
    workers.append(worker)
    job = bulk_job_of_new_leads(leads=LEADS, companies=COMPANIES)
    task_id = job.task_id

    # Cut as soon as one chunk has committed: the worker is then inside the next one.
    def one_chunk_done() -> bool:
        assert worker.alive(), worker.output()
        job.refresh_from_db()
        assert job.processed < LEADS, "the job finished before the cut: give it more leads"
        return job.processed > 0

    wait_until(one_chunk_done, timeout=WORKER_TIMEOUT, what="a first chunk")
    _outage(proxy, worker)
    _wait_until_done(job, worker)

    assert "lost the database" in worker.output(), "the outage hit the running job"
    assert proxy.connections > 1, "the worker connected again"
    assert worker.alive()
    job.refresh_from_db()
    assert job.task_id == task_id, "the same task finished the job: nobody had to resume it"
    assert_each_lead_qualified_once(job, leads=LEADS, companies=COMPANIES)


def test_an_idle_worker_rides_out_an_outage_and_runs_the_next_job(
    proxy: TcpProxy, workers, tmp_path: Path
):
    owner = UserFactory()
    leads = [LeadFactory(owner=owner) for _ in range(3)]
    worker = Worker(tmp_path / "worker.log", port=proxy.port)
    workers.append(worker)
    wait_until(worker_sessions, timeout=60, what="the worker to connect")

    _outage(proxy, worker)
    job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in leads],
        acting_user=owner,
        options=BulkOptions(create_account=False, create_contact=False, create_opportunity=False),
    )
    _wait_until_done(job, worker)

    assert "lost the database" in worker.output()
    assert BulkQualifyJob.objects.get(pk=job.pk).qualified_count == 3
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_django_tasks_dbs_own_worker_dies_on_the_same_outage(
    proxy: TcpProxy, workers, tmp_path: Path
):
    """Why `manage.py worker` exists."""
    worker = Worker(tmp_path / "db-worker.log", port=proxy.port, command="db_worker")
    workers.append(worker)
    wait_until(worker_sessions, timeout=60, what="the worker to connect")

    proxy.cut()
    wait_until(lambda: not worker.alive(), timeout=30, what="db_worker to exit")
    proxy.restore()

    assert worker.process.returncode != 0
    assert "OperationalError" in worker.output()
