"""Large bulk qualifies run in the background: a job, processed chunk by chunk by the worker.

Each chunk's writes and the job's progress (`processed`, the counts, the failures) commit in
one transaction, with the job row locked. A worker killed half-way therefore leaves the job
exactly after its last committed chunk; running the task again carries on from there, and no
lead is qualified twice, even when two runs of one job overlap.

Who runs a job (PostgreSQL): the task holds a session-level advisory lock on its job while it
runs. PostgreSQL releases it when the worker's connection ends, killed or not, so a job in the
queued or running state whose lock is free and whose task is not waiting in the queue has lost
its worker. `bulk_jobs_recover` queues such jobs again (and marks the lost task failed); it
runs when a worker starts (`manage.py worker`, or `manage.py bulk_jobs_recover` alone) and at
the start of every bulk task, so a restarted worker finishes a killed job by itself. A task
that cannot take its job's lock exits at once: another worker runs that job. On SQLite
(development, one worker) there is no such lock; a job whose progress has not moved for
BULK_JOB_STALLED_AFTER is taken for a lost worker instead.

A database outage (a restart, a network cut) ends the connection and, with it, the job's lock
and the chunk in flight (rolled back). The task waits for the database, takes the lock again
and carries on after the last committed chunk; the job is not marked failed for it.

The jobs need the database task backend: their task row is written in the transaction that
queues the job (so a job is never queued without its task), and the recovery reads the queue.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Func, JSONField, Value
from django.db.models.expressions import RawSQL
from django.tasks import TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from crm.errors import DomainError
from crm.models import Account, Contact
from crm.outage import database_connection_lost, database_wait
from crm.statistics import TableGrowth
from qualification.engine import bulk
from qualification.engine.bulk import leads_chunk_qualify
from qualification.engine.decide import BulkOptions
from qualification.engine.plan import QualifyConfig
from qualification.models import BulkJobStatus, BulkQualifyJob

logger = logging.getLogger(__name__)

# Without advisory locks (SQLite), a job whose progress has not moved for this long is taken
# for a lost worker.
BULK_JOB_STALLED_AFTER = timedelta(minutes=2)
# The counts of what the qualified leads became, kept on the job as on a bulk outcome.
BREAKDOWN = (
    "accounts_created",
    "accounts_linked",
    "contacts_created",
    "contacts_linked",
    "opportunities_created",
)
BULK_JOB_NOT_RESUMABLE = "This bulk qualify is still running or has finished."
# How long a task waits for the database after an outage before it gives up (the job stays
# running, without a worker: the recovery queues it again).
BULK_JOB_OUTAGE_WAIT = timedelta(minutes=10)
# After an outage, how long a task waits for its job's lock: the lock of the connection that
# was cut lasts until PostgreSQL has noticed that connection is gone.
BULK_JOB_LOCK_PATIENCE = timedelta(seconds=60)
# The states of a job that some worker should be running.
_ACTIVE = (BulkJobStatus.QUEUED, BulkJobStatus.RUNNING)
# Advisory lock keys (two int4s; PostgreSQL keeps them apart from the one-bigint keys of the
# match-key locks): (namespace, job id) for a running job, (namespace, 0) for the recovery.
_JOB_LOCK_NAMESPACE = 0x42514A  # "BQJ"
_RECOVERY_LOCK = (_JOB_LOCK_NAMESPACE, 0)
# Whether a job's lock is held, by any session of this database (the recovery's own worker
# included), read from pg_locks without taking it: a task starting at that moment must never
# find its lock taken by a mere check.
_JOB_LOCK_HELD_SQL = """
    SELECT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'advisory' AND granted AND objsubid = 2
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND classid = %s AND objid = %s
    )
