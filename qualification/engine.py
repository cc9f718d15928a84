"""The qualify engine: plan -> execute, for single and bulk qualification.

CONTRACT (agreed between the engine and the screens; keep these names and shapes):

    plan = qualification_plan(lead=lead)                      # reads settings, finds duplicates
    plan = qualification_plan(lead=lead, with_duplicates=False)  # the same, without lookups
    result = lead_qualify(lead_id=..., acting_user=..., decisions=...)   # one transaction

The plan reads the settings and the field mappings fresh every time (a settings change applies to
the next qualify) and lists the duplicates of what would be created. Execute re-derives the plan
inside its transaction, validates every decision, checks duplicates, and only then writes; any
error leaves nothing behind and the lead open. The duplicate check that decides whether to create
runs inside that transaction, after the match keys of the new records are locked
(`match_keys_lock`): two leads of one company qualified at the same moment cannot both miss
each other's account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core import validators
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import models, transaction
from django.utils import timezone

from crm.models import Account, Contact, Opportunity, SalesStage, TimelineEntryKind
from crm.services.records import account_match_keys, contact_match_keys
from crm.services.timeline import timeline_entries_bulk_add
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from qualification.duplicates import (
    DuplicateRules,
    account_duplicates,
    account_keys_of,
    contact_duplicates,
    contact_keys_of,
    match_keys_lock,
)
from qualification.models import (
    MAX_OPPORTUNITIES,
    CreationMode,
    Experience,
    FieldMapping,
    Qualification,
    QualificationOpportunity,
    QualificationSettings,
    RecordType,
)
from qualification.services import (
    field_mapping_split,
    field_mapping_values,
    field_mappings_by_target,
    quick_create_field_choices,
    record_editable_fields,
)
from qualification.summary import lead_summary_build

LEAD_CLOSED = "This lead is closed. Reactivate it before you qualify or disqualify it."
LEAD_ALREADY_QUALIFIED = "This lead is already qualified."
OPPORTUNITY_NEEDS_CUSTOMER = (
    "An opportunity needs an account or a contact as its potential customer."
)
TOO_MANY_OPPORTUNITIES = "You can create at most {max} opportunities when you qualify a lead."
ACCOUNT_NEEDS_NAME = (
    "An account needs a name: set the lead's Company Name, or use an existing account."
)
PICK_EXISTING = "Pick an existing {record}."
EXISTING_NOT_FOUND = "The selected {record} no longer exists."
UNKNOWN_FIELD = "This field cannot be set when you qualify a lead."
REQUIRED = "This field is required."
QUALIFIED_TITLE = "Lead qualified"
OPPORTUNITY_CREATED_TITLE = "Opportunity created"
OPPORTUNITY_CREATED_BODY = "Created when lead {lead} was qualified."
SUMMARY_TITLE = "Lead summary"


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
    # The field mappings the plan was drawn with, by record type (`lead_qualify(plan=...)`
    # qualifies with them instead of reading them again).
    mappings: dict[str, list[FieldMapping]] = field(default_factory=dict)

    @property
    def records(self) -> tuple[RecordPlan, RecordPlan, RecordPlan]:
        return (self.account, self.contact, self.opportunity)

    @property
    def needs_salesperson(self) -> bool:
        """True when the side pane (new) or the dialog (legacy, manual) must be shown."""
        return self.is_legacy_dialog or any(
            record.mode == PlanMode.SALESPERSON for record in self.records
        )

    @property
    def is_legacy_dialog(self) -> bool:
        return (
            self.settings.experience == Experience.LEGACY
            and not self.settings.legacy_create_automatically
        )

    @property
    def will_summarize(self) -> bool:
        """The "Lead qualified" page with the summary follows the qualify."""
        return summary_enabled(self.settings)

    @property
    def has_duplicates(self) -> bool:
        return bool(self.account.duplicates or self.contact.duplicates)


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

    def __init__(self, errors: dict[str, dict[str, list[str]]], message: str | None = None) -> None:
        super().__init__(message)
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


def summary_enabled(qualification_settings: QualificationSettings) -> bool:
    """Summaries belong to the new experience; the legacy one never shows them."""
    return (
        qualification_settings.experience == Experience.NEW
        and qualification_settings.summarize_after_qualify
    )


def quick_create_fields(qualification_settings: QualificationSettings) -> list[str]:
    """The quick-create form's opportunity fields, in the admin's order, Topic always first."""
    allowed = {name for name, _ in quick_create_field_choices()}
    fields = ["topic"]
    for name in qualification_settings.opportunity_quick_create_fields or []:
        if name in allowed and name not in fields:
            fields.append(name)
    return fields


# The plan modes in which a new record is made (unless the salesperson decides otherwise).
_CREATING = (PlanMode.AUTOMATIC, PlanMode.SALESPERSON)


def _record_mode(qualification_settings: QualificationSettings, mode: str) -> PlanMode:
    if qualification_settings.experience == Experience.LEGACY:
        if qualification_settings.legacy_create_automatically:
            return PlanMode.AUTOMATIC
        return PlanMode.SALESPERSON
    return PlanMode.SALESPERSON if mode == CreationMode.SALESPERSON else PlanMode.AUTOMATIC


def _plan_build(
    *,
    lead: Lead,
    qualification_settings: QualificationSettings,
    mappings: dict[str, list[FieldMapping]],
    with_duplicates: bool,
) -> QualifyPlan:
    account_mode = _record_mode(qualification_settings, qualification_settings.account_mode)
    contact_mode = _record_mode(qualification_settings, qualification_settings.contact_mode)
    opportunity_mode = _record_mode(qualification_settings, qualification_settings.opportunity_mode)

    has_company = bool(lead.company_name.strip())
    account = RecordPlan(
        record_type=RecordType.ACCOUNT,
        mode=account_mode,
        can_create=has_company,
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.ACCOUNT]),
    )
    if lead.existing_account_id is not None:
        account.mode = PlanMode.EXISTING
        account.existing = lead.existing_account
    elif account_mode == PlanMode.AUTOMATIC and not has_company:
        # An automatic account without a company name is simply not created.
        account.mode = PlanMode.NONE

    contact = RecordPlan(
        record_type=RecordType.CONTACT,
        mode=contact_mode,
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.CONTACT]),
    )
    if lead.existing_contact_id is not None:
        contact.mode = PlanMode.EXISTING
        contact.existing = lead.existing_contact

    opportunity = RecordPlan(
        record_type=RecordType.OPPORTUNITY,
        mode=opportunity_mode,
        initial=field_mapping_values(lead=lead, mappings=mappings[RecordType.OPPORTUNITY]),
    )

    multiple = (
        qualification_settings.experience == Experience.NEW
        and qualification_settings.opportunity_mode == CreationMode.SALESPERSON
        and qualification_settings.allow_multiple_opportunities
    )
    plan = QualifyPlan(
        lead=lead,
        settings=qualification_settings,
        account=account,
        contact=contact,
        opportunity=opportunity,
        max_opportunities=MAX_OPPORTUNITIES if multiple else 1,
        quick_create_fields=quick_create_fields(qualification_settings),
        mappings=mappings,
    )
    if with_duplicates and qualification_settings.detect_duplicates:
        account_is_new = account.mode in _CREATING and account.can_create
        account.duplicates, contact.duplicates = _duplicates_find(
            rules=DuplicateRules.from_settings(qualification_settings),
            account_values=account.initial if account_is_new else None,
            contact_values=contact.initial if contact.mode in _CREATING else None,
            account_id=lead.existing_account_id,
            company_name=str(account.initial.get("name") or "") if account_is_new else "",
        )
    return plan


def qualification_plan(*, lead: Lead, with_duplicates: bool = True) -> QualifyPlan:
    """What Qualify will do for this lead under the current settings (read fresh each time).

    `with_duplicates=False` leaves every `duplicates` list empty and saves their lookups, for
    callers that only need the modes and the mapped values (parsing a POST, a quick-create
    form). It is a screen's preview either way: `lead_qualify` checks duplicates again, under
    its locks.
    """
    return _plan_build(
        lead=lead,
        qualification_settings=QualificationSettings.load(),
        mappings=field_mappings_by_target(),
        with_duplicates=with_duplicates,
    )


@dataclass
class _Resolved[T: (Account, Contact)]:
    """One record type after the decision: an existing record, values for a new one, or none."""

    existing: T | None = None
    new_values: dict[str, Any] | None = None
    create_anyway: bool = False

    @property
    def creates(self) -> bool:
        return self.new_values is not None


def _values_clean(
    *, model: type[models.Model], values: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Validate field values the way a ModelForm would: form field, then the model validators.

    Relations are not values here (the engine sets them); an unknown or system field is an
    error. No query is made.
    """
    allowed = set(record_editable_fields(model=model))
    cleaned: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for name, raw in values.items():
        if name not in allowed:
            errors[name] = [UNKNOWN_FIELD]
            continue
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            errors[name] = [UNKNOWN_FIELD]
            continue
        form_field = model_field.formfield()
        try:
            value = form_field.clean(raw)
            if value not in validators.EMPTY_VALUES:
                model_field.run_validators(value)
        except ValidationError as error:
            errors[name] = list(error.messages)
            continue
        cleaned[name] = value
    for name in allowed:
        model_field = model._meta.get_field(name)
        if model_field.blank or isinstance(model_field, models.BooleanField):
            continue
        if cleaned.get(name) in validators.EMPTY_VALUES and name not in errors:
            errors[name] = [REQUIRED]
    return cleaned, errors


