"""The account, contact and opportunity grids: views, quick find and sort.

List selectors fetch every column a grid row shows in the same query (owner, customer), so a
page costs the same number of queries whatever its size. Names sort without regard to case
("City Power & Light" before "CONTOSO"), on expression indexes (crm migration
0003_grid_sort_indexes) so that a page still comes straight from an index.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models
from django.db.models import F, Q
from django.db.models.expressions import Combinable, OrderBy
from django.db.models.functions import Coalesce, Lower

from crm.models import Account, Contact, Opportunity, OpportunityState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


class OpportunityView(models.TextChoices):
    MY_OPEN = "my_open", "My Open Opportunities"
    OPEN = "open", "Open Opportunities"
    CLOSED = "closed", "Closed Opportunities"
    WON = "won", "Won Opportunities"
    LOST = "lost", "Lost Opportunities"
    ALL = "all", "All Opportunities"


DEFAULT_OPPORTUNITY_VIEW = OpportunityView.MY_OPEN

# Sort keys a grid accepts ("-key" for descending) and what each one orders by: a column, or an
# expression (names are compared lower-cased).
type SortColumns = tuple[str | Combinable, ...]
ACCOUNT_SORTS: dict[str, SortColumns] = {
    "name": (Lower("name"),),
    "website": ("website",),
    "phone": ("phone",),
    "city": ("city",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
CONTACT_SORTS: dict[str, SortColumns] = {
    "name": (Lower("last_name"), Lower("first_name")),
    "email": ("email",),
    "phone": ("business_phone",),
    "account": (Lower("account__name"),),
    "job_title": ("job_title",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
OPPORTUNITY_SORTS: dict[str, SortColumns] = {
    "topic": (Lower("topic"),),
    "customer": (Lower("customer_name"),),
    "revenue": ("estimated_revenue",),
    "status": ("state",),
    "stage": ("stage",),
    "owner": ("owner__first_name", "owner__last_name"),
    "created": ("created_at",),
}
DEFAULT_ACCOUNT_SORT = "name"
DEFAULT_CONTACT_SORT = "name"
DEFAULT_OPPORTUNITY_SORT = "-created"


def sort_key(requested: str, sorts: dict[str, SortColumns], default: str) -> str:
    """The requested sort when the grid offers it, else the default."""
    return requested if requested.removeprefix("-") in sorts else default


def opportunity_view_or_default(view: str | None) -> OpportunityView:
    return OpportunityView(view) if view in OpportunityView.values else DEFAULT_OPPORTUNITY_VIEW


def _order_by(sort: str, sorts: dict[str, SortColumns]) -> list[OrderBy]:
    descending = sort.startswith("-")
    columns = [
        F(column) if isinstance(column, str) else column for column in sorts[sort.removeprefix("-")]
    ]
    # The primary key last keeps the order stable across pages when values tie.
    columns.append(F("pk"))
    return [column.desc() if descending else column.asc() for column in columns]


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


def _opportunity_view_filter(*, user: AbstractBaseUser | AnonymousUser, view: str) -> Q:
    if view == OpportunityView.MY_OPEN:
        return Q(owner_id=user.pk, state=OpportunityState.OPEN)
    if view == OpportunityView.OPEN:
        return Q(state=OpportunityState.OPEN)
    if view == OpportunityView.CLOSED:
        return Q(state__in=[OpportunityState.WON, OpportunityState.LOST])
    if view == OpportunityView.WON:
        return Q(state=OpportunityState.WON)
    if view == OpportunityView.LOST:
        return Q(state=OpportunityState.LOST)
    return Q()


def opportunity_list(
    *,
    user: AbstractBaseUser | AnonymousUser,
    view: str = DEFAULT_OPPORTUNITY_VIEW,
    query: str = "",
    sort: str = DEFAULT_OPPORTUNITY_SORT,
) -> models.QuerySet[Opportunity]:
    """One view of the opportunity grid (My Open Opportunities when `view` is unknown),
    quick-found on topic and potential customer, sorted (ties broken by id)."""
    view = opportunity_view_or_default(view)
    opportunities = (
        Opportunity.objects.select_related("owner", "customer_account", "customer_contact")
        .annotate(customer_name=Coalesce("customer_account__name", "customer_contact__last_name"))
        .filter(_opportunity_view_filter(user=user, view=view))
    )
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
