"""The background bulk qualify: chunks, progress committed with each chunk, resume after a kill."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from leads.models import Lead, LeadState
from qualification import bulk, tasks
from qualification.engine import LEAD_CLOSED
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from qualification.tasks import (
    BulkJobNotResumableError,
    bulk_job_can_resume,
    bulk_qualify_job_resume,
    bulk_qualify_job_run,
    bulk_qualify_job_start,
)
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}


class WorkerKilled(Exception):
    """Stands in for a worker dying half-way through a job."""


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    monkeypatch.setattr(bulk, "BULK_QUALIFY_CHUNK_SIZE", 2)


def _job(user, leads) -> BulkQualifyJob:
    ids = [lead.pk for lead in leads]
    return BulkQualifyJob.objects.create(created_by=user, lead_ids=ids, total=len(ids), **ALL)


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

    monkeypatch.setattr(tasks, "job_chunk_record", record)
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


def test_start_queues_the_task_once_the_job_is_saved(
    salesperson, django_capture_on_commit_callbacks
):
    leads = [LeadFactory(owner=salesperson) for _ in range(2)]

    with django_capture_on_commit_callbacks(execute=True):
        job = bulk_qualify_job_start(
            lead_ids=[leads[0].pk, leads[1].pk, leads[0].pk], acting_user=salesperson, **ALL
        )

    job.refresh_from_db()
    assert job.lead_ids == [leads[0].pk, leads[1].pk] and job.total == 2
    assert job.status == BulkJobStatus.QUEUED
    queued = DBTaskResult.objects.get(id=job.task_id)
    assert queued.task_path == "qualification.tasks.bulk_qualify_job_run"
    assert queued.args_kwargs == {"args": [job.pk], "kwargs": {}}


def test_resume_queues_a_failed_job_again(salesperson, django_capture_on_commit_callbacks):
    job = _job(salesperson, [LeadFactory(owner=salesperson)])
    BulkQualifyJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.FAILED, error="boom")

    with django_capture_on_commit_callbacks(execute=True):
        bulk_qualify_job_resume(job=job)

    job.refresh_from_db()
    assert (job.status, job.error) == (BulkJobStatus.QUEUED, "")
    assert DBTaskResult.objects.filter(id=job.task_id).exists()


def test_resume_takes_a_stalled_job_but_not_a_live_or_finished_one(salesperson):
    job = _job(salesperson, [LeadFactory(owner=salesperson)])
    BulkQualifyJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.RUNNING)
    job.refresh_from_db()
    assert not bulk_job_can_resume(job=job)
    with pytest.raises(BulkJobNotResumableError):
        bulk_qualify_job_resume(job=job)

    BulkQualifyJob.objects.filter(pk=job.pk).update(
        updated_at=job.updated_at - tasks.BULK_JOB_STALLED_AFTER - timedelta(seconds=1)
    )
    job.refresh_from_db()
    assert bulk_job_can_resume(job=job)

    BulkQualifyJob.objects.filter(pk=job.pk).update(status=BulkJobStatus.DONE)
    job.refresh_from_db()
    assert not bulk_job_can_resume(job=job)


@pytest.mark.django_db(transaction=True)
def test_the_worker_runs_a_queued_job():
    # A transactional test starts from an emptied database, without the data migrations'
    # groups and field mappings: a plain owner, and no records to map, are enough here.
    owner = UserFactory()
    leads = [LeadFactory(owner=owner) for _ in range(3)]

    job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in leads],
        acting_user=owner,
        create_account=False,
        create_contact=False,
        create_opportunity=False,
    )
    call_command(
        "db_worker", "--batch", "--interval", "0", "--no-startup-delay", "--no-reload", verbosity=0
    )

    job.refresh_from_db()
    assert job.status == BulkJobStatus.DONE and job.qualified_count == 3
    assert DBTaskResult.objects.get(id=job.task_id).status == "SUCCESSFUL"
    assert Lead.objects.filter(state=LeadState.QUALIFIED).count() == 3
