"""A real background worker killed half-way through a bulk qualify: what it committed is
whole, and on restart the job is finished by itself, without qualifying any lead twice.

The restart is what `make run` does (`manage.py bulk_jobs_recover`, then the workers), or a
worker that takes another job's task (each bulk task recovers the jobs that lost their worker
before it runs its own). No Resume click, no waiting BULK_JOB_STALLED_AFTER.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadOrigin, LeadState
from qualification.engine import BulkOptions, bulk
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from qualification.tasks import (
    bulk_job_can_resume,
    bulk_qualify_job_run,
    bulk_qualify_job_start,
)
from tests.concurrency.tools import wait_until
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL row locks and concurrent transactions; SQLite serialises writers",
    ),
    pytest.mark.django_db(transaction=True),
]

# Four chunks: the kill lands after the first or second committed chunk, inside the next.
LEADS = 4 * bulk.BULK_QUALIFY_CHUNK_SIZE
COMPANIES = 700
WORKER_TIMEOUT = 240.0
# The worker subprocesses name their database sessions, so the test can tell a dead worker's
# session from the other connections of the test run (the live server's, kept open between
# requests).
WORKER_APPLICATION = "crm-test-worker"


def _worker_env() -> dict[str, str]:
    """The test database, as the worker process must see it."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
            f"?application_name={WORKER_APPLICATION}"
        ),
        "DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }


def _manage(*args: str) -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]


def _recover() -> str:
    """`manage.py bulk_jobs_recover`, as `make run` runs it before starting the worker."""
    done = subprocess.run(
        _manage("bulk_jobs_recover"),
        cwd=settings.BASE_DIR,
        env=_worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


class Worker:
    """`manage.py db_worker` in a subprocess, its output in a log file."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            _manage("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.1"),
            cwd=settings.BASE_DIR,
            env=_worker_env(),
            stdout=self._out,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-3000:]

    def kill(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.alive():
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._out.close()


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[list[Worker]]:
    started: list[Worker] = []
    yield started
    for number, worker in enumerate(started, start=1):
        worker.stop()
        # pytest shows this only when the test failed.
        print(f"--- worker {number} (exit {worker.process.returncode}) ---\n{worker.output()}")


def _start(workers: list[Worker], log: Path) -> Worker:
    worker = Worker(log)
    workers.append(worker)
    return worker


def _client_sessions() -> int:
    """The worker subprocesses' connections to the test database (a dead worker's, until
    PostgreSQL notices it is gone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s",
            [WORKER_APPLICATION],
        )
        return cursor.fetchone()[0]


def _make_leads(owner: object) -> list[int]:
    leads = Lead.objects.bulk_create(
        LeadFactory.build(
            owner=owner,
            topic=f"Deal {n}",
            company_name=f"Firm {n % COMPANIES} Ltd",
            website="",
            email=f"buyer{n}@firms.example",
        )
        for n in range(LEADS)
    )
    return [lead.pk for lead in leads]


def _killed_half_way(workers: list[Worker], tmp_path: Path) -> tuple[BulkQualifyJob, str]:
    """A job whose worker was SIGKILLed after its first committed chunk, checked to have left
    whole chunks only; returns the job and its dead task's id."""
    owner = UserFactory()
    ids = _make_leads(owner)
    job = bulk_qualify_job_start(
        lead_ids=ids,
        acting_user=owner,
        options=BulkOptions(),
    )
    first_task = job.task_id
    assert DBTaskResult.objects.get(id=first_task).status == "READY"

    first = _start(workers, tmp_path / "worker-1.log")
    # Kill as soon as one chunk has committed: the worker is then inside the next one.
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        job.refresh_from_db()
        if 0 < job.processed < LEADS:
            break
        assert job.processed < LEADS, "the job finished before the kill: give it more leads"
        assert first.alive(), first.output()
        assert time.monotonic() < deadline, f"no chunk committed in time:\n{first.output()}"
        time.sleep(0.02)
    # The live worker holds the job: Resume is refused.
    assert not bulk_job_can_resume(job=job)
    assert _client_sessions() >= 1  # the worker's named session, which the kill must end
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    # PostgreSQL notices the dead connection, rolls its open transaction back and releases
    # its locks, the job's advisory lock with them.
    wait_until(lambda: _client_sessions() == 0, timeout=30, what="the killed worker's session")

    # What the dead worker left: whole chunks, and progress that matches them exactly.
    job.refresh_from_db()
    assert job.status == BulkJobStatus.RUNNING
    assert 0 < job.processed < LEADS and job.processed % bulk.BULK_QUALIFY_CHUNK_SIZE == 0
    assert job.qualified_count == job.processed and job.failures == []
    done, left = ids[: job.processed], ids[job.processed :]
    assert Qualification.objects.count() == job.processed
    assert set(Lead.objects.filter(state=LeadState.QUALIFIED).values_list("pk", flat=True)) == set(
        done
    )
    assert not Qualification.objects.filter(lead__in=left).exists()
    assert not LeadOrigin.objects.filter(lead__in=left).exists()
    assert Opportunity.objects.count() == job.processed
    # The task queue still believes the dead worker is running it; the job page already
    # offers Resume (nobody holds the job), but nobody needs to click it.
    assert DBTaskResult.objects.get(id=first_task).status == "RUNNING"
    assert bulk_job_can_resume(job=job)
    return job, first_task


