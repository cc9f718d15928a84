"""Starting a bulk qualify from the grid: at once for Legacy + automatic, otherwise after the
dialog's choice; in the request for a small selection, as a background job above
BULK_QUALIFY_BACKGROUND_THRESHOLD leads.

Not re-exported by `qualification.services`: it builds on the engine, which itself reads the
field services.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings

from qualification.engine import BulkOptions, BulkQualifyOutcome, QualifyConfig, leads_bulk_qualify
from qualification.models import BulkQualifyJob
from qualification.tasks import bulk_qualify_job_start


@dataclass
class BulkQualifyStart:
    """What starting a bulk qualify came to: the dialog must ask which record types to create
    (`ask`), or the leads were qualified (`outcome`), or a background job runs them (`job`)."""

    ask: bool = False
    outcome: BulkQualifyOutcome | None = None
    job: BulkQualifyJob | None = None


def bulk_qualify_start(
    *, lead_ids: list[int], acting_user: Any, options: BulkOptions | None
) -> BulkQualifyStart:
    """Qualify the selection, or say that the dialog must ask first (`options` None: the
    salesperson has not chosen yet). Legacy + automatic creates every record type at once,
    whatever was posted."""
    config = QualifyConfig.load()
    if config.is_legacy_automatic:
        options = BulkOptions()
    elif options is None:
        return BulkQualifyStart(ask=True)
    if len(lead_ids) > settings.BULK_QUALIFY_BACKGROUND_THRESHOLD:
        job = bulk_qualify_job_start(lead_ids=lead_ids, acting_user=acting_user, options=options)
        return BulkQualifyStart(job=job)
    outcome = leads_bulk_qualify(
        lead_ids=lead_ids, acting_user=acting_user, options=options, config=config
    )
    return BulkQualifyStart(outcome=outcome)
