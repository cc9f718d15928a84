"""Deciding, lead by lead and without a query: is the lead open and the user's to qualify, what
do the decisions (or the bulk dialog's boxes) mean for each record type, are the values good,
does every opportunity get a customer. The set-based part (existing records, duplicates) is in
`match`; nothing here writes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from crm.errors import DomainError
from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from leads.selectors import lead_can_change
from leads.services.errors import LeadClosedError
from qualification.engine.errors import (
    ACCOUNT_NEEDS_NAME,
    OPPORTUNITY_NEEDS_CUSTOMER,
    PICK_EXISTING,
    TOO_MANY_OPPORTUNITIES,
    FieldProblem,
    LeadAlreadyQualifiedError,
    LeadNotOwnedError,
    QualifyValidationError,
)
from qualification.engine.linked import LinkedChoices, linked_choices_check
from qualification.engine.plan import (
    CREATING,
    Choice,
    PlanMode,
    QualifyConfig,
    QualifyPlan,
    RecordPlan,
    plan_build,
)
from qualification.engine.values import mapped_plain_values, values_clean
from qualification.models import DuplicateDecision, RecordType
from qualification.services import field_mapping_split


@dataclass
class RecordDecision:
    """The salesperson's answer for an account or a contact."""

    choice: Choice
    existing_id: int | None = None  # with Choice.EXISTING
    values: dict[str, Any] = field(default_factory=dict)  # edits of the mapped values (CREATE)
    create_anyway: bool = False  # the duplicate dialog's "Create new anyway"
    matched: bool = False  # the duplicate dialog's "Use selected": the existing is a match


@dataclass
class QualifyDecisions:
    """What the salesperson chose. None for a record type means "as the plan says"."""

    account: RecordDecision | None = None
    contact: RecordDecision | None = None
    # One dict of field values per opportunity (quick-create forms), first = primary.
    # None = the plan's default (one mapped opportunity when one is created); [] = none.
    opportunities: list[dict[str, Any]] | None = None
    # The merge preview's per-field choices for the existing account / contact linked
    # ({"account": LinkedChoices(...)}); a field without a choice follows its mapping's policy.
    linked: dict[str, LinkedChoices] = field(default_factory=dict)


@dataclass(frozen=True)
class BulkOptions:
    """The bulk dialog's boxes: which record types to create for every selected lead."""

    create_account: bool = True
    create_contact: bool = True
    create_opportunity: bool = True


def bulk_decisions(*, plan: QualifyPlan, options: BulkOptions) -> QualifyDecisions:
    """The boxes as one lead's decisions: a ticked type is created where the lead can have one
    (an account needs a Company Name); an Existing Account/Contact on the lead is always used."""

    def record(record_plan: RecordPlan, ticked: bool) -> RecordDecision | None:
        if record_plan.mode == PlanMode.EXISTING:
            return None
        create = ticked and record_plan.can_create
        return RecordDecision(choice=Choice.CREATE if create else Choice.SKIP)

    return QualifyDecisions(
        account=record(plan.account, options.create_account),
        contact=record(plan.contact, options.create_contact),
        opportunities=[{}] if options.create_opportunity else [],
    )


@dataclass(eq=False)
class RecordPick:
    """One record type of one lead: decided here, resolved to a record by `match`."""

    record_type: RecordType
    existing_id: int | None = None  # link this existing record (fetched and locked by match)
    new_values: dict[str, Any] | None = None  # or create a record with these values
    create_anyway: bool = False
    matched: bool = False
    # Filled in by `match`: the record linked or to be created (unsaved; leads of one batch
    # may share it), what duplicate detection found and what came of it.
    record: Any = None
    duplicates: DuplicateDecision = DuplicateDecision.NONE
    matches: list[Any] = field(default_factory=list)
    # Why each match matched, by (record type, id): "same phone", "similar name 0.93 + ...".
    why: dict[tuple[RecordType, int], str] = field(default_factory=dict)
    # The screens' policy found matches: the duplicate dialog asks before anything is written.
    asks: bool = False

    @property
    def creates(self) -> bool:
        return self.new_values is not None


@dataclass(eq=False)
class LeadDecision:
    """One lead on its way through the engine; `error` set means nothing is written for it."""

    lead_id: int
    lead: Lead | None = None
    plan: QualifyPlan | None = None
    account: RecordPick = field(default_factory=lambda: RecordPick(RecordType.ACCOUNT))
    contact: RecordPick = field(default_factory=lambda: RecordPick(RecordType.CONTACT))
    opportunity_rows: list[dict[str, Any]] = field(default_factory=list)
    opportunity_relations: dict[str, Any] = field(default_factory=dict)
    summary: str = ""
    # The salesperson's per-field choices for linked existing records, by record type.
    linked_choices: dict[str, LinkedChoices] = field(default_factory=dict)
    # A QualifyError, or the leads app's LeadClosedError for a lead that is not open.
    error: DomainError | None = None

    @property
    def label(self) -> str:
        return str(self.lead) if self.lead is not None else f"Lead #{self.lead_id}"