def _wait_until_done(job: BulkQualifyJob, workers: list[Worker]) -> None:
    def finished() -> bool:
        for worker in workers[1:]:
            assert worker.alive(), worker.output()
        return BulkQualifyJob.objects.get(pk=job.pk).status == BulkJobStatus.DONE

    wait_until(finished, timeout=WORKER_TIMEOUT, what="the recovered job", every=0.2)


def assert_each_lead_qualified_once(job: BulkQualifyJob) -> None:
    job.refresh_from_db()
    assert (job.processed, job.total, job.qualified_count) == (LEADS, LEADS, LEADS)
    assert job.failures == [] and job.needs_review == [] and job.error == ""
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    twice = Qualification.objects.values("lead").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists(), list(twice)
    assert Qualification.objects.filter(lead__in=job.lead_ids).count() == LEADS
    assert Lead.objects.filter(pk__in=job.lead_ids, state=LeadState.QUALIFIED).count() == LEADS
    assert Opportunity.objects.count() == LEADS
    assert Contact.objects.count() == LEADS
    # One account per company, though a company's leads span the chunks of both workers.
    names = Counter(Account.objects.values_list("normalized_name", flat=True))
    assert len(names) == COMPANIES and set(names.values()) == {1}


def test_after_a_kill_the_recover_command_and_a_new_worker_finish_the_job(workers, tmp_path):
    """As `make run` restarts: `bulk_jobs_recover`, then the worker. Two workers, and a stray
    second task of the job (queued as the recovery ran): one runs the job, the other's task
    cannot take the job's lock and ends at once."""
    job, dead_task = _killed_half_way(workers, tmp_path)
    processed = job.processed

    assert _recover() == (
        f"Bulk qualify #{job.pk} queued again after {processed} of {LEADS} leads.\n"
    )
    job.refresh_from_db()
    assert (job.status, job.processed) == (BulkJobStatus.QUEUED, processed)
    assert job.task_id != dead_task
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    # A second run finds the job's task waiting in the queue: nothing to do.
    assert _recover() == "No bulk qualify to recover.\n"
    stray = bulk_qualify_job_run.enqueue(job.pk)

    _start(workers, tmp_path / "worker-2.log")
    _start(workers, tmp_path / "worker-3.log")
    _wait_until_done(job, workers)
    wait_until(
        lambda: DBTaskResult.objects.get(id=stray.id).status == "SUCCESSFUL",
        timeout=WORKER_TIMEOUT,
        what="the stray task",
    )
    for worker in workers[1:]:
        worker.stop()

    assert_each_lead_qualified_once(job)
    # Both tasks of the job succeeded: one ran it, the other ended at once (the job's lock
    # was taken, or the job was done by the time a worker got to it).
    runs = DBTaskResult.objects.filter(id__in=[job.task_id, stray.id])
    assert {run.status for run in runs} == {"SUCCESSFUL"}
    assert min(run.finished_at - run.started_at for run in runs) < timedelta(seconds=1)
    assert max(run.return_value for run in runs) == LEADS


def test_after_a_kill_a_worker_running_another_job_recovers_it(workers, tmp_path):
    """No recover command: the next bulk task any worker starts queues the lost job again.
    (The other job creates no records, so the counts of records stay the lost job's.)"""
    job, dead_task = _killed_half_way(workers, tmp_path)
    owner = job.created_by
    others = [LeadFactory(owner=owner, company_name=f"Firm {n} Ltd") for n in range(3)]
    other_job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in others],
        acting_user=owner,
        options=BulkOptions(create_account=False, create_contact=False, create_opportunity=False),
    )

    _start(workers, tmp_path / "worker-2.log")
    _wait_until_done(job, workers)
    workers[1].stop()

    other_job.refresh_from_db()
    assert other_job.status == BulkJobStatus.DONE and other_job.qualified_count == 3
    job.refresh_from_db()
    assert job.task_id != dead_task
    assert_each_lead_qualified_once(job)
