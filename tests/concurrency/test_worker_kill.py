"""A real background worker killed half-way through a bulk qualify: what it committed is
whole, Resume queues the job again, and a new worker finishes it without qualifying any lead
twice."""

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
from django.db.models import Count, F
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadOrigin, LeadState
from qualification import bulk
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from qualification.tasks import (
    BULK_JOB_NOT_RESUMABLE,
    BULK_JOB_STALLED_AFTER,
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


def _worker_env() -> dict[str, str]:
    """The test database, as the worker process must see it."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    port = db["PORT"] or "5432"
    return {
        **os.environ,
        "DATABASE_URL": f"postgres://{user}{password}@{host}:{port}/{db['NAME']}",
        "DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }


class Worker:
    """`manage.py db_worker` in a subprocess, its output in a log file."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(settings.BASE_DIR) / "manage.py"),
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.1",
            ],
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
    """Other client connections to the test database (a dead worker's, until it is gone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
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


def test_a_killed_worker_leaves_whole_chunks_and_a_resumed_job_qualifies_each_lead_once(
    client, workers, tmp_path
):
    owner = UserFactory()
    ids = _make_leads(owner)
    job = bulk_qualify_job_start(
        lead_ids=ids,
        acting_user=owner,
        create_account=True,
        create_contact=True,
        create_opportunity=True,
    )
    job.refresh_from_db()
    first_task = job.task_id
    assert DBTaskResult.objects.get(id=first_task).status == "READY"

    first = _start(workers, tmp_path / "worker-1.log")
    # Kill as soon as one chunk has committed: the worker is then inside the next one.
    deadline = time.monotonic() + WORKER_TIMEOUT
    while True:
        processed = BulkQualifyJob.objects.values_list("processed", flat=True).get(pk=job.pk)
        if 0 < processed < LEADS:
            break
        assert processed < LEADS, "the job finished before the kill: give it more leads"
        assert first.alive(), first.output()
        assert time.monotonic() < deadline, f"no chunk committed in time:\n{first.output()}"
        time.sleep(0.02)
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    # PostgreSQL notices the dead connection and rolls its open transaction back.
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
    # The task queue still believes the dead worker is running it.
    assert DBTaskResult.objects.get(id=first_task).status == "RUNNING"

    # Resume, as the job page does it: refused while the job may still be moving ...
    url = reverse("qualification:bulk-job-detail", args=[job.pk])
    client.force_login(owner)
    response = client.post(url)
    assert response.status_code == 200
    assert BULK_JOB_NOT_RESUMABLE in response.content.decode()
    assert BulkQualifyJob.objects.get(pk=job.pk).status == BulkJobStatus.RUNNING
    # ... and accepted once its progress has not moved for BULK_JOB_STALLED_AFTER.
    BulkQualifyJob.objects.filter(pk=job.pk).update(
        updated_at=F("updated_at") - BULK_JOB_STALLED_AFTER - timedelta(seconds=1)
    )
    response = client.post(url)
    assert (response.status_code, response["Location"]) == (302, url)
    job.refresh_from_db()
    assert job.status == BulkJobStatus.QUEUED and job.task_id != first_task
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"

    second = _start(workers, tmp_path / "worker-2.log")

    def finished() -> bool:
        assert second.alive(), second.output()
        return BulkQualifyJob.objects.get(pk=job.pk).status == BulkJobStatus.DONE

    wait_until(finished, timeout=WORKER_TIMEOUT, what="the resumed job", every=0.2)
    second.stop()

    job.refresh_from_db()
    assert (job.processed, job.total, job.qualified_count) == (LEADS, LEADS, LEADS)
    assert job.failures == [] and job.needs_review == [] and job.error == ""
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    twice = Qualification.objects.values("lead").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists(), list(twice)
    assert Qualification.objects.count() == LEADS
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == LEADS
    assert Opportunity.objects.count() == LEADS
    assert Contact.objects.count() == LEADS
    # One account per company, though a company's leads span the chunks of both workers.
    names = Counter(Account.objects.values_list("normalized_name", flat=True))
    assert len(names) == COMPANIES and set(names.values()) == {1}
