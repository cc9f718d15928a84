"""Qualify one lead from a screen (or the API): the set-based path run on one lead, with the
screens' duplicate policy, *ask*. Raises the lead's error instead of reporting it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from leads.models import Lead
from qualification import summary as lead_summary
from qualification.engine.bulk import QualifyRequest, leads_decide, leads_qualify
from qualification.engine.decide import BulkOptions, QualifyDecisions, lead_state_check
from qualification.engine.errors import DuplicatesFoundError, LeadGoneError, NeedsReviewError
from qualification.engine.match import DuplicatePolicy
from qualification.engine.plan import QualifyConfig, QualifyPlan, summary_enabled
from qualification.engine.write import QualifyResult


def lead_qualify(
    *,
    lead_id: int,
    acting_user: Any,
    decisions: QualifyDecisions | BulkOptions | None = None,
    summarize: bool | None = None,
    plan: QualifyPlan | None = None,
    policy: DuplicatePolicy = DuplicatePolicy.ASK,
) -> QualifyResult:
    """Qualify one lead in one transaction (lead row locked, state re-checked, all or nothing).

    Raises LeadClosedError / LeadAlreadyQualifiedError, LeadNotOwnedError,
    DuplicatesFoundError, QualifyValidationError. `summarize` overrides the "Summarize the lead"
    setting (None = the setting). `plan` is the plan of this lead that the screen just drew and
    checked the post against: its settings and field mappings are used rather than read a
    second time in one request (the plan itself is derived again, from the locked lead).
    `decisions` may be the bulk dialog's boxes (the API's flags); `policy` is *ask* for the
    screens, the API may also *link* a single clear match or *create* anyway.
    """
    decisions = decisions or QualifyDecisions()
    if plan is not None and plan.lead.pk != lead_id:
        raise ValueError("The plan belongs to another lead.")
    config = plan.config if plan is not None else QualifyConfig.load()
    summary = ""
    if summarize if summarize is not None else summary_enabled(config.settings):
        summary = _summary_before_lock(
            lead_id=lead_id,
            decisions=decisions,
            config=config,
            acting_user=acting_user,
            policy=policy,
        )
    with transaction.atomic():
        # The lead row is locked first: a double click, a second tab or a replayed POST waits
        # there, then sees the lead qualified and creates nothing.
        [outcome] = leads_qualify(
            requests=[QualifyRequest(lead_id=lead_id, decisions=decisions, summary=summary)],
            acting_user=acting_user,
            config=config,
            policy=policy,
            bulk=False,
        )
    if outcome.error is not None:
        raise outcome.error
    return outcome.result


def _summary_before_lock(
    *,
    lead_id: int,
    decisions: QualifyDecisions | BulkOptions,
    config: QualifyConfig,
    acting_user: Any,
    policy: DuplicatePolicy,
) -> str:
    """The lead's summary, written before the qualify's transaction from the lead as it is now.

    A slow summary endpoint (bounded by its timeout) must never hold the lead's row lock, and
    any failure there falls back to the built-in summary instead of failing the qualify. The
    decisions are checked first (without writing) so that a screen with errors or duplicates
    comes back at once instead of waiting for a summary it will not use.
    """
    [decision] = leads_decide(
        requests=[QualifyRequest(lead_id=lead_id, decisions=decisions)],
        acting_user=acting_user,
        config=config,
        policy=policy,
        lock=False,
    )
    if isinstance(decision.error, DuplicatesFoundError | NeedsReviewError):
        # A double click: the other qualify of this lead may have committed after the read
        # above, and the duplicates found are the records it just created. The lead then
        # answers "already qualified" (or closed); only a lead still open gets the dialog.
        lead = Lead.objects.filter(pk=lead_id).first()
        if lead is None:
            raise LeadGoneError
        lead_state_check(lead)
    if decision.error is not None:
        raise decision.error
    return lead_summary.lead_summary_build(lead=decision.lead)