def _mapped_plain_values(*, model: type[models.Model], values: dict[str, Any]) -> dict[str, Any]:
    """The mapped values a new record takes as typed values. A mapping row naming a field the
    engine sets itself (possible only around the admin's checks) is ignored, not an error the
    salesperson could not fix."""
    allowed = set(record_editable_fields(model=model))
    plain, _ = field_mapping_split(model=model, values=values)
    return {name: value for name, value in plain.items() if name in allowed}


def _record_resolve[T: (Account, Contact)](
    *,
    model: type[T],
    record_plan: RecordPlan,
    decision: RecordDecision | None,
    errors: dict[str, dict[str, list[str]]],
) -> _Resolved[T]:
    key = record_plan.record_type.value
    label = record_plan.record_type.label.lower()
    if decision is None:
        if record_plan.mode == PlanMode.EXISTING:
            return _Resolved(existing=record_plan.existing)
        if record_plan.mode in _CREATING and record_plan.can_create:
            decision = RecordDecision(choice=Choice.CREATE)
        else:
            return _Resolved()
    if decision.choice == Choice.SKIP:
        return _Resolved()
    if decision.choice == Choice.EXISTING:
        if decision.existing_id is None:
            errors[key] = {"existing_id": [PICK_EXISTING.format(record=label)]}
            return _Resolved()
        existing = record_plan.existing
        if existing is None or existing.pk != decision.existing_id:
            existing = model.objects.filter(pk=decision.existing_id).first()
        if existing is None:
            errors[key] = {"existing_id": [EXISTING_NOT_FOUND.format(record=label)]}
            return _Resolved()
        return _Resolved(existing=existing)
    plain = _mapped_plain_values(model=model, values=record_plan.initial)
    cleaned, field_errors = _values_clean(model=model, values={**plain, **decision.values})
    if model is Account and "name" in field_errors and not cleaned.get("name"):
        field_errors["name"] = [ACCOUNT_NEEDS_NAME]
    if field_errors:
        errors[key] = field_errors
        return _Resolved()
    return _Resolved(new_values=cleaned, create_anyway=decision.create_anyway)


