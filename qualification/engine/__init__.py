"""The qualify engine: plan -> decide -> match -> write, one set-based path for one lead or
thousands.

    plan = qualification_plan(lead=lead)                          # what Qualify will do
    result = lead_qualify(lead_id=..., acting_user=..., decisions=...)   # one lead, or raises
    outcome = leads_bulk_qualify(lead_ids=[...], acting_user=..., options=BulkOptions())

The single qualify is the bulk path run on one lead (`single.lead_qualify` calls
`bulk.leads_qualify` with one request); the two differ only in the duplicate policy: *ask* (the
duplicate dialog) for the screens, *link a single clear match or send to review* for bulk.
Modules: `errors` (typed errors and messages), `plan`, `decide` (per lead, no query), `values`
(the one check of values), `match` (existing records and duplicates, set-based, under locks),
`linked` (what a qualify writes on the existing records it links: the mappings' policies and
the salesperson's per-field choices), `write` (one INSERT per table), `bulk` (the path, and
chunked bulk qualify), `single`.
"""

from __future__ import annotations

from leads.services.errors import LEAD_CLOSED, LEAD_GONE, LeadClosedError
from qualification.engine.bulk import (
    BULK_QUALIFY_CHUNK_SIZE,
    BulkQualifyOutcome,
    LeadIssue,
    LeadOutcome,
    QualifyRequest,
    leads_bulk_qualify,
    leads_chunk_qualify,
    leads_decide,
    leads_qualify,
)
from qualification.engine.decide import (
    BulkOptions,
    QualifyDecisions,
    RecordDecision,
    lead_state_check,
)
from qualification.engine.errors import (
    ACCOUNT_NEEDS_NAME,
    CONTACT_UNDER_OTHER_ACCOUNT,
    CORRECT_THE_ERRORS,
    EXISTING_NOT_FOUND,
    LEAD_ALREADY_QUALIFIED,
    LEAD_NOT_OWNED,
    OPPORTUNITY_NEEDS_CUSTOMER,
    PICK_EXISTING,
    REQUIRED,
    SEVERAL_ACCOUNTS_MATCH,
    SEVERAL_CONTACTS_MATCH,
    TOO_MANY_OPPORTUNITIES,
    UNCLEAR_ACCOUNT_MATCH,
    UNCLEAR_BATCH_ACCOUNT_MATCH,
    UNCLEAR_CONTACT_MATCH,
    UNKNOWN_FIELD,
    DuplicatesFoundError,
    FieldProblem,
    LeadAlreadyQualifiedError,
    LeadGoneError,
    LeadNotOwnedError,
    NeedsReviewError,
    QualifyError,
    QualifyValidationError,
)
from qualification.engine.linked import (
    KEEP,
    TAKE,
    LinkedChange,
    LinkedChoices,
    LinkedField,
    linked_choices_check,
    linked_fields,
)
from qualification.engine.match import DuplicatePolicy
from qualification.engine.plan import (
    Choice,
    PlanMode,
    QualifyConfig,
    QualifyPlan,
    RecordPlan,
    ScreenKind,
    qualification_plan,
    quick_create_fields,
    summary_enabled,
)
from qualification.engine.single import lead_qualify
from qualification.engine.write import (
    BULK_NOTE,
    OPPORTUNITY_CREATED_BODY,
    OPPORTUNITY_CREATED_TITLE,
    QUALIFIED_TITLE,
    SUMMARY_TITLE,
    QualifyResult,
    qualified_event_body,
)

__all__ = [
    "ACCOUNT_NEEDS_NAME",
    "BULK_NOTE",
    "BULK_QUALIFY_CHUNK_SIZE",
    "CONTACT_UNDER_OTHER_ACCOUNT",
    "CORRECT_THE_ERRORS",
    "EXISTING_NOT_FOUND",
    "KEEP",
    "LEAD_ALREADY_QUALIFIED",
    "LEAD_CLOSED",
    "LEAD_GONE",
    "LEAD_NOT_OWNED",
    "OPPORTUNITY_CREATED_BODY",
    "OPPORTUNITY_CREATED_TITLE",
    "OPPORTUNITY_NEEDS_CUSTOMER",
    "PICK_EXISTING",
    "QUALIFIED_TITLE",
    "REQUIRED",
    "SEVERAL_ACCOUNTS_MATCH",
    "SEVERAL_CONTACTS_MATCH",
    "SUMMARY_TITLE",
    "TAKE",
    "TOO_MANY_OPPORTUNITIES",
    "UNCLEAR_ACCOUNT_MATCH",
    "UNCLEAR_BATCH_ACCOUNT_MATCH",
    "UNCLEAR_CONTACT_MATCH",
    "UNKNOWN_FIELD",
    "BulkOptions",
    "BulkQualifyOutcome",
    "Choice",
    "DuplicatePolicy",
    "DuplicatesFoundError",
    "FieldProblem",
    "LeadAlreadyQualifiedError",
    "LeadClosedError",
    "LeadGoneError",
    "LeadIssue",
    "LeadNotOwnedError",
    "LeadOutcome",
    "LinkedChange",
    "LinkedChoices",
    "LinkedField",
    "NeedsReviewError",
    "PlanMode",
    "QualifyConfig",
    "QualifyDecisions",
    "QualifyError",
    "QualifyPlan",
    "QualifyRequest",
    "QualifyResult",
    "QualifyValidationError",
    "RecordDecision",
    "RecordPlan",
    "ScreenKind",
    "lead_qualify",
    "lead_state_check",
    "leads_bulk_qualify",
    "leads_chunk_qualify",
    "leads_decide",
    "leads_qualify",
    "linked_choices_check",
    "linked_fields",
    "qualification_plan",
    "qualified_event_body",
    "quick_create_fields",
    "summary_enabled",
]
