"""What the qualify engine refuses, as typed errors with the messages the screens show.

Every error is a `crm.errors.DomainError`. A lead that is not open raises the leads app's
`LeadClosedError` (one message for "closed", whoever refuses). Validation problems are typed
(`FieldProblem`: which record, which opportunity, which field), so a screen puts each message
next to its field and bulk qualify writes them as one reason, without parsing keys back.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist

from crm.errors import DomainError
from crm.models import Account, Contact, Opportunity
from leads.services.errors import LEAD_GONE, LeadClosedError
from qualification.models import RecordType

LEAD_ALREADY_QUALIFIED = "This lead is already qualified."
LEAD_NOT_OWNED = "You can't qualify leads you don't own."
OPPORTUNITY_NEEDS_CUSTOMER = (
    "An opportunity needs an account or a contact as its potential customer."
)
TOO_MANY_OPPORTUNITIES = "You can create at most {max} opportunities when you qualify a lead."
ACCOUNT_NEEDS_NAME = (
    "An account needs a name: set the lead's Company Name, or use an existing account."
)
PICK_EXISTING = "Search for the {record} to use, then select it."
EXISTING_NOT_FOUND = "The selected {record} no longer exists. Search again."
CONTACT_UNDER_OTHER_ACCOUNT = (
    "{contact} belongs to {other}, not to {account}: choose a contact of {account}, "
    "or skip the contact."
)
UNKNOWN_FIELD = "This field cannot be set when you qualify a lead."
REQUIRED = "This field is required."
CORRECT_THE_ERRORS = "Correct the errors below."
DUPLICATES_FOUND = "Possible duplicates found."
SEVERAL_ACCOUNTS_MATCH = (
    "{count} existing accounts match {name}: open the lead to choose one ({why})."
)
SEVERAL_CONTACTS_MATCH = (
    "{count} existing contacts match {name}: open the lead to choose one ({why})."
)
UNCLEAR_ACCOUNT_MATCH = "An existing account may match {name}: open the lead to check ({why})."
# Inside one bulk batch: another lead creates an account whose name is only similar.
UNCLEAR_BATCH_ACCOUNT_MATCH = (
    "Another lead of this batch creates the account {other}, which may be {name}: open the "
    "lead to check ({why})."
)
UNCLEAR_CONTACT_MATCH = "An existing contact may match {name}: open the lead to check ({why})."

RECORD_MODELS = {
    RecordType.ACCOUNT: Account,
    RecordType.CONTACT: Contact,
    RecordType.OPPORTUNITY: Opportunity,
}


class QualifyError(DomainError):
    """A qualify that cannot go ahead; nothing was written for the lead."""

    message = "The lead could not be qualified."


class LeadAlreadyQualifiedError(LeadClosedError):
    message = LEAD_ALREADY_QUALIFIED


class LeadNotOwnedError(QualifyError):
    message = LEAD_NOT_OWNED


class LeadGoneError(QualifyError):
    message = LEAD_GONE


@dataclass(frozen=True)
class FieldProblem:
    """One bad value: `record` names the record type, `position` the opportunity (0 is the
    primary one; None for an account, a contact, or the opportunities as a whole), `field` the
    model field (None: the record as a whole; "existing" for the picked existing record)."""

    record: RecordType
    message: str
    field: str | None = None
    position: int | None = None
    # The message says on its own what it is about ("An account needs a name: ...").
    standalone: bool = False

    @property
    def text(self) -> str:
        """The message with what it is about, for a screen that does not show the record's
        fields, and for bulk results: "Opportunity 2: Topic: This field is required."."""
        if self.standalone:
            return self.message
        label = str(self.record.label)
        if self.position is not None:
            label = f"{label} {self.position + 1}"
        if self.field in (None, "existing"):
            return f"{label}: {self.message}"
        try:
            field_label = RECORD_MODELS[self.record]._meta.get_field(self.field).verbose_name
        except FieldDoesNotExist:
            field_label = self.field
        return f"{label}: {field_label}: {self.message}"


class QualifyValidationError(QualifyError):
    """Bad input in the decisions (an opportunity without a topic, a budget of -1, ...)."""

    def __init__(self, problems: list[FieldProblem], message: str | None = None) -> None:
        super().__init__(message or CORRECT_THE_ERRORS)
        self.problems = problems

    @property
    def reason(self) -> str:
        """Every problem in one line (bulk qualify's reason for this lead)."""
        return " ".join(problem.text for problem in self.problems)


class DuplicatesFoundError(QualifyError):
    """A new account or contact matches existing records: the duplicate dialog decides."""

    message = DUPLICATES_FOUND

    def __init__(
        self,
        *,
        accounts: list[Account] | None = None,
        contacts: list[Contact] | None = None,
        why: dict[tuple[RecordType, int], str] | None = None,
    ) -> None:
        super().__init__()
        self.accounts = accounts or []
        self.contacts = contacts or []
        # Why each match matched, by (record type, id).
        self.why = why or {}

    @property
    def account_rows(self) -> list[tuple[Account, str]]:
        """The accounts with why each matched ("similar name 0.93 + same domain")."""
        return [(a, self.why.get((RecordType.ACCOUNT, a.pk), "")) for a in self.accounts]

    @property
    def contact_rows(self) -> list[tuple[Contact, str]]:
        """The contacts with why each matched ("same phone")."""
        return [(c, self.why.get((RecordType.CONTACT, c.pk), "")) for c in self.contacts]


class NeedsReviewError(QualifyError):
    """Bulk qualify found several possible matches: the salesperson picks one on the lead."""