"""


class BulkJobError(DomainError):
    message = "The bulk qualify could not be started."


class BulkJobNotResumableError(BulkJobError):
    message = BULK_JOB_NOT_RESUMABLE


class BulkJobWorkerLostError(Exception):
    """What the task table records for a task whose worker was lost (its job queued again)."""


def selection_key(*, lead_ids: list[int], options: BulkOptions) -> str:
    """One key for a selection and its options, whatever the order of the ids."""
    flags = (options.create_account, options.create_contact, options.create_opportunity)
    text = (
        ",".join(map(str, sorted(set(lead_ids)))) + "|" + "".join("1" if f else "0" for f in flags)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def bulk_qualify_job_start(
    *, lead_ids: list[int], acting_user: Any, options: BulkOptions
) -> BulkQualifyJob:
    """Create the job and queue it for the worker; the same selection and options posted again
    by the same user while its job is queued or running (a double click, a second tab) get
    that job, not a second one that would find every lead already qualified."""
    ids = list(dict.fromkeys(lead_ids))
    key = selection_key(lead_ids=ids, options=options)
    active = BulkQualifyJob.objects.filter(
        created_by=acting_user, selection_key=key, status__in=_ACTIVE
    )
    try:
        with transaction.atomic():
            job = BulkQualifyJob.objects.create(
                created_by=acting_user,
                lead_ids=ids,
                total=len(ids),
                create_account=options.create_account,
                create_contact=options.create_contact,
                create_opportunity=options.create_opportunity,
                selection_key=key,
            )
            _enqueue(job)
    except IntegrityError:
        # The constraint "one active job per selection" refused this one: the same post won a
        # moment ago (or is running since earlier).
        existing = active.first()
        if existing is None:
            raise
        return existing
    return job


def bulk_job_is_orphaned(*, job: BulkQualifyJob) -> bool:
    """Queued or running, yet no worker runs it and its task is not waiting in the queue."""
    if job.status not in _ACTIVE or _task_is_waiting(job):
        return False
    if connection.vendor == "postgresql":
        return not _job_lock_is_held(job_id=job.pk)
    return job.updated_at < timezone.now() - BULK_JOB_STALLED_AFTER


def bulk_job_can_resume(*, job: BulkQualifyJob) -> bool:
    """Failed, or orphaned (its worker is gone: see `bulk_job_is_orphaned`)."""
    return job.status == BulkJobStatus.FAILED or bulk_job_is_orphaned(job=job)


def bulk_qualify_job_resume(*, job: BulkQualifyJob) -> BulkQualifyJob:
    """Queue the job again; it carries on after its last committed chunk."""
    with transaction.atomic():
        job = BulkQualifyJob.objects.select_for_update().get(pk=job.pk)
        if not bulk_job_can_resume(job=job):
            raise BulkJobNotResumableError
        _requeue(job)
    return job


def bulk_jobs_recover(*, running_job_id: int | None = None) -> list[BulkQualifyJob]:
    """Queue again every job that lost its worker; returns them.

    `running_job_id` is the job of the task calling this (it holds that job's lock itself).
    Two recoveries at once take turns (a transaction-level advisory lock), so the second sees
    the tasks the first queued and queues nothing twice.
    """
    recovered = []
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", _RECOVERY_LOCK)
        candidates = BulkQualifyJob.objects.filter(status__in=_ACTIVE).exclude(pk=running_job_id)
        for candidate in candidates:
            if not bulk_job_is_orphaned(job=candidate):
                continue
            # Checked again with the row locked (and skipped when a chunk being written
            # holds it: that job has a worker after all).
            job = (
                BulkQualifyJob.objects.select_for_update(skip_locked=True)
                .filter(pk=candidate.pk)
                .first()
            )
            if job is not None and bulk_job_is_orphaned(job=job):
                _requeue(job)
                recovered.append(job)
    for job in recovered:
        logger.warning("Bulk qualify #%s lost its worker: queued again", job.pk)
    return recovered


def _requeue(job: BulkQualifyJob) -> None:
    """Back to the queue (inside the caller's transaction, the job row locked)."""
    job.status = BulkJobStatus.QUEUED
    job.error = ""
    job.finished_at = None
    job.save(update_fields=["status", "error", "finished_at", "updated_at"])
    lost_task = job.task_id
    _enqueue(job)
    if lost_task:
        _task_mark_lost(task_id=lost_task, job=job)


def _task_mark_lost(*, task_id: str, job: BulkQualifyJob) -> None:
    """The lost worker's task would stay RUNNING in the task table for ever: it is over."""
    DBTaskResult.objects.filter(id=task_id, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=timezone.now(),
        exception_class_path=f"{__name__}.{BulkJobWorkerLostError.__qualname__}",
        traceback=(
            f"The worker running bulk qualify #{job.pk} was lost; the job was queued again "
            f"as task {job.task_id}."
        ),
    )


def _enqueue(job: BulkQualifyJob) -> None:
    """Queue the job's task in the caller's transaction: the database backend writes the task
    row there, so the job and its task commit together (the worker never gets a task before
    its job exists, and no queued job is ever left without its task)."""
    result = bulk_qualify_job_run.enqueue(job.pk)
    job.task_id = str(result.id)
    BulkQualifyJob.objects.filter(pk=job.pk).update(task_id=job.task_id)


def _task_is_waiting(job: BulkQualifyJob) -> bool:
    return bool(job.task_id) and (
        DBTaskResult.objects.filter(id=job.task_id, status=TaskResultStatus.READY).exists()
    )


def _job_lock_key(job_id: int) -> tuple[int, int]:
    # The int4 key space: ids past 2**31 wrap (two such jobs would only take turns).
    return (_JOB_LOCK_NAMESPACE, job_id % 2**31)


def _job_lock_is_held(*, job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_JOB_LOCK_HELD_SQL, _job_lock_key(job_id))
        return cursor.fetchone()[0]


@contextmanager
def bulk_job_lock(*, job_id: int, patience: timedelta = timedelta(0)) -> Iterator[bool]:
    """Hold the job's advisory lock for the block; yields False when another session holds it
    (for longer than `patience`).

    The lock belongs to the connection, not to a transaction: chunks commit while it is held,
    and a killed worker's lock goes with its connection. On SQLite every run gets it.
    """
    if connection.vendor != "postgresql":
        yield True
        return
    key = _job_lock_key(job_id)
    deadline = time.monotonic() + patience.total_seconds()
    while True:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", key)
            held = cursor.fetchone()[0]
        if held or time.monotonic() >= deadline:
            break
        time.sleep(0.2)
    try:
        yield held
    except DatabaseError as error:
        if held and database_connection_lost(error):
            # The lock went with the connection: nothing to unlock.
            held = False
            connection.close()
        raise
    finally:
        if held:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s, %s)", key)
            except DatabaseError:
                # A broken connection: closing it releases the lock as well.
                connection.close()


@task()
def bulk_qualify_job_run(job_id: int) -> int:
    """The worker's entry point; returns how many leads the job has qualified."""
    return bulk_qualify_job_process(job_id=job_id).qualified_count


def bulk_qualify_job_process(*, job_id: int) -> BulkQualifyJob:
    """Run the job under its lock, after queueing again the jobs that lost their worker.

    When another worker holds the job's lock, it runs the job: this run returns at once. When
    the database goes away, this run waits for it and carries on (see the module docstring).
    """
    patience = timedelta(0)
    while True:
        try:
            with bulk_job_lock(job_id=job_id, patience=patience) as held:
                if not held:
                    logger.info("Bulk qualify #%s is run by another worker", job_id)
                    return BulkQualifyJob.objects.get(pk=job_id)
                bulk_jobs_recover(running_job_id=job_id)
                return _job_run(job_id=job_id)
        except DatabaseError as error:
            if not database_connection_lost(error):
                raise
            logger.warning("Bulk qualify #%s lost the database (%s): waiting", job_id, error)
            database_wait(give_up_after=BULK_JOB_OUTAGE_WAIT.total_seconds())
            patience = BULK_JOB_LOCK_PATIENCE


def _job_run(*, job_id: int) -> BulkQualifyJob:
    """Run the job's remaining chunks; on a crash the job is marked failed with the error."""
    job = BulkQualifyJob.objects.select_related("created_by").get(pk=job_id)
    if job.status not in _ACTIVE:
        # Done, or failed and waiting for the Resume that queues it again.
        return job
    BulkQualifyJob.objects.filter(pk=job_id).update(
        status=BulkJobStatus.RUNNING, error="", finished_at=None, updated_at=timezone.now()
    )
    try:
        config = QualifyConfig.load()
        options = BulkOptions(
            create_account=job.create_account,
            create_contact=job.create_contact,
            create_opportunity=job.create_opportunity,
        )
        growth = TableGrowth([Account, Contact])
        while outcome := _job_chunk_run(
            job_id=job_id, acting_user=job.created_by, options=options, config=config
        ):
            growth.added(Account, outcome.accounts_created)
            growth.added(Contact, outcome.contacts_created)
    except Exception as error:
        if database_connection_lost(error):
            # An outage, not a fault of the job: it carries on once the database is back.
            raise
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


def _job_chunk_run(
    *, job_id: int, acting_user: Any, options: BulkOptions, config: QualifyConfig
) -> bulk.BulkQualifyOutcome | None:
    """Qualify the next chunk and advance the job in one transaction; its outcome, or None
    when no chunk is left."""
    with transaction.atomic():
        # The job row lock serialises two runs of one job (a resume while the old worker was
        # only slow): each reads `processed` after the other's chunk committed.
        job, chunk = _job_chunk_lock(job_id=job_id, size=bulk.BULK_QUALIFY_CHUNK_SIZE)
        if not chunk:
            return None
        outcome = leads_chunk_qualify(
            lead_ids=chunk,
            acting_user=acting_user,
            options=options,
            config=config,
            bulk_job_id=job_id,
        )
        job_chunk_record(job=job, processed=len(chunk), outcome=outcome)
    return outcome


# The columns of a job that grow with it: the whole selection, and every lead failed or left
# for review so far. On PostgreSQL a chunk neither reads nor rewrites them (the server slices
# the chunk's ids out of the selection and appends the chunk's issues), so that the work of a
# chunk does not grow with the size of its job.
_JOB_GROWING = ("lead_ids", "failures", "needs_review")
# The next `size` ids of the selection, after the `processed` ones: computed from the row the
# lock returns (after a wait for the lock, the row as the other run committed it).
_CHUNK_IDS_SQL = (
    "jsonb_path_query_array(lead_ids, '$[$from to $to]', "
    "jsonb_build_object('from', processed, 'to', processed + %s - 1))"
)


def _job_chunk_lock(*, job_id: int, size: int) -> tuple[BulkQualifyJob, list[int]]:
    """The job, locked, and the ids of its next chunk (none when the job is through)."""
    jobs = BulkQualifyJob.objects.select_for_update()
    if connection.vendor != "postgresql":
        job = jobs.get(pk=job_id)
        return job, job.lead_ids[job.processed : job.processed + size]
    job = (
        jobs.defer(*_JOB_GROWING)
        # The SQL is a constant naming the job's own columns; the size is a parameter.
        .annotate(chunk_ids=RawSQL(_CHUNK_IDS_SQL, [size], output_field=JSONField()))  # noqa: S611
        .get(pk=job_id)
    )
    return job, job.chunk_ids


def _issues_appended(job: BulkQualifyJob, name: str, issues: list[bulk.LeadIssue]) -> Any:
    """The job's list `name` with the chunk's issues at its end: appended by the server on
    PostgreSQL (the list was not read), else the list read with the job and the new ones."""
    added = [issue._asdict() for issue in issues]
    if connection.vendor != "postgresql":
        return [*getattr(job, name), *added]
    return Func(
        F(name),
        Value(added, output_field=JSONField()),
        template="%(expressions)s",
        arg_joiner=" || ",
        output_field=JSONField(),
    )


def job_chunk_record(
    *, job: BulkQualifyJob, processed: int, outcome: bulk.BulkQualifyOutcome
) -> None:
    """Advance the job by one chunk (called inside the chunk's transaction, with the job row
    locked by `_job_chunk_lock`, whose qualification records were written naming the job)."""
    changes: dict[str, Any] = {
        "processed": job.processed + processed,
        "qualified_count": job.qualified_count + outcome.qualified_count,
        **{name: getattr(job, name) + getattr(outcome, name) for name in BREAKDOWN},
        "updated_at": timezone.now(),
    }
    # A list without new issues is left as it is, not written again.
    for name, issues in (("failures", outcome.failures), ("needs_review", outcome.needs_review)):
        if issues:
            changes[name] = _issues_appended(job, name, issues)
    BulkQualifyJob.objects.filter(pk=job.pk).update(**changes)
