"""A real background worker killed half-way through a bulk qualify: what it committed is
whole, and on restart the job is finished by itself, without qualifying any lead twice.

The restart is what `make run` does (`manage.py worker`, which recovers lost jobs when it
starts), `manage.py bulk_jobs_recover`, or a worker that takes another job's task (each bulk
task recovers the jobs that lost their worker before it runs its own). No Resume click, no
waiting BULK_JOB_STALLED_AFTER. The dead worker's task is marked failed in the task table.
"""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django_tasks_db.models import DBTaskResult

from crm.models import Opportunity
from leads.models import Lead, LeadOrigin, LeadState
from qualification.engine import BulkOptions, bulk
from qualification.models import BulkJobStatus, BulkQualifyJob, Qualification
from qualification.tasks import (
    bulk_job_can_resume,
    bulk_qualify_job_run,
    bulk_qualify_job_start,
)
from tests.concurrency.tools import POSTGRES_ONLY, wait_until
from tests.concurrency.worker_processes import (
    WORKER_TIMEOUT,
    Worker,
    assert_each_lead_qualified_once,
    bulk_job_of_new_leads,
    manage,
    worker_env,
    worker_sessions,
)
from tests.factories import LeadFactory

pytestmark = POSTGRES_ONLY

# Four chunks: the kill lands after the first or second committed chunk, inside the next.
LEADS = 4 * bulk.BULK_QUALIFY_CHUNK_SIZE
COMPANIES = 700


def _recover() -> str:
    """`manage.py bulk_jobs_recover`, as production runs it before starting the workers."""
    done = subprocess.run(
        manage("bulk_jobs_recover"),
        cwd=settings.BASE_DIR,
        env=worker_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _start(workers: list[Worker], log: Path, command: str = "worker") -> Worker:
    worker = Worker(log, command=command)
    workers.append(worker)
    return worker


def _killed_half_way(workers: list[Worker], tmp_path: Path) -> tuple[BulkQualifyJob, str]:
    """A job whose worker was SIGKILLed after its first committed chunk, checked to have left
    whole chunks only; returns the job and its dead task's id."""
    job = bulk_job_of_new_leads(leads=LEADS, companies=COMPANIES)
    ids = job.lead_ids
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
    assert worker_sessions() >= 1  # the worker's named session, which the kill must end
    first.kill()
    assert first.process.returncode == -signal.SIGKILL
    # PostgreSQL notices the dead connection, rolls its open transaction back and releases
    # its locks, the job's advisory lock with them.
    wait_until(lambda: worker_sessions() == 0, timeout=30, what="the killed worker's session")

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


def test_after_a_kill_the_recover_command_and_a_new_worker_finish_the_job(workers, tmp_path):
    """As `make run` restarts: `bulk_jobs_recover`, then the worker. Two workers, and a stray
    second task of the job (queued as the recovery ran): one runs the job, the other's task
    cannot take the job's lock and ends at once."""
    job, dead_task = _killed_half_way(workers, tmp_path)
    processed = job.processed

    assert _recover() == (
        f"Bulk qualify #{job.pk} queued again after {processed} of {LEADS} leads.\n"
    )
    # The dead worker's task is over: no longer RUNNING in the task table.
    lost = DBTaskResult.objects.get(id=dead_task)
    assert (lost.status, lost.exception_class_path) == (
        "FAILED",
        "qualification.tasks.BulkJobWorkerLostError",
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

    assert_each_lead_qualified_once(job, leads=LEADS, companies=COMPANIES)
    # Both tasks of the job succeeded: one ran it, the other ended at once (the job's lock
    # was taken, or the job was done by the time a worker got to it).
    runs = DBTaskResult.objects.filter(id__in=[job.task_id, stray.id])
    assert {run.status for run in runs} == {"SUCCESSFUL"}
    assert min(run.finished_at - run.started_at for run in runs) < timedelta(seconds=1)
    assert max(run.return_value for run in runs) == LEADS


def test_after_a_kill_a_worker_running_another_job_recovers_it(workers, tmp_path):
    """No recover command, and django-tasks-db's plain db_worker (which recovers nothing when
    it starts): the next bulk task any worker starts queues the lost job again. (The other
    job creates no records, so the counts of records stay the lost job's.)"""
    job, dead_task = _killed_half_way(workers, tmp_path)
    owner = job.created_by
    others = [LeadFactory(owner=owner, company_name=f"Firm {n} Ltd") for n in range(3)]
    other_job = bulk_qualify_job_start(
        lead_ids=[lead.pk for lead in others],
        acting_user=owner,
        options=BulkOptions(create_account=False, create_contact=False, create_opportunity=False),
    )

    _start(workers, tmp_path / "worker-2.log", command="db_worker")
    _wait_until_done(job, workers)
    workers[1].stop()

    other_job.refresh_from_db()
    assert other_job.status == BulkJobStatus.DONE and other_job.qualified_count == 3
    job.refresh_from_db()
    assert job.task_id != dead_task
    assert DBTaskResult.objects.get(id=dead_task).status == "FAILED"
    assert_each_lead_qualified_once(job, leads=LEADS, companies=COMPANIES)
