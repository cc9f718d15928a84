"""`manage.py bulk_jobs_recover`: queue again the bulk qualifies that lost their worker.

`manage.py worker` does this when it starts; run it alone at any time: a job left queued or
running by a worker that was killed, and that no worker runs now, is queued again and carries
on after its last committed chunk. Safe while other workers run (a job one of them holds is
left alone) and safe to run twice (a job whose task waits in the queue is left alone too).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from qualification.tasks import bulk_jobs_recover


class Command(BaseCommand):
    help = "Queue again the background bulk qualifies whose worker is gone."

    def handle(self, *args: Any, **options: Any) -> None:
        recovered = bulk_jobs_recover()
        if not recovered:
            self.stdout.write("No bulk qualify to recover.")
            return
        for job in recovered:
            self.stdout.write(
                f"Bulk qualify #{job.pk} queued again after {job.processed} of {job.total} leads."
            )
