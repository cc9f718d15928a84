"""The lead figures' reads: leads per week, decisions, disqualify reasons, lead sources. All but
the decisions add up one shared read, `lead_counts`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from django.db import connection
from django.db.models import Count, F, Func, Min, Q, Value, Window
from django.db.models.functions import CumeDist

from leads.filters import day_start
from leads.models import DISQUALIFY_REASONS, LeadSource, LeadState, LeadStatus
from qualification.insights.periods import DayRange
from qualification.insights.selectors.scope import CREATED, InsightsScope, leads_where
from qualification.insights.selectors.sql import DaysBetween, Median, WeekIndex

# The lead counts the weekly, reasons and sources figures share ------------------------------

CLOSED = "closed"


@dataclass(frozen=True)
class LeadCount:
    kind: str  # CREATED (by the week it was created) or CLOSED (by the week it was closed)
    week: int  # index into the period's weeks
    key: str  # the lead source of a created lead, the status reason of a closed one
    state: str  # the lead's state now
    count: int


def lead_counts(*, scope: InsightsScope) -> list[LeadCount]:
    """The period's leads counted by week, state, and lead source (created) or status reason
    (closed), in one read of the two insights indexes: a few hundred rows at most, which the
    weekly, reasons and sources figures add up. Made once per scope."""

    def read() -> list[LeadCount]:
        starts = [day_start(week.start) for week in scope.days.weeks()]
        created = (
            scope.created()
            .annotate(kind=Value(CREATED), week=WeekIndex("created_at", starts))
            .values("kind", "week", "lead_source", "state")
            .annotate(count=Count("*"))
        )
        closed = (
            scope.closed()
            .annotate(kind=Value(CLOSED), week=WeekIndex("closed_at", starts))
            .values("kind", "week", "status_reason", "state")
            .annotate(count=Count("*"))
        )
        # The union names the columns after the first query's: lead_source is the key.
        rows = (
            created.union(closed, all=True)
            .order_by()
            .values_list("kind", "week", "lead_source", "state", "count")
        )
        return [LeadCount(*row) for row in rows]

    return scope.shared("lead_counts", read)


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
    counts: Counter[tuple[int, str]] = Counter()
    for row in lead_counts(scope=scope):
        counts[(row.week, CREATED if row.kind == CREATED else row.state)] += row.count
    return [
        WeekCounts(
            days=week,
            created=counts[(index, CREATED)],
            qualified=counts[(index, LeadState.QUALIFIED)],
            disqualified=counts[(index, LeadState.DISQUALIFIED)],
        )
        for index, week in enumerate(scope.days.weeks())
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
    and one window for every state; PostgreSQL takes its own median aggregate instead."""
    in_state = Q(state=state)
    lower = Min(days, filter=in_state & Q(share__gte=0.5))
    upper = Min(days, filter=in_state & Q(share__gt=0.5))
    return (lower + upper) / 2


def insights_decisions(*, scope: InsightsScope) -> Decisions:
    """Of the leads closed in the period: how many were qualified and disqualified, and the
    median days from created to qualified and to disqualified."""
    counts = {
        "qualified": leads_where(state=LeadState.QUALIFIED),
        "disqualified": leads_where(state=LeadState.DISQUALIFIED),
    }
    if connection.vendor == "postgresql":  # an ordered-set aggregate: 3x faster than a window
        days = DaysBetween("created_at", "closed_at")
        figures = scope.closed().aggregate(
            **counts,
            median_days_to_qualify=Median(days, filter=Q(state=LeadState.QUALIFIED)),
            median_days_to_disqualify=Median(days, filter=Q(state=LeadState.DISQUALIFIED)),
        )
        return Decisions(**figures)
    ranked = scope.closed().annotate(
        days=DaysBetween("created_at", "closed_at"),
        share=Window(CumeDist(), partition_by=[F("state")], order_by=[F("days").asc()]),
    )
    figures = ranked.aggregate(
        **counts,
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
    """The leads disqualified in the period per status reason: every reason a person picks
    when disqualifying, then Duplicate (the reason Merge leads gives the leads it merged into
    another) when the period has any."""
    counts: Counter[str] = Counter()
    for row in lead_counts(scope=scope):
        if row.kind == CLOSED and row.state == LeadState.DISQUALIFIED:
            counts[row.key] += row.count
    reasons = [
        *DISQUALIFY_REASONS,
        *([LeadStatus.DUPLICATE] if counts[LeadStatus.DUPLICATE] else []),
    ]
    return [ReasonCount(reason=reason, count=counts[reason]) for reason in reasons]


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
    counts: dict[str, Counter[str]] = {}
    for row in lead_counts(scope=scope):
        if row.kind == CREATED:
            counts.setdefault(row.key, Counter())[row.state] += row.count
    order = {source: index for index, source in enumerate(LeadSource.values)}
    sources = [
        SourceCounts(
            source=source,
            created=sum(states.values()),
            qualified=states[LeadState.QUALIFIED],
            disqualified=states[LeadState.DISQUALIFIED],
        )
        for source, states in counts.items()
    ]
    return sorted(sources, key=lambda row: (-row.created, order.get(row.source, len(order))))
