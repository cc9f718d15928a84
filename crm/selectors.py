"""Reads for customer records and the timeline.

List selectors fetch every column a grid row shows in the same query (owner, customer), so a
page costs the same number of queries whatever its size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce, Reverse, Right, StrIndex
from django.shortcuts import get_object_or_404

from crm.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityState,
    SalesStage,
    TimelineEntry,
)
from crm.services.records import STAGE_ORDER

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# A salesperson changes their own opportunities; this permission (held by sales managers) lets
# a user change anyone's. It is declared on the lead model; crm reads it by name only.
MANAGE_ALL_PERMISSION = "leads.manage_all_leads"


class OpportunityView(models.TextChoices):
    MY_OPEN = "my_open", "My Open Opportunities"
    OPEN = "open", "Open Opportunities"
    ALL = "all", "All Opportunities"


# Sort keys a grid accepts ("-key" for descending) and the columns each one orders by.
ACCOUNT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "website": ("website",),
    "phone": ("phone",),
    "city": ("city",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
CONTACT_SORTS: dict[str, tuple[str, ...]] = {
    "name": ("last_name", "first_name"),
    "email": ("email",),
    "phone": ("business_phone",),
    "account": ("account__name",),
    "job_title": ("job_title",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
OPPORTUNITY_SORTS: dict[str, tuple[str, ...]] = {
    "topic": ("topic",),
    "customer": ("customer_name",),
    "revenue": ("estimated_revenue",),
    "status": ("state",),
    "stage": ("stage",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
DEFAULT_ACCOUNT_SORT = "name"
DEFAULT_CONTACT_SORT = "name"
DEFAULT_OPPORTUNITY_SORT = "-created"


def sort_key(requested: str, sorts: dict[str, tuple[str, ...]], default: str) -> str:
    """The requested sort when the grid offers it, else the default."""
    return requested if requested.removeprefix("-") in sorts else default


def _order_by(sort: str, sorts: dict[str, tuple[str, ...]]) -> list[str]:
    descending = sort.startswith("-")
    columns = sorts[sort.removeprefix("-")]
    prefix = "-" if descending else ""
    # The primary key last keeps the order stable across pages when values tie.
    return [f"{prefix}{column}" for column in columns] + [f"{prefix}pk"]


def account_list(*, query: str = "", sort: str = DEFAULT_ACCOUNT_SORT) -> models.QuerySet[Account]:
    accounts = Account.objects.select_related("owner")
    query = query.strip()
    if query:
        accounts = accounts.filter(
            Q(name__istartswith=query)
            | Q(website_domain__istartswith=query.casefold().removeprefix("www."))
            | Q(phone__startswith=query)
            | Q(email__istartswith=query)
            | Q(city__istartswith=query)
        )
    sort = sort_key(sort, ACCOUNT_SORTS, DEFAULT_ACCOUNT_SORT)
    return accounts.order_by(*_order_by(sort, ACCOUNT_SORTS))


def account_get(*, pk: int) -> Account:
    """An account with its owner and originating lead; 404 when missing."""
    return get_object_or_404(Account.objects.select_related("owner", "origin__lead"), pk=pk)


def account_contacts(*, account: Account) -> models.QuerySet[Contact]:
    return account.contacts.select_related("owner").order_by("last_name", "first_name", "pk")


def account_opportunities(*, account: Account) -> models.QuerySet[Opportunity]:
    """Opportunities for the account, as the potential customer or as the linked account."""
    return (
        Opportunity.objects.filter(Q(customer_account=account) | Q(account=account))
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def contact_list(*, query: str = "", sort: str = DEFAULT_CONTACT_SORT) -> models.QuerySet[Contact]:
    contacts = Contact.objects.select_related("owner", "account")
    query = query.strip()
    if query:
        folded = query.casefold()
        contacts = contacts.filter(
            Q(last_name__istartswith=query)
            | Q(first_name__istartswith=query)
            | Q(full_name_normalized__startswith=folded)
            | Q(email_normalized__startswith=folded)
            | Q(business_phone__startswith=query)
            | Q(account__name__istartswith=query)
        )
    sort = sort_key(sort, CONTACT_SORTS, DEFAULT_CONTACT_SORT)
    return contacts.order_by(*_order_by(sort, CONTACT_SORTS))


def contact_get(*, pk: int) -> Contact:
    """A contact with its account, owner and originating lead; 404 when missing."""
    return get_object_or_404(
        Contact.objects.select_related("owner", "account", "origin__lead"), pk=pk
    )


def contact_opportunities(*, contact: Contact) -> models.QuerySet[Opportunity]:
    return (
        Opportunity.objects.filter(Q(customer_contact=contact) | Q(contact=contact))
        .select_related("owner")
        .order_by("-created_at", "-pk")
    )


def opportunity_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    view: str = OpportunityView.MY_OPEN,
    query: str = "",
    sort: str = DEFAULT_OPPORTUNITY_SORT,
) -> models.QuerySet[Opportunity]:
    opportunities = Opportunity.objects.select_related(
        "owner", "customer_account", "customer_contact"
    ).annotate(customer_name=Coalesce("customer_account__name", "customer_contact__last_name"))
    if view == OpportunityView.MY_OPEN:
        opportunities = opportunities.filter(owner_id=user.pk, state=OpportunityState.OPEN)
    elif view == OpportunityView.OPEN:
        opportunities = opportunities.filter(state=OpportunityState.OPEN)
    query = query.strip()
    if query:
        opportunities = opportunities.filter(
            Q(topic__istartswith=query)
            | Q(customer_account__name__istartswith=query)
            | Q(customer_contact__last_name__istartswith=query)
            | Q(customer_contact__first_name__istartswith=query)
        )
    sort = sort_key(sort, OPPORTUNITY_SORTS, DEFAULT_OPPORTUNITY_SORT)
    return opportunities.order_by(*_order_by(sort, OPPORTUNITY_SORTS))


def opportunity_get(*, pk: int) -> Opportunity:
    """An opportunity with everything its page header shows; 404 when missing."""
    return get_object_or_404(
        Opportunity.objects.select_related(
            "owner",
            "customer_account",
            "customer_contact",
            "account",
            "contact",
            "origin__lead",
        ),
        pk=pk,
    )


def owner_or_manager(*, user: AbstractBaseUser | AnonymousUser, owner_id: int | None) -> bool:
    """The one "owner or sales manager" rule: a user changes what they own (a lead, an
    opportunity, a bulk job they started), and the manage-all permission allows anyone's."""
    return user.is_authenticated and (owner_id == user.pk or user.has_perm(MANAGE_ALL_PERMISSION))


