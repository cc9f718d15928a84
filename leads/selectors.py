"""Reads for leads: the grid's views, quick find and sort, one lead for a user, and the
selection that bulk commands (qualify, disqualify, reactivate, delete) act on."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Concat, Lower
from django.shortcuts import get_object_or_404
from django.utils import timezone

from crm.models import Account, Contact
from crm.selectors import MANAGE_ALL_PERMISSION, owner_or_manager, owners_or_manager
from leads.filters import lead_filter_split
from leads.models import NOT_A_DIGIT, Lead, LeadState

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    AnyUser = AbstractBaseUser | AnonymousUser

# Declared on the lead model; crm reads it by name for opportunities, so one string serves both.
MANAGE_ALL_LEADS = MANAGE_ALL_PERMISSION
DELETE_LEAD = "leads.delete_lead"


class LeadView(models.TextChoices):
    MY_OPEN = "my_open", "My Open Leads"
    OPEN = "open", "Open Leads"
    CLOSED = "closed", "Closed Leads"
    ALL = "all", "All Leads"
    OPENED_THIS_WEEK = "opened_this_week", "Leads Opened This Week"
    OPENED_LAST_WEEK = "opened_last_week", "Leads Opened Last Week"


DEFAULT_VIEW = LeadView.MY_OPEN
# The views in the order the view picker lists them: (value, label).
LEAD_VIEWS: list[tuple[str, str]] = list(LeadView.choices)

# Sortable grid columns: the key in `?sort=` (prefixed "-" for descending) and what it
# orders by, text with case ignored; each has an index ending with the id tie-break
# (Lead.Meta.indexes). Owner sorts by the key stored on the lead (last name, first name, user
# name: Lead.owner_sort). Anything else falls back to the default sort, so a crafted URL
# cannot order by an arbitrary field.
SORT_FIELDS: dict[str, tuple[Combinable, ...]] = {
    "name": (Lower("last_name"), Lower("first_name")),
    "topic": (Lower("topic"),),
    "company_name": (Lower("company_name"),),
    "email": (Lower("email"),),
    "business_phone": (F("business_phone"),),
    "status_reason": (F("status_reason"),),
    "owner": (F("owner_sort"),),
    "created_at": (F("created_at"),),
}
DEFAULT_SORT = "-created_at"
# Quick find looks at most this many characters (the widest searched column is Topic's 300).
QUICK_FIND_MAX_LENGTH = 100
# Quick find text that reads as a phone number (digits and the signs phone numbers are written
# with) matches the digits anywhere in a lead's phones, from this many digits on (a trigram
# index serves three or more; fewer would match most leads anyway).
PHONE_TEXT = re.compile(r"[0-9+()./\- ]+")
PHONE_MIN_DIGITS = 3
LOOKUP_LIMIT = 50


def lead_view_or_default(view: str | None) -> LeadView:
    return LeadView(view) if view in LeadView.values else DEFAULT_VIEW


def lead_sort_or_default(sort: str | None) -> str:
    key = (sort or "").removeprefix("-")
    return sort if sort and key in SORT_FIELDS else DEFAULT_SORT


def week_start(now: datetime | None = None) -> datetime:
    """Monday 00:00 of the current week in the site's time zone, as an aware datetime."""
    today = timezone.localdate(now)
    monday = today - timedelta(days=today.weekday())
    return timezone.make_aware(datetime.combine(monday, time.min))


def _view_filter(*, user: AnyUser, view: LeadView, now: datetime | None = None) -> Q:
    if view == LeadView.MY_OPEN:
        return Q(owner_id=user.pk, state=LeadState.OPEN)
    if view == LeadView.OPEN:
        return Q(state=LeadState.OPEN)
    if view == LeadView.CLOSED:
        return Q(state__in=[LeadState.QUALIFIED, LeadState.DISQUALIFIED])
    if view == LeadView.OPENED_THIS_WEEK:
        start = week_start(now)
        return Q(created_at__gte=start, created_at__lt=start + timedelta(days=7))
    if view == LeadView.OPENED_LAST_WEEK:
        start = week_start(now)
        return Q(created_at__gte=start - timedelta(days=7), created_at__lt=start)
    return Q()


def _quick_find_text(query: str | None) -> str:
    return (query or "").strip()[:QUICK_FIND_MAX_LENGTH]


