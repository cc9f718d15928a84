"""Bulk qualify: many leads at once, in set operations.

The rules are the single-lead engine's (closed leads refused, field mappings, duplicate rules,
existing records on the lead used, the opportunity's customer is the account else the contact);
the work is shaped for hundreds of leads. Per chunk of leads, in one transaction:

1. lock the chunk's leads in one query, ordered by id (two overlapping batches take their row
   locks in the same order, so they queue instead of deadlocking);
2. refuse leads one by one (closed, not the user's, a required value missing) without writing;
3. lock the match keys of every record the chunk may create (one statement, see
   `match_keys_lock`), then look up duplicates for the whole chunk: one query for accounts,
   one for contacts. Under the lock the lookup sees what another batch or a single qualify
   created meanwhile, so two batches with one company make one account;
4. decide per lead: link a single clear match, leave a lead with several matches open for
   review, reuse a record another lead of the same chunk creates (two leads of one company get
   one account, two leads with one email one contact), or create a new one;
5. write with one `bulk_create` per table and one UPDATE for the leads.

Every lead succeeds or fails on its own: a lead that fails writes nothing, and the lead's
records are created together or not at all. The number of queries per chunk does not depend
on the number of leads in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connection, models, transaction
from django.utils import timezone

from crm.matching import (
    normalize_company_name,
)
from crm.models import Account, Contact, Opportunity, TimelineEntryKind
from crm.services.records import account_match_keys, contact_match_keys
from crm.services.timeline import timeline_entries_bulk_add
from leads.models import Lead, LeadOrigin, LeadState, LeadStatus
from leads.selectors import MANAGE_ALL_LEADS
from qualification.duplicates import (
    AccountKeys,
    AccountMatches,
    ContactKeys,
    ContactMatches,
    DuplicateRules,
    account_duplicates_for,
    account_keys_of,
    contact_duplicates_for,
    contact_keys_of,
    match_keys_lock,
)
from qualification.engine import (
    ACCOUNT_NEEDS_NAME,
    LEAD_ALREADY_QUALIFIED,
    LEAD_CLOSED,
    OPPORTUNITY_CREATED_BODY,
    OPPORTUNITY_CREATED_TITLE,
    OPPORTUNITY_NEEDS_CUSTOMER,
    QUALIFIED_TITLE,
    opportunity_build,
    qualified_event_body,
)
from qualification.models import (
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
)

# Leads per transaction: big enough that the fixed cost of a chunk's queries is spread thin,
# small enough that row locks are held briefly and every statement stays far below the
# databases' bind-parameter limits.
BULK_QUALIFY_CHUNK_SIZE = 500

LEAD_NOT_OWNED = "You can't qualify leads you don't own."
LEAD_GONE = "This lead no longer exists."
CONTACT_NEEDS_LAST_NAME = "A contact needs a last name: set the lead's Last Name."
SEVERAL_ACCOUNTS_MATCH = "{count} existing accounts match {name}: open the lead to choose one."
SEVERAL_CONTACTS_MATCH = "{count} existing contacts match {name}: open the lead to choose one."
INVALID_VALUE = "{record} {field}: {message}"
BULK_NOTE = "Qualified in a bulk qualify."


class LeadIssue(NamedTuple):
    """A lead that was not qualified, with the reason the result page shows."""

    lead_id: int
    label: str
    reason: str


@dataclass
class BulkQualifyOutcome:
    qualified_ids: list[int] = field(default_factory=list)
    failures: list[LeadIssue] = field(default_factory=list)
    # Left open: several existing records match, the salesperson picks one on the lead.
    needs_review: list[LeadIssue] = field(default_factory=list)
    accounts_created: int = 0
    accounts_linked: int = 0
    contacts_created: int = 0
    contacts_linked: int = 0
    opportunities_created: int = 0

    @property
    def qualified_count(self) -> int:
        return len(self.qualified_ids)

    def add(self, other: BulkQualifyOutcome) -> None:
        self.qualified_ids += other.qualified_ids
        self.failures += other.failures
        self.needs_review += other.needs_review
        self.accounts_created += other.accounts_created
        self.accounts_linked += other.accounts_linked
        self.contacts_created += other.contacts_created
        self.contacts_linked += other.contacts_linked
        self.opportunities_created += other.opportunities_created


@dataclass(frozen=True)
class BulkQualifyConfig:
    """What a bulk qualify reads once, before its first chunk."""

    create_account: bool
    create_contact: bool
    create_opportunity: bool
    experience: str
    mappings: dict[str, list[FieldMapping]]
    # None when the admin turned duplicate detection off.
    rules: DuplicateRules | None
    may_change_all: bool


def bulk_qualify_config(
    *,
    acting_user: Any,
    create_account: bool,
    create_contact: bool,
    create_opportunity: bool,
    qualification_settings: QualificationSettings | None = None,
) -> BulkQualifyConfig:
    """Settings, field mappings and the user's permission, read fresh for one bulk qualify
    (the settings are read here unless the caller read them in this request already)."""
    qualification_settings = qualification_settings or QualificationSettings.load()
    return BulkQualifyConfig(
        create_account=create_account,
        create_contact=create_contact,
        create_opportunity=create_opportunity,
        experience=qualification_settings.experience,
        mappings=field_mappings_by_target(),
        rules=(
            DuplicateRules.from_settings(qualification_settings)
            if qualification_settings.detect_duplicates
            else None
        ),
        may_change_all=acting_user.has_perm(MANAGE_ALL_LEADS),
    )


def leads_bulk_qualify(
    *,
    lead_ids: Sequence[int],
    acting_user: Any,
    create_account: bool,
    create_contact: bool,
    create_opportunity: bool,
    qualification_settings: QualificationSettings | None = None,
) -> BulkQualifyOutcome:
    """Qualify the leads, creating the chosen record types for each; one transaction per chunk.

    Leads that cannot be qualified are listed in `failures` (closed, not the user's, a required
    value missing) or `needs_review` (several existing records match) and left unchanged.
    """
    config = bulk_qualify_config(
        acting_user=acting_user,
        create_account=create_account,
        create_contact=create_contact,
        create_opportunity=create_opportunity,
        qualification_settings=qualification_settings,
    )
    ids = list(dict.fromkeys(lead_ids))
    outcome = BulkQualifyOutcome()
    for start in range(0, len(ids), BULK_QUALIFY_CHUNK_SIZE):
        with transaction.atomic():
            outcome.add(
                leads_chunk_qualify(
                    lead_ids=ids[start : start + BULK_QUALIFY_CHUNK_SIZE],
                    acting_user=acting_user,
                    config=config,
                )
            )
    return outcome


def leads_chunk_qualify(
    *, lead_ids: Sequence[int], acting_user: Any, config: BulkQualifyConfig
) -> BulkQualifyOutcome:
    """Qualify one chunk inside the caller's transaction.

    The background task calls this in the same transaction that advances its job, so a chunk's
    writes and the job's progress commit together or not at all.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("leads_chunk_qualify must run inside transaction.atomic().")
    outcome = BulkQualifyOutcome()
    # Lock the chunk's leads (ordered by id, see the module docstring): a single qualify, a
    # disqualify or another batch on the same leads waits, then sees them qualified.
    leads = list(
        Lead.objects.select_for_update(of=("self",))
        .select_related("existing_account", "existing_contact")
        .filter(pk__in=lead_ids)
        .order_by("pk")
    )
    found = {lead.pk for lead in leads}
    outcome.failures += [
        LeadIssue(lead_id, f"Lead #{lead_id}", LEAD_GONE)
        for lead_id in lead_ids
        if lead_id not in found
    ]

    plans: list[_LeadPlan] = []
    for lead in leads:
        plan = _plan_lead(lead=lead, acting_user=acting_user, config=config)
        if plan.refusal:
            outcome.failures.append(LeadIssue(lead.pk, str(lead), plan.refusal))
        else:
            plans.append(plan)

    _resolve_records(plans=plans, config=config)
    ready = []
    for plan in plans:
        if plan.review:
            outcome.needs_review.append(LeadIssue(plan.lead.pk, str(plan.lead), plan.review))
        else:
            ready.append(plan)
    if ready:
        _write(plans=ready, acting_user=acting_user, config=config, outcome=outcome)
    return outcome