def _opportunity_rows(
    *,
    plan: QualifyPlan,
    decisions: QualifyDecisions,
    errors: dict[str, dict[str, list[str]]],
) -> list[dict[str, Any]]:
    if decisions.opportunities is None:
        rows: list[dict[str, Any]] = [{}] if plan.opportunity.mode in _CREATING else []
    else:
        rows = list(decisions.opportunities)
    if len(rows) > plan.max_opportunities:
        errors["opportunities"] = {
            "__all__": [TOO_MANY_OPPORTUNITIES.format(max=plan.max_opportunities)]
        }
        return []
    plain = _mapped_plain_values(model=Opportunity, values=plan.opportunity.initial)
    cleaned_rows: list[dict[str, Any]] = []
    for position, row in enumerate(rows):
        cleaned, field_errors = _values_clean(model=Opportunity, values={**plain, **row})
        if field_errors:
            errors[f"opportunity-{position}"] = field_errors
        cleaned_rows.append(cleaned)
    return cleaned_rows


def _check_open(lead: Lead) -> None:
    if lead.state == LeadState.QUALIFIED:
        raise LeadAlreadyQualifiedError
    if lead.state != LeadState.OPEN:
        raise LeadClosedError


def _duplicates_find(
    *,
    rules: DuplicateRules,
    account_values: dict[str, Any] | None,
    contact_values: dict[str, Any] | None,
    account_id: int | None,
    company_name: str,
) -> tuple[list[Account], list[Contact]]:
    """Existing records a new account and contact with these values would repeat (None: that
    record is not looked up). The contact goes under the existing account `account_id`, or
    under a new account named `company_name`."""
    accounts: list[Account] = []
    contacts: list[Contact] = []
    if account_values is not None:
        accounts = account_duplicates(
            name=str(account_values.get("name") or ""),
            website=str(account_values.get("website") or ""),
            rules=rules,
        )
    if contact_values is not None:
        contacts = contact_duplicates(
            first_name=str(contact_values.get("first_name") or ""),
            last_name=str(contact_values.get("last_name") or ""),
            email=str(contact_values.get("email") or ""),
            account_id=account_id,
            company_name=company_name,
            rules=rules,
        )
    return accounts, contacts


