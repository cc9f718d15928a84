"""`manage.py worker`: django-tasks-db's worker, riding out a database outage."""

from __future__ import annotations

from typing import Any

import psycopg
import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django_tasks_db.models import DBTaskResult

from leads.models import Lead, LeadState
from qualification.engine import BulkOptions
from qualification.management.commands import worker as worker_command
from qualification.models import BulkJobStatus, BulkQualifyJob
from qualification.tasks import bulk_qualify_job_start
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)
NONE = {"create_account": False, "create_contact": False, "create_opportunity": False}


def _run_worker() -> None:
    call_command(
        "worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload", verbosity=0
    )


def test_the_worker_runs_a_queued_job() -> None:
    owner = UserFactory()
    job = bulk_qualify_job_start(
        lead_ids=[LeadFactory(owner=owner).pk for _ in range(3)],
        acting_user=owner,
        options=BulkOptions(**NONE),
    )

    _run_worker()

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.qualified_count == 3
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"


def test_the_worker_recovers_lost_jobs_when_it_starts() -> None:
    owner = UserFactory()
    lead = LeadFactory(owner=owner)
    # Running, without a task in the queue, and (on SQLite) stalled: its worker was lost.
    job = BulkQualifyJob.objects.create(
        created_by=owner, lead_ids=[lead.pk], total=1, status=BulkJobStatus.RUNNING, **NONE
    )
    BulkQualifyJob.objects.filter(pk=job.pk).update(updated_at="2000-01-01T00:00:00Z")

    _run_worker()

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE
    assert Lead.objects.get(pk=lead.pk).state == LeadState.QUALIFIED


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no outages")
def test_a_result_the_outage_kept_from_being_written_is_written_after_it(monkeypatch) -> None:
    """The database goes away just as the worker writes a task's result (and then its
    failure): the worker waits for it, then records the task as failed with that error,
    never leaving it RUNNING, and goes on."""
    owner = UserFactory()
    job = bulk_qualify_job_start(
        lead_ids=[LeadFactory(owner=owner).pk], acting_user=owner, options=BulkOptions(**NONE)
    )
    outage = {"on": True}
    save = DBTaskResult.save

    def save_during_outage(self: DBTaskResult, *args: Any, **kwargs: Any) -> None:
        if outage["on"] and "return_value" in kwargs.get("update_fields", ()):
            lost = psycopg.OperationalError("server closed the connection unexpectedly")
            raise OperationalError(*lost.args) from lost
        save(self, *args, **kwargs)

    real_wait = worker_command.database_wait

    def wait_for_the_end_of_the_outage(**kwargs: Any) -> float:
        outage["on"] = False
        return real_wait(**kwargs)

    monkeypatch.setattr(DBTaskResult, "save", save_during_outage)
    monkeypatch.setattr(worker_command, "database_wait", wait_for_the_end_of_the_outage)
    monkeypatch.setattr("django_tasks_db.utils.time.sleep", lambda seconds: None)

    _run_worker()

    assert not outage["on"], "the worker waited for the database"
    task = DBTaskResult.objects.get(id=job.task_id)
    assert task.status == "FAILED"
    assert task.exception_class_path == "django.db.utils.OperationalError"
    assert "server closed the connection unexpectedly" in task.traceback
    assert BulkQualifyJob.objects.get(pk=job.pk).status == BulkJobStatus.DONE