def _names_begin_with(query: str) -> Q:
    """Case-insensitive "begins with" on first, last or full name (annotated `search_name`).

    The full name is "first last": text without a space begins it only where it begins the
    first name, so it is tested only for text with a space (one branch fewer for the database
    to try on every lead a quick find reads)."""
    found = Q(first_name__istartswith=query) | Q(last_name__istartswith=query)
    return found | Q(search_name__istartswith=query) if " " in query else found


def _quick_find_filter(query: str, *, owner_id: int | None = None) -> Q:
    """Case-insensitive "begins with" on first, last and full name, email, phone, company and
    the owner's name; phone-like text also matches the digits anywhere in either phone.

    Each branch has an index on PostgreSQL (migrations 0003 and 0007), so the OR stays a
    bitmap of index scans. The owners are read first (one small query): their ids as values
    give the planner real statistics, and a text no owner's name begins with (most) adds no
    branch at all. As a subquery the planner could not tell how many leads it matches and took
    the whole table for it, reading every lead for a rare text (seconds at 1,000,000 leads).

    `owner_id` is the one owner of every lead the view shows (My Open Leads): the owner branch
    is then decided here, not left to the planner, which cannot tell that "owner is Dana and
    owner is Priya" matches nothing and planned for thousands of matches (a walk through all
    of Dana's open leads, 350 ms at 1,000,000 leads). A text that begins the owner's own name
    matches every lead of the view (Q(), no filter); another owner's name adds no branch.
    """
    owners = list(
        get_user_model()
        .objects.annotate(search_name=Concat("first_name", Value(" "), "last_name"))
        .filter(_names_begin_with(query))
        .values_list("pk", flat=True)
    )
    if owner_id is not None:
        if owner_id in owners:
            return Q()
        owners = []
    found = (
        _names_begin_with(query)
        | Q(email__istartswith=query)
        | Q(business_phone__istartswith=query)
        | Q(company_name__istartswith=query)
    )
    if owners:
        # First: the database tries an OR's branches in order and stops at the first that
        # holds, and this one is an integer comparison where the others each fold a text. An
        # owner's name matches thousands of leads that then cost one test instead of six
        # (counting 1,001 of Priya Raman's open leads: 14.6 against 10.3 ms at 1,000,000).
        found = Q(owner_id__in=owners) | found
    digits = NOT_A_DIGIT.sub("", query)
    if PHONE_TEXT.fullmatch(query) and len(digits) >= PHONE_MIN_DIGITS:
        found |= Q(phone_digits__contains=digits)
    return found


def lead_list(
    *,
    user: AnyUser,
    view: str = DEFAULT_VIEW,
    query: str = "",
    sort: str = DEFAULT_SORT,
    now: datetime | None = None,
) -> models.QuerySet[Lead]:
    """The leads of one grid view, quick-found and sorted (stable: ties broken by newest id).
    Filter words in the quick find text (`status:lost`, see leads.filters) filter it too."""
    view = lead_view_or_default(view)
    leads = Lead.objects.select_related("owner").filter(_view_filter(user=user, view=view, now=now))
    words, query = lead_filter_split(_quick_find_text(query))
    leads = leads.filter(words)
    if query:
        one_owner = user.pk if view == LeadView.MY_OPEN else None
        leads = leads.annotate(search_name=Concat("first_name", Value(" "), "last_name")).filter(
            _quick_find_filter(query, owner_id=one_owner)
        )
    sort = lead_sort_or_default(sort)
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key == "owner" and view == LeadView.MY_OPEN:
        # One owner: the order is the tie-break's, which an index gives without a sort.
        return leads.order_by("-id")
    order = [field.desc() if descending else field.asc() for field in SORT_FIELDS[key]]
    return leads.order_by(*order, "-id")


def lead_ids_for_selection(
    *,
    user: AnyUser,
    view: str,
    query: str,
    lead_ids: list[int],
    select_all_matching: bool,
) -> list[int]:
    """The ids a bulk command acts on.

    "Select all N leads in this view" means every lead the view and quick find match now,
    in the grid's default order; otherwise the ticked ids that still exist, in the order given.
    Every signed-in user may see every lead, so nothing else filters them out here; whether the
    user may change each lead is decided per lead by the command.
    """
    if select_all_matching:
        return list(lead_list(user=user, view=view, query=query).values_list("id", flat=True))
    wanted = list(dict.fromkeys(lead_ids))
    existing = set(Lead.objects.filter(pk__in=wanted).values_list("id", flat=True))
    return [lead_id for lead_id in wanted if lead_id in existing]


