"""Whose leads and which days the Insights figures count, and who may see whose."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from leads.filters import day_start
from leads.models import Lead, LeadState
from leads.selectors import MANAGE_ALL_LEADS
from qualification.insights.periods import DayRange
from qualification.models import Qualification

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

CLOSED_STATES = (LeadState.QUALIFIED, LeadState.DISQUALIFIED)
CREATED = "created"


@dataclass(frozen=True)
class InsightsScope:
    """Whose leads, over which days."""

    days: DayRange
    owner_id: int | None  # None: every owner's

    def shared[T](self, name: str, read: Callable[[], T]) -> T:
        """A read that several figures share, made once for this scope (one request): the
        figures still ask for it each by itself, and a figure asked alone makes it alone."""
        reads = self.__dict__.setdefault("_shared_reads", {})
        if name not in reads:
            reads[name] = read()
        return reads[name]

    @property
    def since(self) -> datetime:
        return day_start(self.days.start)

    @property
    def until(self) -> datetime:
        return day_start(self.days.end + timedelta(days=1))

    def leads(self) -> QuerySet[Lead]:
        leads = Lead.objects.order_by()
        return leads if self.owner_id is None else leads.filter(owner_id=self.owner_id)

    def created(self) -> QuerySet[Lead]:
        """The leads created in the period."""
        return self.leads().filter(created_at__gte=self.since, created_at__lt=self.until)

    def closed(self) -> QuerySet[Lead]:
        """The leads last qualified or disqualified in the period (and still closed)."""
        return self.leads().filter(
            state__in=CLOSED_STATES, closed_at__gte=self.since, closed_at__lt=self.until
        )

    def qualifications(self) -> QuerySet[Qualification]:
        """The qualification records of the period, of leads that still exist, not undone."""
        records = Qualification.objects.order_by().filter(
            created_at__gte=self.since,
            created_at__lt=self.until,
            lead__isnull=False,
            undone_at__isnull=True,
        )
        return records if self.owner_id is None else records.filter(lead__owner_id=self.owner_id)


def insights_can_see_everyone(*, user: AbstractBaseUser | AnonymousUser) -> bool:
    return user.is_authenticated and user.has_perm(MANAGE_ALL_LEADS)


def insights_scope(
    *, user: AbstractBaseUser | AnonymousUser, days: DayRange, owner_id: int | None
) -> InsightsScope:
    """Managers see every owner's leads or the owner they pick; a salesperson their own, and
    asking for anyone else's is refused (PermissionDenied)."""
    if insights_can_see_everyone(user=user):
        return InsightsScope(days=days, owner_id=owner_id)
    if owner_id not in (None, user.pk):
        raise PermissionDenied
    return InsightsScope(days=days, owner_id=user.pk)


def insights_owner_choices() -> list[tuple[int, str]]:
    """The owner filter's choices: everyone who owns a lead, by name."""
    owners = (
        get_user_model()
        .objects.filter(Exists(Lead.objects.filter(owner_id=OuterRef("pk"))))
        .order_by("first_name", "last_name", "username")
        .only("first_name", "last_name", "username")
    )
    return [(owner.pk, owner.get_full_name() or owner.get_username()) for owner in owners]


def leads_where(**condition: object) -> Count:
    """COUNT of the leads that meet `condition`: of a column the insights indexes hold (state,
    never null), as COUNT(*) takes no FILTER."""
    return Count("state", filter=Q(**condition))
