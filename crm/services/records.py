"""Writes for accounts, contacts and opportunities, including the opportunity's process bar.

Accounts and contacts carry normalised match columns that duplicate detection looks up; every
write here refills them, and `account_match_keys` / `contact_match_keys` do the same for code
that builds records itself (the admin, `bulk_create` in the engine and the demo data).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction

from crm.errors import DomainError
from crm.matching import (
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    website_domain,
)
from crm.models import Account, Contact, Opportunity, OpportunityState, SalesStage
from crm.services.timeline import timeline_event_add

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ADDRESS_FIELDS = (
    "street1",
    "street2",
    "street3",
    "city",
    "state_province",
    "postal_code",
    "country",
)
ACCOUNT_FIELDS = (
    "name",
    "website",
    "phone",
    "email",
    "industry",
    "description",
    "owner",
    *ADDRESS_FIELDS,
)
CONTACT_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "email",
    "business_phone",
    "mobile_phone",
    "account",
    "description",
    "owner",
    *ADDRESS_FIELDS,
)
OPPORTUNITY_FIELDS = (
    "topic",
    "customer_account",
    "customer_contact",
    "account",
    "contact",
    "budget_amount",
    "purchase_timeframe",
    "purchase_process",
    "decision_maker",
    "need",
    "estimated_revenue",
    "estimated_close_date",
    "description",
    "owner",
)

# The process bar: the opportunity's stages in order and the step fields of each.
STAGE_ORDER: tuple[str, ...] = (SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE)
STAGE_STEPS: dict[str, tuple[str, ...]] = {
    SalesStage.DEVELOP: (
        "customer_need",
        "proposed_solution",
        "identify_stakeholders",
        "identify_competitors",
    ),
    SalesStage.PROPOSE: (
        "identify_sales_team",
        "develop_proposal",
        "complete_internal_review",
        "present_proposal",
    ),
    SalesStage.CLOSE: (
        "complete_final_proposal",
        "present_final_proposal",
        "decision_date",
        "send_thank_you",
        "file_debrief",
    ),
}

ACCOUNT_NAME_REQUIRED = "Account Name is required."
CONTACT_LAST_NAME_REQUIRED = "Last Name is required."
OPPORTUNITY_TOPIC_REQUIRED = "Topic is required."
OPPORTUNITY_CUSTOMER_REQUIRED = (
    "An opportunity needs exactly one Potential Customer: an account or a contact."
)
OPPORTUNITY_CLOSED = "This opportunity is closed (won or lost) and can no longer be changed."
OPPORTUNITY_LAST_STAGE = "This opportunity is already in its last stage, Close."
OPPORTUNITY_FIRST_STAGE = (
    "This opportunity is in its first stage, Develop. Qualify belongs to the lead."
)
OPPORTUNITY_STAGE_UNKNOWN = "There is no stage called {stage}."
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


class OpportunityLastStageError(RecordError):
    message = OPPORTUNITY_LAST_STAGE


class OpportunityFirstStageError(RecordError):
    message = OPPORTUNITY_FIRST_STAGE


class OpportunityStageUnknownError(RecordError):
    def __init__(self, stage: str) -> None:
        super().__init__(OPPORTUNITY_STAGE_UNKNOWN.format(stage=stage))


def _check_fields(fields: dict[str, Any], allowed: tuple[str, ...]) -> None:
    unknown = sorted(set(fields) - set(allowed))
    if unknown:
        # A programming error (a caller passing a field the service does not own), not input.
        raise TypeError(UNKNOWN_FIELDS.format(fields=", ".join(unknown)))


def account_match_keys(account: Account) -> Account:
    """Fill the account's match columns (normalised name, website domain) in place."""
    account.normalized_name = normalize_company_name(account.name)
    account.website_domain = website_domain(account.website)
    return account


def contact_match_keys(contact: Contact) -> Contact:
    """Fill the contact's match columns (lower-cased email and full name) in place."""
    contact.email_normalized = normalize_email(contact.email)
    contact.full_name_normalized = normalize_full_name(contact.first_name, contact.last_name)
    return contact


def account_create(*, owner: User, name: str, **fields: Any) -> Account:
    """Create an account; `fields` are any of ACCOUNT_FIELDS (website, phone, address, ...)."""
    _check_fields(fields, ACCOUNT_FIELDS)
    if not (name or "").strip():
        raise AccountNameRequiredError
    account = Account(owner=owner, name=name.strip(), **fields)
    account_match_keys(account)
    account.save()
    return account


def account_update(*, account: Account, **fields: Any) -> Account:
    """Change an account's fields and refresh its match columns in the same write."""
    _check_fields(fields, ACCOUNT_FIELDS)
    if "name" in fields and not (fields["name"] or "").strip():
        raise AccountNameRequiredError
    for name, value in fields.items():
        setattr(account, name, value)
    account_match_keys(account)
    account.save(update_fields=[*fields, "normalized_name", "website_domain", "updated_at"])
    return account