def _check_duplicates(
    *,
    qualification_settings: QualificationSettings,
    account: _Resolved[Account],
    contact: _Resolved[Contact],
) -> None:
    """Raise DuplicatesFoundError when a new account or contact repeats existing ones (a record
    the salesperson chose to create anyway is not looked up)."""
    if not qualification_settings.detect_duplicates:
        return
    accounts, contacts = _duplicates_find(
        rules=DuplicateRules.from_settings(qualification_settings),
        account_values=None if account.create_anyway else account.new_values,
        contact_values=None if contact.create_anyway else contact.new_values,
        account_id=account.existing.pk if account.existing is not None else None,
        company_name=str((account.new_values or {}).get("name") or ""),
    )
    if accounts or contacts:
        raise DuplicatesFoundError(accounts=accounts, contacts=contacts)


def _lock_new_records(
    *,
    qualification_settings: QualificationSettings,
    account: _Resolved[Account],
    contact: _Resolved[Contact],
) -> None:
    """Lock the match keys of the account and contact this qualify creates (see
    `match_keys_lock`), so that the duplicate check after it sees whatever another qualify
    created meanwhile. A record created anyway is locked too: a qualify checking at the same
    moment must find it. With detection off nobody checks, so nothing is locked."""
    if not qualification_settings.detect_duplicates:
        return
    rules = DuplicateRules.from_settings(qualification_settings)
    accounts = []
    if account.new_values is not None:
        accounts.append(
            account_keys_of(
                name=account.new_values.get("name", ""),
                website=account.new_values.get("website", ""),
                rules=rules,
            )
        )
    contacts = []
    if contact.new_values is not None:
        contacts.append(
            contact_keys_of(
                first_name=contact.new_values.get("first_name", ""),
                last_name=contact.new_values.get("last_name", ""),
                email=contact.new_values.get("email", ""),
                rules=rules,
            )
        )
    match_keys_lock(accounts=accounts, contacts=contacts)