@dataclass(eq=False)
class _LeadPlan:
    lead: Lead
    account_values: dict[str, Any] = field(default_factory=dict)
    contact_values: dict[str, Any] = field(default_factory=dict)
    opportunity_values: dict[str, Any] = field(default_factory=dict)
    opportunity_relations: dict[str, Any] = field(default_factory=dict)
    wants_new_account: bool = False
    wants_new_contact: bool = False
    # The records the lead ends up with: existing ones, or new (unsaved) ones that other
    # leads of the chunk may share.
    account: Account | None = None
    contact: Contact | None = None
    opportunity: Opportunity | None = None
    account_created: bool = False
    contact_created: bool = False
    refusal: str = ""
    review: str = ""


def _plan_lead(*, lead: Lead, acting_user: Any, config: BulkQualifyConfig) -> _LeadPlan:
    """Check one lead and map its values; a refusal means nothing is written for it."""
    plan = _LeadPlan(lead=lead)
    if lead.state == LeadState.QUALIFIED:
        plan.refusal = LEAD_ALREADY_QUALIFIED
        return plan
    if lead.state != LeadState.OPEN:
        plan.refusal = LEAD_CLOSED
        return plan
    if lead.owner_id != acting_user.pk and not config.may_change_all:
        plan.refusal = LEAD_NOT_OWNED
        return plan

    plan.account = lead.existing_account
    plan.contact = lead.existing_contact
    # As in the single engine: a lead without a Company Name gets no account (not a failure);
    # its contact, if any, is the opportunity's customer.
    plan.wants_new_account = (
        config.create_account
        and lead.existing_account_id is None
        and bool(lead.company_name.strip())
    )
    plan.wants_new_contact = config.create_contact and lead.existing_contact_id is None
    errors: list[str] = []
    if plan.wants_new_account:
        plan.account_values = _clean_values(
            model=Account,
            values=field_mapping_values(lead=lead, mappings=config.mappings[RecordType.ACCOUNT]),
            errors=errors,
            required_message={"name": ACCOUNT_NEEDS_NAME},
        )
    if plan.wants_new_contact:
        plan.contact_values = _clean_values(
            model=Contact,
            values=field_mapping_values(lead=lead, mappings=config.mappings[RecordType.CONTACT]),
            errors=errors,
            required_message={"last_name": CONTACT_NEEDS_LAST_NAME},
        )
    if config.create_opportunity:
        mapped = field_mapping_values(lead=lead, mappings=config.mappings[RecordType.OPPORTUNITY])
        _, plan.opportunity_relations = field_mapping_split(model=Opportunity, values=mapped)
        plan.opportunity_values = _clean_values(model=Opportunity, values=mapped, errors=errors)
        has_customer = (
            plan.account is not None
            or plan.contact is not None
            or plan.wants_new_account
            or plan.wants_new_contact
        )
        if not has_customer:
            errors.append(OPPORTUNITY_NEEDS_CUSTOMER)
    if errors:
        plan.refusal = " ".join(errors)
    return plan