def lead_can_change(user: AnyUser, lead: Lead) -> bool:
    """Owners change their leads; the sales manager permission allows any lead."""
    return owner_or_manager(user=user, owner_id=lead.owner_id)


def leads_can_change(user: AnyUser, leads: Sequence[Lead]) -> list[bool]:
    """`lead_can_change` for each lead, the permission looked up once."""
    return owners_or_manager(user=user, owner_ids=[lead.owner_id for lead in leads])


def lead_can_delete(user: AnyUser, lead: Lead) -> bool:
    """Owners delete their leads; the delete permission allows any lead."""
    return leads_can_delete(user, [lead])[0]


def leads_can_delete(user: AnyUser, leads: Sequence[Lead]) -> list[bool]:
    """`lead_can_delete` for each lead, the permission looked up once."""
    owner_ids = [lead.owner_id for lead in leads]
    return owners_or_manager(user=user, owner_ids=owner_ids, permission=DELETE_LEAD)


# The records a lead links to, read with it by default.
LEAD_LINKS = (
    "owner",
    "existing_account",
    "existing_contact",
    "parent_account",
    "parent_contact",
    "qualifying_opportunity",
)


def lead_get_for_user(
    *, user: AnyUser, pk: int, for_change: bool = False, links: tuple[str, ...] = LEAD_LINKS
) -> Lead:
    """One lead: 404 when it does not exist, PermissionDenied when `for_change` and the user
    may not change it. Any signed-in user may view any lead. `links`: the linked records read
    in the same query; another one is read when first used (no query for an empty link)."""
    lead = get_object_or_404(Lead.objects.select_related(*links), pk=pk)
    if for_change and not lead_can_change(user, lead):
        raise PermissionDenied
    return lead


def lead_has_opportunity(*, lead: Lead) -> bool:
    """True when an opportunity is associated with the lead: its qualifying opportunity, or
    any opportunity whose Originating Lead it is (that link survives a reactivation)."""
    if lead.qualifying_opportunity_id is not None:
        return True
    return lead.origins.filter(opportunity__isnull=False).exists()


def lead_ids_with_opportunity(*, lead_ids: list[int]) -> set[int]:
    """The same test as `lead_has_opportunity` for many leads in one query."""
    return set(
        Lead.objects.filter(pk__in=lead_ids)
        .filter(Q(qualifying_opportunity__isnull=False) | Q(origins__opportunity__isnull=False))
        .values_list("id", flat=True)
        .distinct()
    )


def account_lookup(*, query: str = "", selected_id: int | None = None) -> list[Account]:
    """Accounts for the Existing Account picker: the selected one first, then up to
    LOOKUP_LIMIT whose name begins with the query (or the first ones by name)."""
    accounts = Account.objects.order_by("name", "id")
    query = _quick_find_text(query)
    matches = accounts.filter(name__istartswith=query) if query else accounts
    return _with_selected(accounts, list(matches[:LOOKUP_LIMIT]), selected_id)


def contact_lookup(*, query: str = "", selected_id: int | None = None) -> list[Contact]:
    """Contacts for the Existing Contact picker, matched on first, last or full name, email."""
    contacts = Contact.objects.select_related("account").order_by("last_name", "first_name", "id")
    query = _quick_find_text(query)
    matches = contacts
    if query:
        matches = contacts.annotate(
            search_name=Concat("first_name", Value(" "), "last_name")
        ).filter(
            Q(first_name__istartswith=query)
            | Q(last_name__istartswith=query)
            | Q(search_name__istartswith=query)
            | Q(email__istartswith=query)
        )
    return _with_selected(contacts, list(matches[:LOOKUP_LIMIT]), selected_id)


def _with_selected[T: models.Model](
    records: models.QuerySet[T], found: list[T], selected_id: int | None
) -> list[T]:
    """`found`, with the selected record first when the search did not find it: a picker must
    keep showing the current choice."""
    if selected_id is None or any(record.pk == selected_id for record in found):
        return found
    selected = records.filter(pk=selected_id).first()
    return [selected, *found] if selected else found
