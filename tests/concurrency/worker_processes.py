"""Real background workers for the tests: `manage.py worker` in subprocesses on the test
database (directly, or through a proxy the test can cut), and the checks of a bulk job they
ran to the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django_tasks_db.models import DBTaskResult

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from qualification.engine import BulkOptions
from qualification.models import BulkQualifyJob, Qualification
from qualification.tasks import bulk_qualify_job_start
from tests.factories import LeadFactory, UserFactory

WORKER_TIMEOUT = 240.0
# The worker subprocesses name their database sessions, so a test can tell a dead worker's
# session from the other connections of the test run (the live server's, kept open between
# requests).
WORKER_APPLICATION = "crm-test-worker"


def worker_env(*, port: int | None = None) -> dict[str, str]:
    """The test database as the worker process must see it (through `port` when given: a
    proxy in front of PostgreSQL)."""
    db = connection.settings_dict
    user = db["USER"] or "postgres"
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    host = "127.0.0.1" if port else db["HOST"] or "127.0.0.1"
    port = port or db["PORT"] or "5432"
    return {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{user}{password}@{host}:{port}/{db['NAME']}"
            f"?application_name={WORKER_APPLICATION}"
        ),
        "DEBUG": "true",
        "TASKS_BACKEND": "django_tasks_db.DatabaseBackend",
    }


def manage(*args: str) -> list[str]:
    return [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args]


class Worker:
    """`manage.py worker` (what `make run` and production run), or django-tasks-db's plain
    `db_worker`, in a subprocess, its output in a log file."""

    def __init__(self, log: Path, *, port: int | None = None, command: str = "worker") -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            manage(command, "--no-reload", "--no-startup-delay", "--interval", "0.1"),
            cwd=settings.BASE_DIR,
            env=worker_env(port=port),
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


def worker_sessions() -> int:
    """The worker subprocesses' connections to the test database (a dead worker's, until
    PostgreSQL notices it is gone)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND application_name = %s",
            [WORKER_APPLICATION],
        )
        return cursor.fetchone()[0]


def bulk_leads(owner: object, *, count: int, companies: int) -> list[int]:
    """`count` leads of `companies` companies (each company recurs), one email each."""
    leads = Lead.objects.bulk_create(
        LeadFactory.build(
            owner=owner,
            topic=f"Deal {n}",
            # Numbered people: random names repeat within a company in a few thousand, and
            # the similar-name rule rightly sends those to review.
            first_name="Pat",
            last_name=f"Buyer{n}",
            company_name=f"Firm {n % companies} Ltd",
            website="",
            email=f"buyer{n}@firms.example",
        )
        for n in range(count)
    )
    return [lead.pk for lead in leads]


def bulk_job_of_new_leads(*, leads: int, companies: int) -> BulkQualifyJob:
    """A new owner's `leads` new leads (see bulk_leads), queued as one bulk qualify that
    creates an account, a contact and an opportunity for each."""
    owner = UserFactory()
    return bulk_qualify_job_start(
        lead_ids=bulk_leads(owner, count=leads, companies=companies),
        acting_user=owner,
        options=BulkOptions(),
    )


def assert_each_lead_qualified_once(job: BulkQualifyJob, *, leads: int, companies: int) -> None:
    job.refresh_from_db()
    assert (job.processed, job.total, job.qualified_count) == (leads, leads, leads)
    assert job.failures == [] and job.needs_review == [] and job.error == ""
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    twice = Qualification.objects.values("lead").annotate(n=Count("id")).filter(n__gt=1)
    assert not twice.exists(), list(twice)
    assert Qualification.objects.filter(lead__in=job.lead_ids).count() == leads
    assert Lead.objects.filter(pk__in=job.lead_ids, state=LeadState.QUALIFIED).count() == leads
    assert Opportunity.objects.count() == leads
    assert Contact.objects.count() == leads
    # One account per company, though a company's leads span several chunks.
    names = Counter(Account.objects.values_list("normalized_name", flat=True))
    assert len(names) == companies and set(names.values()) == {1}
