"""The lead figures' reads: leads per week, decisions, disqualify reasons, lead sources."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, F, Func, Min, Q, Value, Window
from django.db.models.functions import CumeDist

from leads.filters import day_start
from leads.models import DISQUALIFY_REASONS, LeadSource, LeadState
from qualification.insights.periods import DayRange
from qualification.insights.selectors.scope import CREATED, InsightsScope, leads_where
from qualification.insights.selectors.sql import DaysBetween, WeekIndex

# Leads per week -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCounts:
    days: DayRange
    created: int = 0
    qualified: int = 0
    disqualified: int = 0


def insights_leads_per_week(*, scope: InsightsScope) -> list[WeekCounts]:
    """Per week of the period: leads created, and leads qualified or disqualified (by the day
    they were closed). Weeks start on Monday in the site's time zone."""
    weeks = scope.days.weeks()
    starts = [day_start(week.start) for week in weeks]
    created = (
        scope.created()
        .annotate(week=WeekIndex("created_at", starts), kind=Value(CREATED))
        .values("week", "kind")
        .annotate(count=Count("*"))
    )
    closed = (
        scope.closed()
        .annotate(week=WeekIndex("closed_at", starts), kind=F("state"))
        .values("week", "kind")
        .annotate(count=Count("*"))
    )
    counts = {
        (row["week"], row["kind"]): row["count"]
        for row in created.union(closed, all=True).order_by()
    }
    return [
        WeekCounts(
            days=week,
            created=counts.get((index, CREATED), 0),
            qualified=counts.get((index, LeadState.QUALIFIED), 0),
            disqualified=counts.get((index, LeadState.DISQUALIFIED), 0),
        )
        for index, week in enumerate(weeks)
    ]


# Decisions: qualification rate and time to decision -----------------------------------------


@dataclass(frozen=True)
class Decisions:
    qualified: int
    disqualified: int
    median_days_to_qualify: float | None
    median_days_to_disqualify: float | None

    @property
    def decided(self) -> int:
        return self.qualified + self.disqualified

    @property
    def rate(self) -> float | None:
        """The share of the decided leads that were qualified."""
        return self.qualified / self.decided if self.decided else None


def _median_of(days: str, state: str) -> Func:
    """The median of `days` among the leads in `state`, from each row's cumulative share of its
    state (`share`, CUME_DIST: the share of the state's rows at or below its days). The value at
    position k of n is the smallest one whose share reaches k/n; the median is the mean of the
    values at n/2 and just past it (the same one when n is odd): the smallest with a share of at
    least one half, and the smallest with more. SQLite and PostgreSQL both run it, with one sort
    and one window for every state."""
    in_state = Q(state=state)
    lower = Min(days, filter=in_state & Q(share__gte=0.5))
    upper = Min(days, filter=in_state & Q(share__gt=0.5))
    return (lower + upper) / 2


def insights_decisions(*, scope: InsightsScope) -> Decisions:
    """Of the leads closed in the period: how many were qualified and disqualified, and the
    median days from created to qualified and to disqualified."""
    ranked = scope.closed().annotate(
        days=DaysBetween("created_at", "closed_at"),
        share=Window(CumeDist(), partition_by=[F("state")], order_by=[F("days").asc()]),
    )
    figures = ranked.aggregate(
        qualified=leads_where(state=LeadState.QUALIFIED),
        disqualified=leads_where(state=LeadState.DISQUALIFIED),
        median_days_to_qualify=_median_of("days", LeadState.QUALIFIED),
        median_days_to_disqualify=_median_of("days", LeadState.DISQUALIFIED),
    )
    return Decisions(**figures)


# Disqualify reasons -------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    reason: str
    count: int


def insights_disqualify_reasons(*, scope: InsightsScope) -> list[ReasonCount]:
    """The leads disqualified in the period per status reason, every reason listed."""
    counts = dict(
        scope.closed()
        .filter(state=LeadState.DISQUALIFIED)
        .values_list("status_reason")
        .annotate(count=Count("*"))
    )
    return [
        ReasonCount(reason=reason, count=counts.get(reason, 0)) for reason in DISQUALIFY_REASONS
    ]


# Lead sources -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceCounts:
    source: str  # a LeadSource value, or "" for leads without one
    created: int
    qualified: int
    disqualified: int

    @property
    def open(self) -> int:
        return self.created - self.qualified - self.disqualified

    @property
    def rate(self) -> float | None:
        """The share of this source's decided leads that were qualified."""
        decided = self.qualified + self.disqualified
        return self.qualified / decided if decided else None


def insights_lead_sources(*, scope: InsightsScope) -> list[SourceCounts]:
    """The leads created in the period per lead source, with how many of them are qualified
    and disqualified now; most leads first, sources without leads left out."""
    rows = (
        scope.created()
        .values("lead_source")
        .annotate(
            created=Count("*"),
            qualified=leads_where(state=LeadState.QUALIFIED),
            disqualified=leads_where(state=LeadState.DISQUALIFIED),
        )
    )
    order = {source: index for index, source in enumerate(LeadSource.values)}
    sources = [
        SourceCounts(
            source=row["lead_source"],
            created=row["created"],
            qualified=row["qualified"],
            disqualified=row["disqualified"],
        )
        for row in rows
    ]
    return sorted(sources, key=lambda row: (-row.created, order.get(row.source, len(order))))