def _account_create(*, lead: Lead, values: dict[str, Any]) -> Account:
    account = account_match_keys(Account(**values, owner_id=lead.owner_id))
    account.save()
    return account


def _contact_create(*, lead: Lead, values: dict[str, Any], account: Account | None) -> Contact:
    contact = contact_match_keys(Contact(**values, owner_id=lead.owner_id, account=account))
    contact.save()
    return contact


def opportunity_build(
    *,
    lead: Lead,
    values: dict[str, Any],
    relations: dict[str, Any],
    account: Account | None,
    contact: Contact | None,
) -> Opportunity:
    """One new (unsaved) opportunity of a qualify, single or bulk: the typed `values`, the
    mapped `relations` ({attname: id}) and the account and contact the qualify resolved."""
    opportunity = Opportunity(
        **values,
        owner_id=lead.owner_id,
        stage=SalesStage.DEVELOP,
        # The potential customer is the account, else the contact.
        customer_account=account,
        customer_contact=None if account is not None else contact,
    )
    for attname, value in relations.items():
        setattr(opportunity, attname, value)
    # The records this qualify resolved win over the lead's mapped Existing Account/Contact
    # (the salesperson may have picked another one in the duplicate dialog).
    if account is not None:
        opportunity.account = account
    if contact is not None:
        opportunity.contact = contact
    return opportunity


def _opportunities_create(
    *,
    lead: Lead,
    plan: QualifyPlan,
    rows: list[dict[str, Any]],
    account: Account | None,
    contact: Contact | None,
) -> list[Opportunity]:
    _, relations = field_mapping_split(model=Opportunity, values=plan.opportunity.initial)
    opportunities = [
        opportunity_build(
            lead=lead, values=values, relations=relations, account=account, contact=contact
        )
        for values in rows
    ]
    return Opportunity.objects.bulk_create(opportunities) if opportunities else []


def qualified_event_body(
    *,
    account: Account | None,
    account_created: bool,
    contact: Contact | None,
    contact_created: bool,
    opportunities: list[Opportunity],
    note: str = "",
) -> str:
    """The body of the "Lead qualified" timeline event: `note` first, then each record."""
    lines = [note] if note else []
    if account is not None:
        lines.append(f"Account: {account} ({'created' if account_created else 'linked'})")
    if contact is not None:
        lines.append(f"Contact: {contact} ({'created' if contact_created else 'linked'})")
    for position, opportunity in enumerate(opportunities):
        role = " (primary)" if position == 0 and len(opportunities) > 1 else ""
        lines.append(f"Opportunity: {opportunity}{role} (created)")
    if not lines:
        lines.append("No account, contact or opportunity was created.")
    return "\n".join(lines)


def _timeline_write(
    *,
    lead: Lead,
    author: Any,
    event_body: str,
    summary: str,
    opportunities: list[Opportunity],
) -> None:
    """The "Lead qualified" event, an "Opportunity created" event on each opportunity and the
    summary (on the lead and the primary opportunity), written in one INSERT."""
    entries: list[tuple[models.Model, Any, str, str, str]] = [
        (lead, author, TimelineEntryKind.SYSTEM, QUALIFIED_TITLE, event_body)
    ]
    entries += [
        (
            opportunity,
            author,
            TimelineEntryKind.SYSTEM,
            OPPORTUNITY_CREATED_TITLE,
            OPPORTUNITY_CREATED_BODY.format(lead=lead),
        )
        for opportunity in opportunities
    ]
    if summary:
        entries.append((lead, author, TimelineEntryKind.SUMMARY, SUMMARY_TITLE, summary))
        if opportunities:
            entries.append(
                (opportunities[0], author, TimelineEntryKind.SUMMARY, SUMMARY_TITLE, summary)
            )
    timeline_entries_bulk_add(entries=entries)


def _lead_get(*, lead_id: int, lock: bool) -> Lead:
    leads = Lead.objects.select_related("existing_account", "existing_contact")
    if lock:
        # `of` keeps the lock on the lead row alone (not on the joined account and contact).
        leads = leads.select_for_update(of=("self",))
    return leads.get(pk=lead_id)


