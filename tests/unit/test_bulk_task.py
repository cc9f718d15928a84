"""The background bulk qualify: chunks, progress committed with each chunk, resume after a
kill, and the recovery of jobs whose worker is gone (PostgreSQL: the job's advisory lock is
free; SQLite: no progress for BULK_JOB_STALLED_AFTER)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from io import StringIO
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.db import connection
from django.db.models import F
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crm import statistics
from leads.models import Lead, LeadState
from qualification import tasks
from qualification.engine import LEAD_CLOSED, BulkOptions, bulk
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from qualification.tasks import (
    BulkJobNotResumableError,
    bulk_job_can_resume,
    bulk_job_is_orphaned,
    bulk_jobs_recover,
    bulk_qualify_job_resume,
    bulk_qualify_job_run,
    bulk_qualify_job_start,
)
from tests.factories import AccountFactory, LeadFactory, UserFactory
from tests.job_locks import job_lock_held_elsewhere

pytestmark = pytest.mark.django_db

ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}
POSTGRES = connection.vendor == "postgresql"


class WorkerKilled(Exception):
    """Stands in for a worker dying half-way through a job."""


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_QUALIFY_CHUNK_SIZE", 2)


def _job(user, leads, **fields) -> BulkQualifyJob:
    ids = [lead.pk for lead in leads]
    return BulkQualifyJob.objects.create(
        created_by=user, lead_ids=ids, total=len(ids), **ALL, **fields
    )


def _lose_its_worker(job: BulkQualifyJob) -> BulkQualifyJob:
    """The job was running when its worker died: nobody holds its lock (PostgreSQL), and its
    progress has not moved for BULK_JOB_STALLED_AFTER (what SQLite goes by)."""
    BulkQualifyJob.objects.filter(pk=job.pk).update(
        status=BulkJobStatus.RUNNING,
        updated_at=F("updated_at") - tasks.BULK_JOB_STALLED_AFTER - timedelta(seconds=1),
    )
    job.refresh_from_db()
    return job


@contextmanager
def _run_by_another_worker(job: BulkQualifyJob) -> Iterator[None]:
    """Another worker runs the job: on PostgreSQL it holds the job's lock; on SQLite the job's
    progress has just moved."""
    if not POSTGRES:
        BulkQualifyJob.objects.filter(pk=job.pk).update(updated_at=timezone.now())
        job.refresh_from_db()
    with job_lock_held_elsewhere(job):
        yield


def test_it_processes_the_job_in_chunks(salesperson, small_chunks):
    leads = [LeadFactory(owner=salesperson) for _ in range(4)]
    closed = LeadFactory(owner=salesperson, disqualified=True)
    job = _job(salesperson, [*leads, closed])

    qualified = bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert qualified == 4
    assert job.status == BulkJobStatus.DONE and job.finished_at is not None
    assert (job.processed, job.total, job.qualified_count) == (5, 5, 4)
    assert job.percent == 100
    assert job.failures == [{"lead_id": closed.pk, "label": str(closed), "reason": LEAD_CLOSED}]
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 4
    # Each record names its job as it is written (the job's page undoes the whole job by it).
    assert list(Qualification.objects.values_list("bulk_job_id", flat=True)) == [job.pk] * 4


def test_a_job_refreshes_the_statistics_of_the_tables_it_grows(
    salesperson, small_chunks, monkeypatch
):
    monkeypatch.setattr(statistics, "ANALYZE_MIN_ROWS", 2)
    monkeypatch.setattr(statistics, "ANALYZE_GROWTH", 0)  # whatever the tables hold already
    analysed = []
    added = statistics.TableGrowth.added

    def noting(self, model, rows):
        if added(self, model, rows):
            analysed.append(model._meta.db_table)

    monkeypatch.setattr(statistics.TableGrowth, "added", noting)
    job = _job(salesperson, [LeadFactory(owner=salesperson) for _ in range(5)])

    bulk_qualify_job_run.call(job.pk)

    # Chunks of 2 leads, each creating 2 accounts and 2 contacts: every full chunk reaches
    # ANALYZE_MIN_ROWS, the last one (1 lead) does not. SQLite has no such statistics.
    expected = ["crm_account", "crm_contact"] * 2 if POSTGRES else []
    assert analysed == expected


def test_it_lists_the_leads_left_for_review(salesperson, small_chunks):
    AccountFactory(name="Twin", website="")
    AccountFactory(name="Twin Ltd", website="")
    lead = LeadFactory(owner=salesperson, company_name="Twin", website="")
    job = _job(salesperson, [lead])

    bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert [item["lead_id"] for item in job.needs_review] == [lead.pk]
    assert job.qualified_count == 0 and job.status == BulkJobStatus.DONE


def test_a_killed_job_resumes_after_its_last_committed_chunk(
    salesperson, small_chunks, monkeypatch
):
    leads = [LeadFactory(owner=salesperson) for _ in range(5)]
    job = _job(salesperson, leads)
    record = tasks.job_chunk_record
    calls = []

    def dies_on_the_second_chunk(**kwargs):
        calls.append(kwargs["processed"])
        record(**kwargs)
        if len(calls) == 2:
            # The second chunk's writes and progress are made, but never committed.
            raise WorkerKilled("killed")

    monkeypatch.setattr(tasks, "job_chunk_record", dies_on_the_second_chunk)
    with pytest.raises(WorkerKilled):
        bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.FAILED
    assert job.error == "WorkerKilled: killed"
    assert (job.processed, job.qualified_count) == (2, 2)
    assert Qualification.objects.count() == 2
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 2
    assert bulk_job_can_resume(job=job)
    # A failed job waits for Resume: a task of it that runs meanwhile does nothing.
    bulk_qualify_job_run.call(job.pk)
    assert BulkQualifyJob.objects.get(pk=job.pk).processed == 2

    monkeypatch.setattr(tasks, "job_chunk_record", record)
    bulk_qualify_job_resume(job=job)
    bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.error == ""
    assert (job.processed, job.qualified_count, job.failures) == (5, 5, [])
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 5
    for lead in leads:
        assert Qualification.objects.filter(lead=lead).count() == 1


def test_a_kill_between_chunks_loses_nothing(salesperson, small_chunks, monkeypatch):
    leads = [LeadFactory(owner=salesperson) for _ in range(4)]
    job = _job(salesperson, leads)
    chunk_qualify = tasks.leads_chunk_qualify
    calls = []

    def dies_before_the_second_chunk(**kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise WorkerKilled("killed")
        return chunk_qualify(**kwargs)

    monkeypatch.setattr(tasks, "leads_chunk_qualify", dies_before_the_second_chunk)
    with pytest.raises(WorkerKilled):
        bulk_qualify_job_run.call(job.pk)
    monkeypatch.setattr(tasks, "leads_chunk_qualify", chunk_qualify)
    bulk_qualify_job_resume(job=job)
    bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert (job.processed, job.qualified_count, job.failures) == (4, 4, [])
    assert Qualification.objects.count() == 4


def test_a_finished_job_is_not_run_again(salesperson):
    lead = LeadFactory(owner=salesperson)
    job = _job(salesperson, [lead])
    bulk_qualify_job_run.call(job.pk)

    bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert job.failures == [] and job.qualified_count == 1


def test_start_queues_the_task_with_the_job(salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]

    job = bulk_qualify_job_start(
        lead_ids=[leads[0].pk, leads[1].pk, leads[0].pk],
        acting_user=salesperson,
        options=BulkOptions(),
    )

    job.refresh_from_db()
    assert job.lead_ids == [leads[0].pk, leads[1].pk] and job.total == 2
    assert job.status == BulkJobStatus.QUEUED
    queued = DBTaskResult.objects.get(id=job.task_id)
    assert queued.status == "READY"
    assert queued.task_path == "qualification.tasks.bulk_qualify_job_run"
    assert queued.args_kwargs == {"args": [job.pk], "kwargs": {}}


def test_the_job_and_its_task_commit_together(salesperson, monkeypatch):
    """The task row is written in the job's transaction: when queueing fails, there is no
    job either (never a queued job without its task)."""
    lead = LeadFactory(owner=salesperson)

    def fails(job_id: int) -> None:
        raise RuntimeError("queue down")

    monkeypatch.setattr(tasks, "bulk_qualify_job_run", SimpleNamespace(enqueue=fails))
    with pytest.raises(RuntimeError):
        bulk_qualify_job_start(lead_ids=[lead.pk], acting_user=salesperson, options=BulkOptions())

    assert not BulkQualifyJob.objects.exists()


def test_resume_queues_a_failed_job_again(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)])
    BulkQualifyJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.FAILED, error="boom")

    bulk_qualify_job_resume(job=job)

    job.refresh_from_db()
    assert (job.status, job.error) == (BulkJobStatus.QUEUED, "")
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"


def test_resume_takes_a_job_whose_worker_is_gone(salesperson):
    job = _lose_its_worker(_job(salesperson, [LeadFactory(owner=salesperson)]))
    assert bulk_job_can_resume(job=job)

    bulk_qualify_job_resume(job=job)

    job.refresh_from_db()
    assert job.status == BulkJobStatus.QUEUED
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    # Queued again, its task waits: it can no longer be resumed.
    assert not bulk_job_can_resume(job=job)
    with pytest.raises(BulkJobNotResumableError):
        bulk_qualify_job_resume(job=job)


def test_resume_refuses_a_job_another_worker_runs(salesperson):
    job = _lose_its_worker(_job(salesperson, [LeadFactory(owner=salesperson)]))

    with _run_by_another_worker(job):
        assert not bulk_job_can_resume(job=job)
        with pytest.raises(BulkJobNotResumableError):
            bulk_qualify_job_resume(job=job)

    job.refresh_from_db()
    assert (job.status, job.task_id) == (BulkJobStatus.RUNNING, "")


def test_resume_refuses_a_finished_job(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)], status=BulkJobStatus.DONE)

    assert not bulk_job_can_resume(job=job)
    with pytest.raises(BulkJobNotResumableError):
        bulk_qualify_job_resume(job=job)


@pytest.mark.skipif(POSTGRES, reason="SQLite has no advisory locks: it goes by the time")
def test_on_sqlite_a_job_is_orphaned_only_after_its_progress_stalled(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)], status=BulkJobStatus.RUNNING)
    assert not bulk_job_is_orphaned(job=job)

    assert bulk_job_is_orphaned(job=_lose_its_worker(job))


@pytest.mark.skipif(not POSTGRES, reason="the advisory job locks are PostgreSQL's")
def test_on_postgresql_a_job_nobody_holds_is_orphaned_at_once(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)], status=BulkJobStatus.RUNNING)

    assert bulk_job_is_orphaned(job=job)
    with _run_by_another_worker(job):
        assert not bulk_job_is_orphaned(job=job)


@pytest.mark.skipif(not POSTGRES, reason="the advisory job locks are PostgreSQL's")
def test_a_task_whose_job_another_worker_holds_exits_at_once(salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]
    job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in leads], acting_user=salesperson, options=BulkOptions()
    )

    with _run_by_another_worker(job):
        assert bulk_qualify_job_run.call(job.pk) == 0

    job.refresh_from_db()
    assert (job.status, job.processed) == (BulkJobStatus.QUEUED, 0)
    assert not Qualification.objects.exists()


def test_a_task_releases_its_jobs_lock_when_it_ends(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)])

    bulk_qualify_job_run.call(job.pk)

    with _run_by_another_worker(job):
        pass  # the other worker got the lock: the task let it go


# Recovery ----------------------------------------------------------------------------------


def test_recover_queues_again_a_job_whose_worker_is_gone(salesperson, small_chunks):
    leads = [LeadFactory(owner=salesperson) for _ in range(4)]
    job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in leads], acting_user=salesperson, options=BulkOptions()
    )
    dead_task = job.task_id
    DBTaskResult.objects.filter(id=dead_task).update(status="RUNNING")
    BulkQualifyJob.objects.filter(pk=job.pk).update(processed=2, qualified_count=2)
    _lose_its_worker(job)

    [recovered] = bulk_jobs_recover()

    job.refresh_from_db()
    assert recovered.pk == job.pk
    assert (job.status, job.processed, job.qualified_count) == (BulkJobStatus.QUEUED, 2, 2)
    assert job.task_id != dead_task
    assert DBTaskResult.objects.get(id=job.task_id).status == "READY"
    # The lost worker's task no longer claims to be running.
    lost = DBTaskResult.objects.get(id=dead_task)
    assert (lost.status, lost.exception_class_path) == (
        "FAILED",
        "qualification.tasks.BulkJobWorkerLostError",
    )
    assert f"bulk qualify #{job.pk} was lost" in lost.traceback
    assert lost.finished_at is not None
    # Run twice, it queues nothing twice: the job's task now waits in the queue.
    assert bulk_jobs_recover() == []
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_recover_leaves_alone_the_jobs_that_have_a_worker_or_are_over(salesperson):
    lead = LeadFactory(owner=salesperson)
    # Stalled all of them; the first one's task still waits in the queue.
    waiting = bulk_qualify_job_start(
        lead_ids=[lead.pk], acting_user=salesperson, options=BulkOptions()
    )
    running = _job(salesperson, [lead])
    jobs = [waiting, running]
    for job in jobs:
        _lose_its_worker(job)
    for status in (BulkJobStatus.DONE, BulkJobStatus.FAILED):
        jobs.append(_job(salesperson, [lead]))
        _lose_its_worker(jobs[-1])
        BulkQualifyJob.objects.filter(pk=jobs[-1].pk).update(status=status)

    with _run_by_another_worker(running):
        assert bulk_jobs_recover() == []

    assert list(BulkQualifyJob.objects.order_by("pk").values_list("status", flat=True)) == [
        BulkJobStatus.RUNNING,
        BulkJobStatus.RUNNING,
        BulkJobStatus.DONE,
        BulkJobStatus.FAILED,
    ]
    assert DBTaskResult.objects.count() == 1


def test_a_task_recovers_the_jobs_that_lost_their_worker_before_its_own(salesperson):
    lead, other = LeadFactory(owner=salesperson), LeadFactory(owner=salesperson)
    orphan = _lose_its_worker(_job(salesperson, [lead]))
    job = bulk_qualify_job_start(
        lead_ids=[other.pk], acting_user=salesperson, options=BulkOptions()
    )

    bulk_qualify_job_run.call(job.pk)

    orphan.refresh_from_db()
    assert orphan.status == BulkJobStatus.QUEUED
    assert DBTaskResult.objects.get(id=orphan.task_id).status == "READY"
    assert BulkQualifyJob.objects.get(pk=job.pk).status == BulkJobStatus.DONE
    # The recovered job is left to its own task: its lead is not qualified yet.
    lead.refresh_from_db()
    assert lead.state == LeadState.OPEN


def test_the_recover_command_says_what_it_queued_again(salesperson):
    job = _lose_its_worker(
        _job(salesperson, [LeadFactory(owner=salesperson) for _ in range(3)], processed=1)
    )
    out = StringIO()

    call_command("bulk_jobs_recover", stdout=out)

    assert out.getvalue() == f"Bulk qualify #{job.pk} queued again after 1 of 3 leads.\n"
    out = StringIO()
    call_command("bulk_jobs_recover", stdout=out)
    assert out.getvalue() == "No bulk qualify to recover.\n"


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_job():
    # A transactional test starts from an emptied database, without the data migrations'
    # groups and field mappings: a plain owner, and no records to map, are enough here.
    owner = UserFactory()
    leads = [LeadFactory(owner=owner) for _ in range(3)]

    job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in leads],
        acting_user=owner,
        options=BulkOptions(create_account=False, create_contact=False, create_opportunity=False),
    )
    call_command(
        "db_worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload", verbosity=0
    )

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.qualified_count == 3
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 3


def test_the_same_selection_started_twice_gives_one_job(salesperson):
    leads = [LeadFactory(owner=salesperson) for _ in range(3)]
    ids = [lead.pk for lead in leads]

    first = bulk_qualify_job_start(lead_ids=ids, acting_user=salesperson, options=BulkOptions())
    again = bulk_qualify_job_start(
        lead_ids=list(reversed(ids)), acting_user=salesperson, options=BulkOptions()
    )

    assert again == first
    assert BulkQualifyJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


def test_other_options_or_a_finished_job_start_a_new_one(salesperson):
    ids = [LeadFactory(owner=salesperson).pk]
    first = bulk_qualify_job_start(lead_ids=ids, acting_user=salesperson, options=BulkOptions())
    other = bulk_qualify_job_start(
        lead_ids=ids, acting_user=salesperson, options=BulkOptions(create_opportunity=False)
    )
    bulk_qualify_job_run.call(first.pk)
    bulk_qualify_job_run.call(other.pk)

    later = bulk_qualify_job_start(lead_ids=ids, acting_user=salesperson, options=BulkOptions())

    assert len({first.pk, other.pk, later.pk}) == 3


def test_a_job_counts_what_its_leads_became(salesperson, small_chunks):
    AccountFactory(name="Known Co", website="")
    leads = [
        LeadFactory(owner=salesperson, company_name=name, website="", email="")
        for name in ("Known Co", "New Co", "New Co", "Other Co")
    ]
    job = _job(salesperson, leads)

    bulk_qualify_job_run.call(job.pk)

    job.refresh_from_db()
    assert job.qualified_count == 4
    assert (job.accounts_created, job.accounts_linked) == (2, 2)
    assert (job.contacts_created, job.contacts_linked) == (4, 0)
    assert job.opportunities_created == 4
