"""The qualify engine: plan -> execute, for single and bulk qualification.

CONTRACT (agreed between the engine and the screens; keep these names and shapes):

    plan = qualification_plan(lead=lead)                      # reads settings, finds duplicates
    result = lead_qualify(lead_id=..., acting_user=..., decisions=...)   # one transaction

The implementation replaces the bodies below.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import models

from crm.models import Account, Contact, Opportunity
from leads.models import Lead
from qualification.models import Qualification, QualificationSettings, RecordType

LEAD_CLOSED = "This lead is closed. Reactivate it before you qualify or disqualify it."
LEAD_ALREADY_QUALIFIED = "This lead is already qualified."


class QualifyError(Exception):
    """A domain error the screens show as it is (`str(error)`)."""

    message: str = "The lead could not be qualified."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class LeadClosedError(QualifyError):
    message = LEAD_CLOSED


class LeadAlreadyQualifiedError(LeadClosedError):
    message = LEAD_ALREADY_QUALIFIED


class Choice(models.TextChoices):
    CREATE = "create", "Create new"
    EXISTING = "existing", "Use existing"
    SKIP = "skip", "Skip"


class PlanMode(models.TextChoices):
    AUTOMATIC = "automatic", "Created automatically"
    SALESPERSON = "salesperson", "Salesperson decides"
    EXISTING = "existing", "Existing record on the lead"
    NONE = "none", "Not created"


@dataclass
class RecordPlan:
    record_type: RecordType
    mode: PlanMode
    # Existing Account / Existing Contact set on the lead (mode EXISTING).
    existing: Account | Contact | None = None
    # Account "Create new" is offered only when the lead has a Company Name.
    can_create: bool = True
    # Values the field mappings give a new record (the "Create new" form's initial values).
    initial: dict[str, Any] = field(default_factory=dict)
    # Existing records a new one would duplicate (empty when detection is off).
    duplicates: list[Account | Contact] = field(default_factory=list)


@dataclass
class QualifyPlan:
    lead: Lead
    settings: QualificationSettings
    account: RecordPlan
    contact: RecordPlan
    opportunity: RecordPlan
    # How many opportunity quick-create forms the side pane allows (1, or 5 when allowed).
    max_opportunities: int = 1
    # Which opportunity fields the quick-create form shows, in order (topic first).
    quick_create_fields: list[str] = field(default_factory=list)

    @property
    def needs_salesperson(self) -> bool:
        """True when the side pane (new) or the dialog (legacy, manual) must be shown."""
        raise NotImplementedError

    @property
    def is_legacy_dialog(self) -> bool:
        raise NotImplementedError


@dataclass
class RecordDecision:
    choice: Choice
    existing_id: int | None = None  # with Choice.EXISTING
    values: dict[str, Any] = field(default_factory=dict)  # edits of the mapped values (CREATE)
    create_anyway: bool = False  # the duplicate dialog's "create new anyway"


@dataclass
class QualifyDecisions:
    """What the salesperson chose. None for a record type means "as the plan says"."""

    account: RecordDecision | None = None
    contact: RecordDecision | None = None
    # One dict of field values per opportunity (quick-create forms), first = primary.
    # None = the plan's default (one mapped opportunity when one is created); [] = none.
    opportunities: list[dict[str, Any]] | None = None


class DuplicatesFoundError(QualifyError):
    """A new account or contact matches existing records: the duplicate dialog decides."""

    message = "Possible duplicates found."

    def __init__(
        self,
        *,
        accounts: list[Account] | None = None,
        contacts: list[Contact] | None = None,
    ) -> None:
        super().__init__()
        self.accounts = accounts or []
        self.contacts = contacts or []


class QualifyValidationError(QualifyError):
    """Bad input in a decision (an opportunity without a topic, a budget of -1, ...).

    `errors` maps "account", "contact" or "opportunity-<n>" to {field: [messages]}.
    """

    message = "Correct the errors below."

    def __init__(self, errors: dict[str, dict[str, list[str]]]) -> None:
        super().__init__()
        self.errors = errors


@dataclass
class QualifyResult:
    qualification: Qualification
    lead: Lead
    account: Account | None
    contact: Contact | None
    opportunities: list[Opportunity]
    summary: str = ""

    @property
    def primary_opportunity(self) -> Opportunity | None:
        return self.opportunities[0] if self.opportunities else None


def qualification_plan(*, lead: Lead) -> QualifyPlan:
    raise NotImplementedError


def lead_qualify(
    *,
    lead_id: int,
    acting_user: Any,
    decisions: QualifyDecisions | None = None,
) -> QualifyResult:
    """Qualify one lead in one transaction (lead row locked, state re-checked, all or nothing).

    Raises LeadClosedError / LeadAlreadyQualifiedError, DuplicatesFoundError,
    QualifyValidationError. Budget values are Decimal.
    """
    raise NotImplementedError


_ = Decimal  # money values in decisions are Decimal
