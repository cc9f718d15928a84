"""`manage.py worker`: the background worker. django-tasks-db's `db_worker` (same options)
that rides out a database outage, and queues again the bulk qualifies that lost their worker
when it starts and after every outage.

`db_worker` exits with OperationalError as soon as the database is unreachable (a restart, a
few seconds of refused connections), and large bulk qualifies then wait for a worker that is
gone. This one waits for the database with backoff and goes on polling. A task running when
the database went away rides it out itself (qualification.tasks); a task whose result could not
be written is recorded as failed, with that error, once the database is back.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.core.management.base import CommandError
from django.db import DatabaseError
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from crm.outage import database_connection_lost, database_wait
from qualification.tasks import bulk_jobs_recover

logger = logging.getLogger("django_tasks_db")


class OutageTolerantWorker(Worker):
    """A db_worker Worker that survives a database outage."""

    _unrecorded: DBTaskResult | None = None

    def run(self) -> None:
        while True:
            try:
                for job in bulk_jobs_recover():
                    logger.info("Queued bulk qualify #%s again: its worker was lost", job.pk)
                return super().run()
            except DatabaseError as error:
                if not database_connection_lost(error):
                    raise
                logger.warning("Worker %s lost the database (%s): waiting", self.worker_id, error)
                database_wait()
                self._record_unrecorded()

    def run_task(self, db_task_result: DBTaskResult) -> None:
        try:
            super().run_task(db_task_result)
        except DatabaseError:
            # The task ran, but neither its result nor its failure could be written.
            self._unrecorded = db_task_result
            raise

    def _record_unrecorded(self) -> None:
        """Write what the worker could not write during the outage: the task as failed with
        the database error (set on the row in memory by set_failed), never left RUNNING."""
        task_result, self._unrecorded = self._unrecorded, None
        if task_result is not None:
            task_result.save(
                update_fields=[
                    "status",
                    "return_value",
                    "finished_at",
                    "exception_class_path",
                    "traceback",
                ]
            )


class Command(DatabaseWorkerCommand):
    help = "Run the background worker; it rides out database outages."

    def handle(
        self,
        *,
        verbosity: int,
        queue_name: str,
        exclude_queues: str,
        reload: bool,
        batch: bool,
        **options: Any,
    ) -> None:
        """db_worker's handle(), with this worker."""
        self.configure_logging(verbosity)
        queue_names = queue_name.split(",")
        excluded = exclude_queues.split(",") if exclude_queues else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = OutageTolerantWorker(
            queue_names=queue_names,
            excluded_queue_names=excluded,
            batch=batch,
            interval=options["interval"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
        )
        if reload and not batch:
            # Only the reloader's child process runs the worker and handles the signals.
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