def _decide(
    *,
    lead: Lead,
    qualification_settings: QualificationSettings,
    mappings: dict[str, list[FieldMapping]],
    decisions: QualifyDecisions,
    lock: bool,
) -> tuple[QualifyPlan, _Resolved[Account], _Resolved[Contact], list[dict[str, Any]]]:
    """Resolve and validate every decision, then look for duplicates; writes nothing.

    `lock` (inside the writing transaction) locks the new records' match keys before the
    duplicate check, which makes it the check that decides. Without it, the check is early
    feedback only. Raises QualifyValidationError or DuplicatesFoundError.
    """
    plan = _plan_build(
        lead=lead,
        qualification_settings=qualification_settings,
        mappings=mappings,
        with_duplicates=False,
    )
    errors: dict[str, dict[str, list[str]]] = {}
    account = _record_resolve(
        model=Account, record_plan=plan.account, decision=decisions.account, errors=errors
    )
    contact = _record_resolve(
        model=Contact, record_plan=plan.contact, decision=decisions.contact, errors=errors
    )
    rows = _opportunity_rows(plan=plan, decisions=decisions, errors=errors)
    has_customer = account.existing or account.creates or contact.existing or contact.creates
    if rows and not has_customer and not ({"account", "contact"} & errors.keys()):
        errors["opportunity-0"] = {"__all__": [OPPORTUNITY_NEEDS_CUSTOMER]}
        raise QualifyValidationError(errors, OPPORTUNITY_NEEDS_CUSTOMER)
    if errors:
        raise QualifyValidationError(errors)
    if lock:
        _lock_new_records(
            qualification_settings=qualification_settings, account=account, contact=contact
        )
    _check_duplicates(
        qualification_settings=qualification_settings, account=account, contact=contact
    )
    return plan, account, contact, rows


def lead_qualify(
    *,
    lead_id: int,
    acting_user: Any,
    decisions: QualifyDecisions | None = None,
    bulk: bool = False,
    summarize: bool | None = None,
    plan: QualifyPlan | None = None,
) -> QualifyResult:
    """Qualify one lead in one transaction (lead row locked, state re-checked, all or nothing).

    Raises LeadClosedError / LeadAlreadyQualifiedError, DuplicatesFoundError,
    QualifyValidationError. Budget values are Decimal. `bulk` marks the qualification record
    of a bulk qualify; `summarize` overrides the "Summarize the lead" setting (None = setting).
    `plan` is the plan of this lead that the screen just drew and checked the post against:
    its settings and field mappings are used rather than read a second time in one request
    (the plan itself is derived again, from the locked lead).
    """
    decisions = decisions or QualifyDecisions()
    if plan is not None:
        if plan.lead.pk != lead_id:
            raise ValueError("The plan belongs to another lead.")
        qualification_settings, mappings = plan.settings, plan.mappings
    else:
        qualification_settings = QualificationSettings.load()
        mappings = field_mappings_by_target()

    summary = ""
    if summarize if summarize is not None else summary_enabled(qualification_settings):
        summary = _summary_before_lock(
            lead_id=lead_id,
            qualification_settings=qualification_settings,
            mappings=mappings,
            decisions=decisions,
        )

    with transaction.atomic():
        # Lock the lead row: a double click, a second tab or a replayed POST waits here, then
        # sees the lead qualified and creates nothing.
        lead = _lead_get(lead_id=lead_id, lock=True)
        _check_open(lead)
        # Decide and validate everything again under the lock, before the first write. This
        # duplicate check is the one that decides: it runs after the new records' match keys
        # are locked, so a qualify of another lead of the same company that committed
        # meanwhile is seen (DuplicatesFoundError), never silently repeated.
        plan, account, contact, rows = _decide(
            lead=lead,
            qualification_settings=qualification_settings,
            mappings=mappings,
            decisions=decisions,
            lock=True,
        )
        return _qualified_write(
            plan=plan,
            account=account,
            contact=contact,
            rows=rows,
            acting_user=acting_user,
            bulk=bulk,
            summary=summary,
        )


