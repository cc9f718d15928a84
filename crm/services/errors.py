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
# {record} is the record type ("account", "contact"), {name} the record.
RECORD_CHANGE_FORBIDDEN = "Only the owner of this {record} or a sales manager can change it."
RECORD_GONE = "This {record} no longer exists: it may have been merged into another or deleted."
RECORD_IN_USE = (
    "{name} can't be deleted while these records point at it: {links}. Change or close them "
    "first, or merge {name} into another {record}."
)
OPPORTUNITY_NOT_CLOSED = "This opportunity is open: only won or lost opportunities can be reopened."
CLOSE_REASON_INVALID = "Choose a status reason: {reasons}."
CLOSE_STATE_INVALID = "An opportunity closes as won or as lost."
ACTUAL_REVENUE_REQUIRED = "Actual Revenue is required to close an opportunity as won."
ACTUAL_CLOSE_DATE_REQUIRED = "Actual Close Date is required."


class RecordError(DomainError):
    """A domain error about a customer record; screens show `message` as it is, next to
    `field` when the error is about one field of a form (None: about the whole record)."""

    message = "The record could not be saved."
    field: str | None = None


class RecordPermissionError(RecordError):
    def __init__(self, *, record: str) -> None:
        super().__init__(RECORD_CHANGE_FORBIDDEN.format(record=record))


class RecordGoneError(RecordError):
    def __init__(self, *, record: str) -> None:
        super().__init__(RECORD_GONE.format(record=record))


class RecordInUseError(RecordError):
    def __init__(self, *, record: str, name: str, links: str) -> None:
        super().__init__(RECORD_IN_USE.format(record=record, name=name, links=links))


class AccountNameRequiredError(RecordError):
    message = ACCOUNT_NAME_REQUIRED
    field = "name"


class ContactLastNameRequiredError(RecordError):
    message = CONTACT_LAST_NAME_REQUIRED
    field = "last_name"


class OpportunityTopicRequiredError(RecordError):
    message = OPPORTUNITY_TOPIC_REQUIRED
    field = "topic"


class OpportunityCustomerRequiredError(RecordError):
    message = OPPORTUNITY_CUSTOMER_REQUIRED


class OpportunityClosedError(RecordError):
    message = OPPORTUNITY_CLOSED


class OpportunityPermissionError(RecordError):
    message = OPPORTUNITY_CHANGE_FORBIDDEN


class OpportunityNotClosedError(RecordError):
    message = OPPORTUNITY_NOT_CLOSED


class CloseStateError(RecordError):
    message = CLOSE_STATE_INVALID


class CloseReasonError(RecordError):
    field = "status_reason"

    def __init__(self, *, reasons: str) -> None:
        super().__init__(CLOSE_REASON_INVALID.format(reasons=reasons))


class ActualRevenueRequiredError(RecordError):
    message = ACTUAL_REVENUE_REQUIRED
    field = "actual_revenue"


class ActualCloseDateRequiredError(RecordError):
    message = ACTUAL_CLOSE_DATE_REQUIRED
    field = "actual_close_date"


class OpportunityLastStageError(RecordError):
    message = OPPORTUNITY_LAST_STAGE


class OpportunityFirstStageError(RecordError):
    message = OPPORTUNITY_FIRST_STAGE


class OpportunityFutureStageError(RecordError):
    message = FUTURE_STAGE_READ_ONLY


class OpportunityStageUnknownError(RecordError):
    def __init__(self, stage: str) -> None:
        super().__init__(OPPORTUNITY_STAGE_UNKNOWN.format(stage=stage))


# Merge: {records} is the plural of the record type ("accounts", "contacts").
MERGE_SAME_RECORD = "A record can't be merged with itself: select two or more different {records}."
MERGE_TOO_FEW = "Select two or more {records} to merge."
MERGE_TOO_MANY = "Merge up to {limit} {records} at a time."
MERGE_RECORD_GONE = (
    "One of these {records} no longer exists: it may have been merged or deleted meanwhile. "
    "Nothing was merged."
)
MERGE_NOT_ALLOWED = (
    "Only the owner or a sales manager can merge {records}; these are not yours: {names}."
)
MERGE_SOURCE_INVALID = "The value chosen for {field} is not one of the merged {records}."
MERGE_CONFLICT = (
    "These {records} were being changed by someone else at the same moment. Nothing was "
    "merged; try again."
)


class MergeError(RecordError):
    """A refused merge; `message` names the record type."""

    template = "These {records} could not be merged."

    def __init__(self, *, records: str, **values: object) -> None:
        super().__init__(self.template.format(records=records, **values))


class MergeSameRecordError(MergeError):
    template = MERGE_SAME_RECORD


class MergeTooFewError(MergeError):
    template = MERGE_TOO_FEW


class MergeTooManyError(MergeError):
    template = MERGE_TOO_MANY


class MergeRecordGoneError(MergeError):
    template = MERGE_RECORD_GONE


class MergePermissionError(MergeError):
    template = MERGE_NOT_ALLOWED


class MergeSourceError(MergeError):
    template = MERGE_SOURCE_INVALID


class MergeConflictError(MergeError):
    template = MERGE_CONFLICT
