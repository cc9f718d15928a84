"""Business rules for leads: create and edit, the Qualify stage's steps, disqualify,
reactivate and delete (one lead or many), merge duplicate leads. One module per job; the names
every caller uses are here."""

from __future__ import annotations

from leads.services.columns import lead_grid_columns_save
from leads.services.delete import lead_delete, leads_delete
from leads.services.disqualify import lead_disqualify, lead_disqualify_refusal, leads_disqualify
from leads.services.edit import (
    LEAD_EDITABLE_FIELDS,
    LEAD_FORM_FIELDS,
    QUALIFY_STAGE_FIELDS,
    lead_create,
    lead_qualify_stage_update,
    lead_update,
)
from leads.services.errors import (
    DISQUALIFY_REASON_INVALID,
    LEAD_ALREADY_CREATED,
    LEAD_ALREADY_DELETED,
    LEAD_CLOSED,
    LEAD_CLOSED_READ_ONLY,
    LEAD_DELETE_NOT_ALLOWED,
    LEAD_GONE,
    LEAD_HAS_OPPORTUNITY,
    LEAD_NOT_CLOSED,
    LEAD_NOT_YOURS,
    DisqualifyReasonError,
    LeadAlreadyCreatedError,
    LeadAlreadyDeletedError,
    LeadClosedError,
    LeadDeleteNotAllowedError,
    LeadError,
    LeadGoneError,
    LeadHasOpportunityError,
    LeadNotClosedError,
    LeadPermissionError,
    LeadReadOnlyError,
)
from leads.services.locking import BulkFailure, BulkOutcome
from leads.services.merge import LeadMergeResult, MergeOutcome, leads_merge, leads_merge_refusal
from leads.services.reactivate import lead_reactivate, leads_reactivate

__all__ = [
    "DISQUALIFY_REASON_INVALID",
    "LEAD_ALREADY_CREATED",
    "LEAD_ALREADY_DELETED",
    "LEAD_CLOSED",
    "LEAD_CLOSED_READ_ONLY",
    "LEAD_DELETE_NOT_ALLOWED",
    "LEAD_EDITABLE_FIELDS",
    "LEAD_FORM_FIELDS",
    "LEAD_GONE",
    "LEAD_HAS_OPPORTUNITY",
    "LEAD_NOT_CLOSED",
    "LEAD_NOT_YOURS",
    "QUALIFY_STAGE_FIELDS",
    "BulkFailure",
    "BulkOutcome",
    "DisqualifyReasonError",
    "LeadAlreadyCreatedError",
    "LeadAlreadyDeletedError",
    "LeadClosedError",
    "LeadDeleteNotAllowedError",
    "LeadError",
    "LeadGoneError",
    "LeadHasOpportunityError",
    "LeadMergeResult",
    "LeadNotClosedError",
    "LeadPermissionError",
    "LeadReadOnlyError",
    "MergeOutcome",
    "lead_create",
    "lead_delete",
    "lead_disqualify",
    "lead_disqualify_refusal",
    "lead_grid_columns_save",
    "lead_qualify_stage_update",
    "lead_reactivate",
    "lead_update",
    "leads_delete",
    "leads_disqualify",
    "leads_merge",
    "leads_merge_refusal",
    "leads_reactivate",
]