def _summary_before_lock(
    *,
    lead_id: int,
    qualification_settings: QualificationSettings,
    mappings: dict[str, list[FieldMapping]],
    decisions: QualifyDecisions,
) -> str:
    """The lead's summary, written before the qualify's transaction from the lead as it is now.

    A slow summary endpoint (bounded by its timeout) must never hold the lead's row lock, and
    any failure there falls back to the built-in summary instead of failing the qualify. The
    decisions are checked first (without writing) so that a screen with errors or duplicates
    comes back at once instead of waiting for a summary it will not use.
    """
    unlocked = _lead_get(lead_id=lead_id, lock=False)
    _check_open(unlocked)
    try:
        _decide(
            lead=unlocked,
            qualification_settings=qualification_settings,
            mappings=mappings,
            decisions=decisions,
            lock=False,
        )
    except DuplicatesFoundError:
        # A double click: the other qualify of this lead may have committed after the read
        # above, and the duplicates found are the records it just created. The lead then
        # answers "already qualified" (or closed); only a lead still open gets the duplicate
        # dialog.
        _check_open(_lead_get(lead_id=lead_id, lock=False))
        raise
    return lead_summary_build(lead=unlocked)


def _qualified_write(
    *,
    plan: QualifyPlan,
    account: _Resolved[Account],
    contact: _Resolved[Contact],
    rows: list[dict[str, Any]],
    acting_user: Any,
    bulk: bool,
    summary: str,
) -> QualifyResult:
    """Every write of one qualify, inside its transaction with the lead locked and decided."""
    lead = plan.lead
    account_record = account.existing
    if account.new_values is not None:
        account_record = _account_create(lead=lead, values=account.new_values)
    contact_record = contact.existing
    if contact.new_values is not None:
        # A new contact sits under the account this qualify resolved.
        contact_record = _contact_create(
            lead=lead, values=contact.new_values, account=account_record
        )
    opportunities = _opportunities_create(
        lead=lead, plan=plan, rows=rows, account=account_record, contact=contact_record
    )
    origins = [LeadOrigin(lead=lead, opportunity=opportunity) for opportunity in opportunities]
    if account.creates:
        origins.append(LeadOrigin(lead=lead, account=account_record))
    if contact.creates:
        origins.append(LeadOrigin(lead=lead, contact=contact_record))
    if origins:
        LeadOrigin.objects.bulk_create(origins)

    primary = opportunities[0] if opportunities else None
    lead.state = LeadState.QUALIFIED
    lead.status_reason = LeadStatus.QUALIFIED
    lead.parent_account = account_record
    lead.parent_contact = contact_record
    lead.qualifying_opportunity = primary
    lead.closed_at = timezone.now()
    lead.save(
        update_fields=[
            "state",
            "status_reason",
            "parent_account",
            "parent_contact",
            "qualifying_opportunity",
            "closed_at",
            "updated_at",
        ]
    )

    qualification = Qualification.objects.create(
        lead=lead,
        lead_label=str(lead)[:400],
        qualified_by=acting_user,
        experience=plan.settings.experience,
        bulk=bulk,
        account=account_record,
        account_created=account.creates,
        contact=contact_record,
        contact_created=contact.creates,
        summary=summary,
    )
    if opportunities:
        QualificationOpportunity.objects.bulk_create(
            QualificationOpportunity(
                qualification=qualification, opportunity=opportunity, position=position
            )
            for position, opportunity in enumerate(opportunities)
        )
    _timeline_write(
        lead=lead,
        author=acting_user,
        event_body=qualified_event_body(
            account=account_record,
            account_created=account.creates,
            contact=contact_record,
            contact_created=contact.creates,
            opportunities=opportunities,
        ),
        summary=summary,
        opportunities=opportunities,
    )
    return QualifyResult(
        qualification=qualification,
        lead=lead,
        account=account_record,
        contact=contact_record,
        opportunities=opportunities,
        summary=summary,
    )
