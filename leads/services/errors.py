"""What the lead services refuse, with the messages the screens show."""

from __future__ import annotations

from typing import Any

from crm.errors import DomainError

LEAD_CLOSED = "This lead is closed. Reactivate it before you qualify or disqualify it."
LEAD_CLOSED_READ_ONLY = "This lead is closed. Reactivate it to make changes."
LEAD_HAS_OPPORTUNITY = "This lead has an associated opportunity and can't be disqualified."
LEAD_NOT_CLOSED = "This lead is open: only qualified or disqualified leads can be reactivated."
LEAD_NOT_YOURS = "You can only change leads you own."
LEAD_DELETE_NOT_ALLOWED = "You can only delete leads you own."
LEAD_GONE = "This lead no longer exists."
LEAD_ALREADY_DELETED = "This lead was already deleted."
LEAD_ALREADY_CREATED = "This lead was already created: the form was sent twice."
DISQUALIFY_REASON_INVALID = (
    "Choose a status reason: Lost, Cannot Contact, No Longer Interested or Canceled."
)


class LeadError(DomainError):
    """A domain error the screens show as it is (`error.message`)."""

    message = "The lead could not be changed."


class LeadClosedError(LeadError):
    message = LEAD_CLOSED


class LeadReadOnlyError(LeadError):
    message = LEAD_CLOSED_READ_ONLY


class LeadHasOpportunityError(LeadError):
    message = LEAD_HAS_OPPORTUNITY


class LeadNotClosedError(LeadError):
    message = LEAD_NOT_CLOSED


class LeadPermissionError(LeadError):
    message = LEAD_NOT_YOURS


class LeadDeleteNotAllowedError(LeadPermissionError):
    message = LEAD_DELETE_NOT_ALLOWED


class LeadGoneError(LeadError):
    message = LEAD_GONE


class LeadAlreadyDeletedError(LeadGoneError):
    """Deleted by someone else a moment earlier (two deletes at once)."""

    message = LEAD_ALREADY_DELETED


class LeadAlreadyCreatedError(LeadError):
    """The New Lead form's token was used: `lead` is the lead that post created."""

    message = LEAD_ALREADY_CREATED

    def __init__(self, lead: Any) -> None:
        super().__init__()
        self.lead = lead


class DisqualifyReasonError(LeadError):
    message = DISQUALIFY_REASON_INVALID


# Merge leads: {name} is the lead ("Jon Smith (Laptops) (#12)").
LEAD_MERGE_QUALIFIED = "{name} is qualified: a qualified lead can't be merged. Nothing was merged."
LEAD_ALREADY_MERGED = "{name} was already merged into another lead. Nothing was merged."
LEAD_MERGE_CLOSED = "{name} is closed: reactivate it before you merge it. Nothing was merged."
LEAD_MERGE_DELETE_NOT_ALLOWED = (
    "You can only delete leads you own; {name} is not yours. Disqualify it as a duplicate "
    "instead. Nothing was merged."
)
LEAD_MERGE_OUTCOME_INVALID = (
    "Choose what happens to the other leads: disqualified as duplicates, or deleted."
)


class LeadMergeError(LeadError):
    """A refused merge of leads, naming the lead that stopped it."""

    template = "These leads could not be merged."

    def __init__(self, *, name: str) -> None:
        super().__init__(self.template.format(name=name))


class LeadMergeQualifiedError(LeadMergeError):
    template = LEAD_MERGE_QUALIFIED


class LeadAlreadyMergedError(LeadMergeError):
    template = LEAD_ALREADY_MERGED


class LeadMergeClosedError(LeadMergeError):
    template = LEAD_MERGE_CLOSED


class LeadMergeDeleteNotAllowedError(LeadMergeError):
    template = LEAD_MERGE_DELETE_NOT_ALLOWED


class LeadMergeOutcomeError(LeadError):
    message = LEAD_MERGE_OUTCOME_INVALID