def opportunity_can_change(
    *, user: AbstractBaseUser | AnonymousUser, opportunity: Opportunity
) -> bool:
    """The owner, or a user allowed to work on everyone's records, may change it."""
    return owner_or_manager(user=user, owner_id=opportunity.owner_id)


@dataclass(frozen=True)
class StageCell:
    value: str
    label: str
    state: str  # "done", "active" or "" (not reached)


def opportunity_stages(*, opportunity: Opportunity | None) -> list[StageCell]:
    """Develop, Propose and Close for the process bar. A won opportunity has done them all;
    without an opportunity (a lead not qualified into one) none of them has started."""
    active = STAGE_ORDER.index(opportunity.stage) if opportunity is not None else None
    won = opportunity is not None and opportunity.state == OpportunityState.WON
    cells = []
    for index, stage in enumerate(STAGE_ORDER):
        if active is None:
            state = ""
        elif index < active or won:
            state = "done"
        else:
            state = "active" if index == active else ""
        cells.append(StageCell(value=stage, label=SalesStage(stage).label, state=state))
    return cells


def originating_lead(record: models.Model) -> models.Model | None:
    """The lead a record was created from (`record.origin.lead`), or None.

    The link is declared on the lead side; load it with select_related("origin__lead").
    """
    origin = getattr(record, "origin", None)
    return origin.lead if origin is not None else None


def timeline_entry_get(*, pk: int) -> TimelineEntry:
    return get_object_or_404(TimelineEntry, pk=pk)


def timeline_for(*, record: models.Model) -> models.QuerySet[TimelineEntry]:
    """A record's timeline, newest first, with each author and the attachment's file name.

    `attachment_name` is the last part of the stored path, computed in SQL so that the
    template needs no per-entry work.
    """
    return (
        TimelineEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(record), object_id=record.pk
        )
        .select_related("author")
        .annotate(
            attachment_name=Right(
                F("attachment"), StrIndex(Reverse(F("attachment")), Value("/")) - 1
            )
        )
        .order_by("-created_at", "-id")
    )