def _clean_values(
    *,
    model: type[models.Model],
    values: dict[str, Any],
    errors: list[str],
    required_message: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Check mapped values against the target fields (required, length, choices, ranges).

    Model-field validation, no query: a value the database would reject fails this one lead
    here instead of aborting the whole chunk's INSERT.
    """
    required_message = required_message or {}
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        try:
            model_field = model._meta.get_field(name)
        except FieldDoesNotExist:
            continue
        if model_field.is_relation:
            continue
        if value is None and not model_field.null:
            value = "" if isinstance(model_field, models.CharField | models.TextField) else value
        try:
            cleaned[name] = model_field.clean(value, None)
        except ValidationError as error:
            empty = value in (None, "")
            if empty and name in required_message:
                errors.append(required_message[name])
            else:
                errors.append(
                    INVALID_VALUE.format(
                        record=model._meta.verbose_name.capitalize(),
                        field=model_field.verbose_name,
                        message=" ".join(error.messages),
                    )
                )
    for name, message in required_message.items():
        if name not in values:
            errors.append(message)
    return cleaned


def _resolve_records(*, plans: list[_LeadPlan], config: BulkQualifyConfig) -> None:
    """Pick each lead's account and contact: a match, a record shared in the chunk, or new.

    The match keys of every account and contact the chunk may create are locked in one
    statement before the lookups that decide (see `match_keys_lock`). Every key a lead could
    create a record under is locked, whether that lead then links a match or goes to review:
    the lookup that tells is the one the lock protects.
    """
    rules = config.rules
    account_keys = [_account_keys(plan, rules) for plan in plans]
    contact_keys = [_contact_keys(plan, rules) for plan in plans]
    if rules is not None:
        match_keys_lock(
            accounts=[
                keys
                for plan, keys in zip(plans, account_keys, strict=True)
                if plan.wants_new_account
            ],
            contacts=[
                keys
                for plan, keys in zip(plans, contact_keys, strict=True)
                if plan.wants_new_contact
            ],
        )
    _accounts_resolve(plans=plans, keys=account_keys, rules=rules)
    _contacts_resolve(plans=plans, keys=contact_keys, rules=rules)


def _accounts_resolve(
    *, plans: list[_LeadPlan], keys: list[AccountKeys], rules: DuplicateRules | None
) -> None:
    matches_found = AccountMatches()
    if rules is not None:
        matches_found = account_duplicates_for(
            names={key.name for key in keys}, domains={key.domain for key in keys}, rules=rules
        )
    new_accounts: dict[tuple[str, str], Account] = {}
    for plan, key in zip(plans, keys, strict=True):
        if not plan.wants_new_account:
            continue
        matches = matches_found.for_candidate(name=key.name, domain=key.domain)
        if len(matches) > 1:
            plan.review = SEVERAL_ACCOUNTS_MATCH.format(
                count=len(matches), name=_quoted(plan.account_values["name"])
            )
        elif matches:
            plan.account = matches[0]
        else:
            plan.account = _shared(
                new_accounts,
                [("name", key.name), ("domain", key.domain)],
                lambda plan=plan: account_match_keys(
                    Account(**plan.account_values, owner_id=plan.lead.owner_id)
                ),
            )


def _contacts_resolve(
    *, plans: list[_LeadPlan], keys: list[ContactKeys], rules: DuplicateRules | None
) -> None:
    """Runs after `_accounts_resolve`: the name rule needs the account each contact goes
    under, and a lead sent to review over its account creates no contact."""
    candidates = [
        (ContactKeys(), "")
        if plan.review or not plan.wants_new_contact
        else (key, _contact_company(plan, rules))
        for plan, key in zip(plans, keys, strict=True)
    ]
    matches_found = ContactMatches()
    if rules is not None:
        matches_found = contact_duplicates_for(
            emails={key.email for key, _ in candidates},
            names_in_accounts={
                (plan.account.pk, key.full_name)
                for plan, (key, _) in zip(plans, candidates, strict=True)
                if plan.account is not None and plan.account.pk is not None
            },
            names_in_companies={
                (company, key.full_name) for key, company in candidates if company and key.full_name
            },
            rules=rules,
        )
    new_contacts: dict[tuple[Any, ...], Contact] = {}
    for plan, (key, company) in zip(plans, candidates, strict=True):
        if not plan.wants_new_contact or plan.review:
            continue
        existing_account_id = plan.account.pk if plan.account is not None else None
        matches = matches_found.for_candidate(
            email=key.email,
            full_name=key.full_name,
            account_id=existing_account_id,
            company=company,
        )
        if len(matches) > 1:
            plan.review = SEVERAL_CONTACTS_MATCH.format(
                count=len(matches), name=_quoted(_full_name(plan.contact_values))
            )
        elif matches:
            plan.contact = matches[0]
        else:
            plan.contact = _shared(
                new_contacts,
                [("email", key.email), ("name", _account_token(plan, company), key.full_name)],
                lambda plan=plan: contact_match_keys(
                    Contact(**plan.contact_values, owner_id=plan.lead.owner_id)
                ),
            )


def _account_keys(plan: _LeadPlan, rules: DuplicateRules | None) -> AccountKeys:
    """The new account's match keys (empty when detection is off or no account is new)."""
    if rules is None or not plan.wants_new_account:
        return AccountKeys()
    return account_keys_of(
        name=plan.account_values.get("name", ""),
        website=plan.account_values.get("website", ""),
        rules=rules,
    )


def _contact_keys(plan: _LeadPlan, rules: DuplicateRules | None) -> ContactKeys:
    """The new contact's match keys (empty when detection is off or no contact is new)."""
    if rules is None or not plan.wants_new_contact:
        return ContactKeys()
    return contact_keys_of(
        first_name=plan.contact_values.get("first_name", ""),
        last_name=plan.contact_values.get("last_name", ""),
        email=plan.contact_values.get("email", ""),
        rules=rules,
    )


def _contact_company(plan: _LeadPlan, rules: DuplicateRules | None) -> str:
    """The normalised company of the name rule's "same company", when the contact goes under a
    new account or under none (then the lead's Company Name); "" under an existing account."""
    if rules is None or not rules.contact_by_name:
        return ""
    if plan.account is not None and plan.account.pk is not None:
        return ""
    company_name = plan.account.name if plan.account is not None else plan.lead.company_name
    return normalize_company_name(company_name) if company_name.strip() else ""


def _account_token(plan: _LeadPlan, company: str) -> Any:
    """What "the same company" means inside the chunk for the contact-by-name rule."""
    if plan.account is not None and plan.account.pk is not None:
        return ("account", plan.account.pk)
    if plan.account is not None:
        return ("new account", id(plan.account))
    return ("company", company) if company else None


def _shared[T: (Account, Contact)](
    registry: dict[tuple[Any, ...], T], keys: Iterable[tuple[Any, ...]], build: Any
) -> T:
    """The record another lead of the chunk creates under one of these keys, else a new one.

    A key with an empty part (no email, no company, the rule off) never matches.
    """
    usable = [key for key in keys if all(part not in ("", None) for part in key[1:])]
    for key in usable:
        if key in registry:
            record = registry[key]
            break
    else:
        record = build()
    for key in usable:
        registry.setdefault(key, record)
    return record


def _quoted(name: str) -> str:
    return f"\u201c{name}\u201d"


def _full_name(values: dict[str, Any]) -> str:
    return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()


def _first_users(plans: list[_LeadPlan], attr: str) -> dict[int, _LeadPlan]:
    """New records (by identity) and the first lead using each: it is their originating lead."""
    creators: dict[int, _LeadPlan] = {}
    for plan in plans:
        record = getattr(plan, attr)
        if record is not None and record.pk is None:
            creators.setdefault(id(record), plan)
    return creators


def _write(
    *,
    plans: list[_LeadPlan],
    acting_user: Any,
    config: BulkQualifyConfig,
    outcome: BulkQualifyOutcome,
) -> None:
    # Only records that a lead being qualified uses are created: a record first planned by a
    # lead that went to review is created for the next lead that shares it.
    account_creators = _first_users(plans, "account")
    contact_creators = _first_users(plans, "contact")
    new_accounts = [plan.account for plan in account_creators.values()]
    for plan in account_creators.values():
        plan.account_created = True
    Account.objects.bulk_create(new_accounts)

    new_contacts = []
    for plan in contact_creators.values():
        plan.contact_created = True
        # A new contact sits under the account of the lead that created it.
        plan.contact.account = plan.account
        new_contacts.append(plan.contact)
    Contact.objects.bulk_create(new_contacts)

    if config.create_opportunity:
        for plan in plans:
            plan.opportunity = opportunity_build(
                lead=plan.lead,
                values=plan.opportunity_values,
                relations=plan.opportunity_relations,
                account=plan.account,
                contact=plan.contact,
            )
        Opportunity.objects.bulk_create([plan.opportunity for plan in plans])

    origins = [
        LeadOrigin(lead=plan.lead, account=plan.account) for plan in account_creators.values()
    ]
    origins += [
        LeadOrigin(lead=plan.lead, contact=plan.contact) for plan in contact_creators.values()
    ]
    origins += [
        LeadOrigin(lead=plan.lead, opportunity=plan.opportunity)
        for plan in plans
        if plan.opportunity is not None
    ]
    LeadOrigin.objects.bulk_create(origins)

    qualifications = Qualification.objects.bulk_create(
        [
            Qualification(
                lead=plan.lead,
                lead_label=str(plan.lead)[:400],
                qualified_by=acting_user,
                experience=config.experience,
                bulk=True,
                account=plan.account,
                account_created=plan.account_created,
                contact=plan.contact,
                contact_created=plan.contact_created,
            )
            for plan in plans
        ]
    )
    if config.create_opportunity:
        QualificationOpportunity.objects.bulk_create(
            [
                QualificationOpportunity(
                    qualification=qualification, opportunity=plan.opportunity, position=0
                )
                for plan, qualification in zip(plans, qualifications, strict=True)
            ]
        )

    # One INSERT per list: each stays within the timeline service's batch of 500.
    timeline_entries_bulk_add(
        entries=[
            (
                plan.lead,
                acting_user,
                TimelineEntryKind.SYSTEM,
                QUALIFIED_TITLE,
                qualified_event_body(
                    account=plan.account,
                    account_created=plan.account_created,
                    contact=plan.contact,
                    contact_created=plan.contact_created,
                    opportunities=[plan.opportunity] if plan.opportunity is not None else [],
                    note=BULK_NOTE,
                ),
            )
            for plan in plans
        ]
    )
    if config.create_opportunity:
        timeline_entries_bulk_add(
            entries=[
                (
                    plan.opportunity,
                    acting_user,
                    TimelineEntryKind.SYSTEM,
                    OPPORTUNITY_CREATED_TITLE,
                    OPPORTUNITY_CREATED_BODY.format(lead=plan.lead),
                )
                for plan in plans
            ]
        )

    now = timezone.now()
    for plan in plans:
        lead = plan.lead
        lead.state = LeadState.QUALIFIED
        lead.status_reason = LeadStatus.QUALIFIED
        lead.parent_account = plan.account
        lead.parent_contact = plan.contact
        lead.qualifying_opportunity = plan.opportunity
        lead.closed_at = now
        lead.updated_at = now
    _leads_mark_qualified(plans=plans, now=now)

    outcome.qualified_ids += [plan.lead.pk for plan in plans]
    outcome.accounts_created += len(new_accounts)
    outcome.contacts_created += len(new_contacts)
    outcome.accounts_linked += sum(
        1 for plan in plans if plan.account is not None and not plan.account_created
    )
    outcome.contacts_linked += sum(
        1 for plan in plans if plan.contact is not None and not plan.contact_created
    )
    outcome.opportunities_created += sum(1 for plan in plans if plan.opportunity is not None)


def _leads_mark_qualified(*, plans: list[_LeadPlan], now: datetime) -> None:
    """One UPDATE for the chunk's leads: the same state for all, each lead's own links.

    The links come from a VALUES list joined on the lead id (UPDATE ... FROM, in PostgreSQL and
    SQLite 3.33+). `bulk_update` would write the same in one statement, but as a CASE per
    column over every id: quadratic in the chunk, and several times slower at 500 leads.
    """
    quote = connection.ops.quote_name

    def column(name: str) -> str:
        return quote(Lead._meta.get_field(name).column)

    table = quote(Lead._meta.db_table)
    row = "(CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT), CAST(%s AS BIGINT))"
    params: list[Any] = [
        LeadState.QUALIFIED,
        LeadStatus.QUALIFIED,
        Lead._meta.get_field("updated_at").get_db_prep_value(now, connection),
        Lead._meta.get_field("closed_at").get_db_prep_value(now, connection),
    ]
    for plan in plans:
        params += [
            plan.lead.pk,
            plan.account.pk if plan.account is not None else None,
            plan.contact.pk if plan.contact is not None else None,
            plan.opportunity.pk if plan.opportunity is not None else None,
        ]
    # Identifiers come from the model, quoted by the backend; every value is a parameter.
    sql = (
        f"UPDATE {table} SET {column('state')} = %s, {column('status_reason')} = %s, "  # noqa: S608
        f"{column('updated_at')} = %s, {column('closed_at')} = %s, "
        f"{column('parent_account')} = links.column2, "
        f"{column('parent_contact')} = links.column3, "
        f"{column('qualifying_opportunity')} = links.column4 "
        f"FROM (VALUES {', '.join([row] * len(plans))}) AS links "
        f"WHERE {table}.{column('id')} = links.column1"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