def lead_state_check(lead: Lead) -> None:
    """Only an open lead can be qualified; a qualified one says so."""
    if lead.state == LeadState.QUALIFIED:
        raise LeadAlreadyQualifiedError
    if lead.state != LeadState.OPEN:
        raise LeadClosedError


def _pick(
    *,
    model: type[Account] | type[Contact],
    record_plan: RecordPlan,
    decision: RecordDecision | None,
    problems: list[FieldProblem],
) -> RecordPick:
    pick = RecordPick(record_plan.record_type)
    if decision is None:
        if record_plan.mode == PlanMode.EXISTING:
            pick.existing_id = record_plan.existing.pk
            return pick
        if not (record_plan.mode in CREATING and record_plan.can_create):
            return pick
        decision = RecordDecision(choice=Choice.CREATE)
    if decision.choice == Choice.SKIP:
        return pick
    if decision.choice == Choice.EXISTING:
        if decision.existing_id is None:
            label = record_plan.record_type.label.lower()
            message = PICK_EXISTING.format(record=label)
            problems.append(FieldProblem(pick.record_type, message, "existing", standalone=True))
        pick.existing_id, pick.matched = decision.existing_id, decision.matched
        return pick
    plain = mapped_plain_values(model=model, values=record_plan.initial)
    cleaned, errors = values_clean(model=model, values={**plain, **decision.values})
    # An account without a name where the salesperson could not type one (the lead has no
    # Company Name and no screen asked) says how to give it one.
    no_name = model is Account and "name" in errors and "name" not in decision.values
    if no_name:
        errors["name"] = [ACCOUNT_NEEDS_NAME]
    for name, messages in errors.items():
        standalone = no_name and name == "name"
        problems += [
            FieldProblem(pick.record_type, message, name, standalone=standalone)
            for message in messages
        ]
    pick.new_values, pick.create_anyway = cleaned, decision.create_anyway
    return pick


def _opportunity_rows(
    *, plan: QualifyPlan, decisions: QualifyDecisions, problems: list[FieldProblem]
) -> list[dict[str, Any]]:
    if decisions.opportunities is None:
        rows: list[dict[str, Any]] = [{}] if plan.opportunity.mode in CREATING else []
    else:
        rows = list(decisions.opportunities)
    if len(rows) > plan.max_opportunities:
        message = TOO_MANY_OPPORTUNITIES.format(max=plan.max_opportunities)
        problems.append(FieldProblem(RecordType.OPPORTUNITY, message, standalone=True))
        return []
    plain = mapped_plain_values(model=Opportunity, values=plan.opportunity.initial)
    cleaned_rows = []
    for position, row in enumerate(rows):
        cleaned, errors = values_clean(model=Opportunity, values={**plain, **row})
        problems += [
            FieldProblem(RecordType.OPPORTUNITY, message, name, position)
            for name, messages in errors.items()
            for message in messages
        ]
        cleaned_rows.append(cleaned)
    return cleaned_rows


def lead_decide(
    *,
    decision: LeadDecision,
    decisions: QualifyDecisions | BulkOptions,
    config: QualifyConfig,
    acting_user: AbstractBaseUser | AnonymousUser,
) -> None:
    """Check the lead and its decisions (the lead was just read, locked when it counts); sets
    `decision.error` on a refusal. Makes no query."""
    lead = decision.lead
    assert lead is not None
    try:
        lead_state_check(lead)
    except DomainError as error:
        decision.error = error
        return
    if not lead_can_change(acting_user, lead):
        decision.error = LeadNotOwnedError()
        return
    plan = decision.plan = plan_build(lead=lead, config=config)
    if isinstance(decisions, BulkOptions):
        decisions = bulk_decisions(plan=plan, options=decisions)
    problems: list[FieldProblem] = []
    decision.account = _pick(
        model=Account, record_plan=plan.account, decision=decisions.account, problems=problems
    )
    decision.contact = _pick(
        model=Contact, record_plan=plan.contact, decision=decisions.contact, problems=problems
    )
    decision.opportunity_rows = _opportunity_rows(plan=plan, decisions=decisions, problems=problems)
    for record_type, model in ((RecordType.ACCOUNT, Account), (RecordType.CONTACT, Contact)):
        choices = decisions.linked.get(record_type)
        if choices is not None:
            problems += linked_choices_check(
                record_type=record_type,
                model=model,
                mappings=config.mappings[record_type],
                choices=choices,
            )
            decision.linked_choices[record_type] = choices
    _, decision.opportunity_relations = field_mapping_split(
        model=Opportunity, values=plan.opportunity.initial
    )
    has_customer = any(
        pick.existing_id is not None or pick.creates
        for pick in (decision.account, decision.contact)
    )
    record_problems = [p for p in problems if p.record != RecordType.OPPORTUNITY]
    if decision.opportunity_rows and not has_customer and not record_problems:
        problems.insert(
            0,
            FieldProblem(
                RecordType.OPPORTUNITY, OPPORTUNITY_NEEDS_CUSTOMER, position=0, standalone=True
            ),
        )
        decision.error = QualifyValidationError(problems, OPPORTUNITY_NEEDS_CUSTOMER)
    elif problems:
        decision.error = QualifyValidationError(problems)