def contact_create(*, owner: User, last_name: str, **fields: Any) -> Contact:
    """Create a contact; `fields` are any of CONTACT_FIELDS (first name, email, account, ...)."""
    _check_fields(fields, CONTACT_FIELDS)
    if not (last_name or "").strip():
        raise ContactLastNameRequiredError
    contact = Contact(owner=owner, last_name=last_name.strip(), **fields)
    contact_match_keys(contact)
    contact.save()
    return contact


def contact_update(*, contact: Contact, **fields: Any) -> Contact:
    """Change a contact's fields and refresh its match columns in the same write."""
    _check_fields(fields, CONTACT_FIELDS)
    if "last_name" in fields and not (fields["last_name"] or "").strip():
        raise ContactLastNameRequiredError
    for name, value in fields.items():
        setattr(contact, name, value)
    contact_match_keys(contact)
    contact.save(update_fields=[*fields, "email_normalized", "full_name_normalized", "updated_at"])
    return contact


def _locked_open_opportunity(opportunity: Opportunity) -> Opportunity:
    """Lock the row and re-read it: two tabs moving the same stage must not both win on a
    stale copy, and an opportunity closed meanwhile stays untouched."""
    locked = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
    if locked.state != OpportunityState.OPEN:
        raise OpportunityClosedError
    return locked


def _copy_back(source: Opportunity, target: Opportunity, fields: tuple[str, ...]) -> None:
    for name in fields:
        setattr(target, name, getattr(source, name))


def opportunity_update(*, opportunity: Opportunity, **fields: Any) -> Opportunity:
    """Change an open opportunity's fields (topic, customer, budget, revenue, ...)."""
    _check_fields(fields, OPPORTUNITY_FIELDS)
    if "topic" in fields and not (fields["topic"] or "").strip():
        raise OpportunityTopicRequiredError
    with transaction.atomic():
        locked = _locked_open_opportunity(opportunity)
        for name, value in fields.items():
            setattr(locked, name, value)
        if (locked.customer_account_id is None) == (locked.customer_contact_id is None):
            raise OpportunityCustomerRequiredError
        locked.save(update_fields=[*fields, "updated_at"])
    _copy_back(locked, opportunity, (*fields, "updated_at"))
    return opportunity


def opportunity_steps_update(
    *, opportunity: Opportunity, stage: str, values: dict[str, Any]
) -> Opportunity:
    """Save the steps of one stage (the flyout of the process bar). Only that stage's step
    fields are written; any other key is refused."""
    if stage not in STAGE_STEPS:
        raise OpportunityStageUnknownError(stage)
    _check_fields(values, STAGE_STEPS[stage])
    with transaction.atomic():
        locked = _locked_open_opportunity(opportunity)
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*values, "updated_at"])
    _copy_back(locked, opportunity, (*values, "updated_at"))
    return opportunity


def opportunity_stage_set(
    *, opportunity: Opportunity, stage: str, acting_user: User
) -> Opportunity:
    """Move the opportunity to `stage` and record the move on its timeline."""
    if stage not in STAGE_ORDER:
        raise OpportunityStageUnknownError(stage)
    with transaction.atomic():
        locked = _locked_open_opportunity(opportunity)
        return _stage_move(opportunity=opportunity, locked=locked, stage=stage, user=acting_user)


def opportunity_stage_next(*, opportunity: Opportunity, acting_user: User) -> Opportunity:
    """Develop -> Propose -> Close; refused on Close."""
    with transaction.atomic():
        locked = _locked_open_opportunity(opportunity)
        position = STAGE_ORDER.index(locked.stage)
        if position == len(STAGE_ORDER) - 1:
            raise OpportunityLastStageError
        return _stage_move(
            opportunity=opportunity,
            locked=locked,
            stage=STAGE_ORDER[position + 1],
            user=acting_user,
        )


def opportunity_stage_previous(*, opportunity: Opportunity, acting_user: User) -> Opportunity:
    """Close -> Propose -> Develop; refused on Develop (Qualify is the lead's stage)."""
    with transaction.atomic():
        locked = _locked_open_opportunity(opportunity)
        position = STAGE_ORDER.index(locked.stage)
        if position == 0:
            raise OpportunityFirstStageError
        return _stage_move(
            opportunity=opportunity,
            locked=locked,
            stage=STAGE_ORDER[position - 1],
            user=acting_user,
        )


def _stage_move(
    *, opportunity: Opportunity, locked: Opportunity, stage: str, user: User
) -> Opportunity:
    previous = SalesStage(locked.stage).label
    if locked.stage == stage:
        _copy_back(locked, opportunity, ("stage",))
        return opportunity
    locked.stage = stage
    locked.save(update_fields=["stage", "updated_at"])
    timeline_event_add(
        record=locked,
        author=user,
        title=f"Stage changed to {SalesStage(stage).label}",
        body=f"Moved from {previous} to {SalesStage(stage).label}.",
    )
    _copy_back(locked, opportunity, ("stage", "updated_at"))
    return opportunity
