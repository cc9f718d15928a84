"""What an undo refuses, with the messages the screens show."""

from __future__ import annotations

from crm.errors import DomainError

UNDO_REFUSED = "This qualification can't be undone: what it created was changed since."
UNDO_ALREADY_DONE = "This qualification was already undone."
UNDO_NOT_FOUND = "This qualification no longer exists."
# The reasons, one per thing touched (a list under the refusal).
REASON_NOT_YOURS = "You can only undo the qualification of a lead you own."
REASON_LEAD_DELETED = "Its lead was deleted."
REASON_LEAD_MOVED_ON = (
    "Its lead is no longer qualified by it (reactivated or qualified again since)."
)
REASON_ALREADY_UNDONE = "It was already undone on {when} by {who}."
REASON_RECORD_GONE = "The {kind} it created no longer exists (deleted or merged since)."
REASON_EDITED = "{kind} {record} was edited on {when}."
REASON_NOT_OPEN = "Opportunity {record} is no longer open ({status})."
REASON_NOTE = "{kind} {record} has a note by {who}: {title}."
REASON_TIMELINE = "{kind} {record} has a timeline event by {who}: {title}."
REASON_POINTED_AT = "{kind} {record} has {row_kind} {row} ({field}){by}."
REASON_USED_BY_QUALIFICATION = "{kind} {record} is linked by the qualification of {lead} by {who}."


class UndoError(DomainError):
    message = UNDO_REFUSED


class UndoRefusedError(UndoError):
    """Something the qualification created was touched: `reasons` says what and by whom."""

    def __init__(self, reasons: list[str], message: str | None = None) -> None:
        super().__init__(message)
        self.reasons = reasons


class UndoNotFoundError(UndoError):
    message = UNDO_NOT_FOUND
