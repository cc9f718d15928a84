"""The record services under the names every caller uses (the engine, the demo data, the
admin, the views): one module per entity and job beside this one, collected here."""

from __future__ import annotations

from crm.process import STAGE_ORDER, STAGE_STEPS
from crm.services.accounts import account_create, account_update
from crm.services.contacts import contact_create, contact_update
from crm.services.errors import (
    ACCOUNT_NAME_REQUIRED,
    CONTACT_LAST_NAME_REQUIRED,
    FUTURE_STAGE_READ_ONLY,
    OPPORTUNITY_CHANGE_FORBIDDEN,
    OPPORTUNITY_CLOSED,
    OPPORTUNITY_CUSTOMER_REQUIRED,
    OPPORTUNITY_FIRST_STAGE,
    OPPORTUNITY_LAST_STAGE,
    OPPORTUNITY_STAGE_UNKNOWN,
    OPPORTUNITY_TOPIC_REQUIRED,
    AccountNameRequiredError,
    ContactLastNameRequiredError,
    OpportunityClosedError,
    OpportunityCustomerRequiredError,
    OpportunityFirstStageError,
    OpportunityFutureStageError,
    OpportunityLastStageError,
    OpportunityPermissionError,
    OpportunityStageUnknownError,
    OpportunityTopicRequiredError,
    RecordError,
)
from crm.services.fields import (
    ACCOUNT_FIELDS,
    ADDRESS_FIELDS,
    CONTACT_FIELDS,
    OPPORTUNITY_FIELDS,
    account_match_keys,
    contact_match_keys,
)
from crm.services.opportunities import opportunity_update
from crm.services.process import (
    opportunity_stage_next,
    opportunity_stage_previous,
    opportunity_stage_set,
    opportunity_steps_refusal,
    opportunity_steps_update,
)

__all__ = [
    "ACCOUNT_FIELDS",
    "ACCOUNT_NAME_REQUIRED",
    "ADDRESS_FIELDS",
    "CONTACT_FIELDS",
    "CONTACT_LAST_NAME_REQUIRED",
    "FUTURE_STAGE_READ_ONLY",
    "OPPORTUNITY_CHANGE_FORBIDDEN",
    "OPPORTUNITY_CLOSED",
    "OPPORTUNITY_CUSTOMER_REQUIRED",
    "OPPORTUNITY_FIELDS",
    "OPPORTUNITY_FIRST_STAGE",
    "OPPORTUNITY_LAST_STAGE",
    "OPPORTUNITY_STAGE_UNKNOWN",
    "OPPORTUNITY_TOPIC_REQUIRED",
    "STAGE_ORDER",
    "STAGE_STEPS",
    "AccountNameRequiredError",
    "ContactLastNameRequiredError",
    "OpportunityClosedError",
    "OpportunityCustomerRequiredError",
    "OpportunityFirstStageError",
    "OpportunityFutureStageError",
    "OpportunityLastStageError",
    "OpportunityPermissionError",
    "OpportunityStageUnknownError",
    "OpportunityTopicRequiredError",
    "RecordError",
    "account_create",
    "account_match_keys",
    "account_update",
    "contact_create",
    "contact_match_keys",
    "contact_update",
    "opportunity_stage_next",
    "opportunity_stage_previous",
    "opportunity_stage_set",
    "opportunity_steps_refusal",
    "opportunity_steps_update",
    "opportunity_update",
]
