"""What the record services refuse, with the messages the screens show as they are."""

from __future__ import annotations

from crm.errors import DomainError

ACCOUNT_NAME_REQUIRED = "Account Name is required."
CONTACT_LAST_NAME_REQUIRED = "Last Name is required."
OPPORTUNITY_TOPIC_REQUIRED = "Topic is required."
OPPORTUNITY_CUSTOMER_REQUIRED = (
    "An opportunity needs exactly one Potential Customer: an account or a contact."
)
OPPORTUNITY_CLOSED = "This opportunity is closed (won or lost) and can no longer be changed."
OPPORTUNITY_CHANGE_FORBIDDEN = (
    "Only the owner of this opportunity or a sales manager can change it."
)
OPPORTUNITY_LAST_STAGE = "This opportunity is already in its last stage, Close."
OPPORTUNITY_FIRST_STAGE = (
    "This opportunity is in its first stage, Develop. Qualify belongs to the lead."
)
OPPORTUNITY_STAGE_UNKNOWN = "There is no stage called {stage}."
FUTURE_STAGE_READ_ONLY = "Move the opportunity to this stage to edit its steps."
UNKNOWN_FIELDS = "These fields cannot be set here: {fields}."


class RecordError(DomainError):
    """A domain error about a customer record; screens show `message` as it is."""

    message = "The record could not be saved."


class AccountNameRequiredError(RecordError):
    message = ACCOUNT_NAME_REQUIRED


class ContactLastNameRequiredError(RecordError):
    message = CONTACT_LAST_NAME_REQUIRED


class OpportunityTopicRequiredError(RecordError):
    message = OPPORTUNITY_TOPIC_REQUIRED


class OpportunityCustomerRequiredError(RecordError):
    message = OPPORTUNITY_CUSTOMER_REQUIRED


class OpportunityClosedError(RecordError):
    message = OPPORTUNITY_CLOSED


class OpportunityPermissionError(RecordError):
    message = OPPORTUNITY_CHANGE_FORBIDDEN


class OpportunityLastStageError(RecordError):
    message = OPPORTUNITY_LAST_STAGE


class OpportunityFirstStageError(RecordError):
    message = OPPORTUNITY_FIRST_STAGE


class OpportunityFutureStageError(RecordError):
    message = FUTURE_STAGE_READ_ONLY


class OpportunityStageUnknownError(RecordError):
    def __init__(self, stage: str) -> None:
        super().__init__(OPPORTUNITY_STAGE_UNKNOWN.format(stage=stage))
