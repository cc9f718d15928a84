"""Large bulk qualifies run in the background: a job, processed chunk by chunk by the worker.

Each chunk's writes and the job's progress (`processed`, the counts, the failures) commit in
one transaction, with the job row locked. A worker killed half-way therefore leaves the job
exactly after its last committed chunk; running the task again (Resume on the job page)
carries on from there, and no lead is qualified twice, even when two runs of one job overlap.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.tasks import task
from django.utils import timezone

from qualification import bulk
from qualification.bulk import BulkQualifyConfig, bulk_qualify_config, leads_chunk_qualify
from qualification.models import BulkJobStatus, BulkQualifyJob

# A running job whose progress has not moved for this long is taken for a lost worker.
BULK_JOB_STALLED_AFTER = timedelta(minutes=2)
BULK_JOB_NOT_RESUMABLE = "This bulk qualify is still running or has finished."


class BulkJobError(Exception):
    message: str = "The bulk qualify could not be started."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.message
        super().__init__(self.message)


class BulkJobNotResumableError(BulkJobError):
    message = BULK_JOB_NOT_RESUMABLE


def bulk_qualify_job_start(
    *,
    lead_ids: list[int],
    acting_user: Any,
    create_account: bool,
    create_contact: bool,
    create_opportunity: bool,
) -> BulkQualifyJob:
    """Create the job and queue it for the worker."""
    ids = list(dict.fromkeys(lead_ids))
    job = BulkQualifyJob.objects.create(
        created_by=acting_user,
        lead_ids=ids,
        total=len(ids),
        create_account=create_account,
        create_contact=create_contact,
        create_opportunity=create_opportunity,
    )
    # Queued after the job row is committed, so the worker always finds the job it is given.
    transaction.on_commit(lambda: _enqueue(job))
    return job


def bulk_job_can_resume(*, job: BulkQualifyJob) -> bool:
    """Failed, or stuck: not done and its progress has not moved for a while."""
    if job.status == BulkJobStatus.FAILED:
        return True
    if job.status == BulkJobStatus.DONE:
        return False
    return job.updated_at < timezone.now() - BULK_JOB_STALLED_AFTER


def bulk_qualify_job_resume(*, job: BulkQualifyJob) -> BulkQualifyJob:
    """Queue the job again; it carries on after its last committed chunk."""
    with transaction.atomic():
        job = BulkQualifyJob.objects.select_for_update().get(pk=job.pk)
        if not bulk_job_can_resume(job=job):
            raise BulkJobNotResumableError
        job.status = BulkJobStatus.QUEUED
        job.error = ""
        job.finished_at = None
        job.save(update_fields=["status", "error", "finished_at", "updated_at"])
        transaction.on_commit(lambda: _enqueue(job))
    return job


def _enqueue(job: BulkQualifyJob) -> None:
    result = bulk_qualify_job_run.enqueue(job.pk)
    BulkQualifyJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.task_id = str(result.id)


@task()
def bulk_qualify_job_run(job_id: int) -> int:
    """The worker's entry point; returns how many leads the job has qualified."""
    return bulk_qualify_job_process(job_id=job_id).qualified_count


def bulk_qualify_job_process(*, job_id: int) -> BulkQualifyJob:
    """Run the job's remaining chunks; on a crash the job is marked failed with the error."""
    job = BulkQualifyJob.objects.select_related("created_by").get(pk=job_id)
    if job.status == BulkJobStatus.DONE:
        return job
    BulkQualifyJob.objects.filter(pk=job_id).update(
        status=BulkJobStatus.RUNNING, error="", finished_at=None, updated_at=timezone.now()
    )
    try:
        config = bulk_qualify_config(
            acting_user=job.created_by,
            create_account=job.create_account,
            create_contact=job.create_contact,
            create_opportunity=job.create_opportunity,
        )
        while _job_chunk_run(job_id=job_id, acting_user=job.created_by, config=config):
            pass
    except Exception as error:
        BulkQualifyJob.objects.filter(pk=job_id).update(
            status=BulkJobStatus.FAILED,
            error=f"{type(error).__name__}: {error}"[:2000],
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise
    BulkQualifyJob.objects.filter(pk=job_id).update(
        status=BulkJobStatus.DONE, finished_at=timezone.now(), updated_at=timezone.now()
    )
    return BulkQualifyJob.objects.get(pk=job_id)


def _job_chunk_run(*, job_id: int, acting_user: Any, config: BulkQualifyConfig) -> bool:
    """Qualify the next chunk and advance the job in one transaction; False when none is left."""
    with transaction.atomic():
        # The job row lock serialises two runs of one job (a resume while the old worker was
        # only slow): each reads `processed` after the other's chunk committed.
        job = BulkQualifyJob.objects.select_for_update().get(pk=job_id)
        chunk = job.lead_ids[job.processed : job.processed + bulk.BULK_QUALIFY_CHUNK_SIZE]
        if not chunk:
            return False
        outcome = leads_chunk_qualify(lead_ids=chunk, acting_user=acting_user, config=config)
        job_chunk_record(job=job, processed=len(chunk), outcome=outcome)
    return True


def job_chunk_record(
    *, job: BulkQualifyJob, processed: int, outcome: bulk.BulkQualifyOutcome
) -> None:
    """Advance the job by one chunk (called inside the chunk's transaction)."""
    job.processed += processed
    job.qualified_count += outcome.qualified_count
    job.failures = [*job.failures, *(issue._asdict() for issue in outcome.failures)]
    job.needs_review = [*job.needs_review, *(issue._asdict() for issue in outcome.needs_review)]
    job.save(
        update_fields=["processed", "qualified_count", "failures", "needs_review", "updated_at"]
    )
