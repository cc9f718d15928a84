"""One read per Insights figure, each aggregated by the database in one query: the rows that
come back are weeks, reasons, sources or stages, never leads. The lead counts are COUNT(*) over
columns that indexes `lead_closed_insights` and `lead_created_insights` hold, so that PostgreSQL
reads them from the index alone.

The lead figures (per week, decisions, reasons, sources) count leads by their state now and
`closed_at`, when they were last qualified or disqualified. The qualification figures (records,
duplicates, pipeline) count the qualification records of the period. A salesperson sees their
own leads only; the manage-all permission (sales managers) sees everyone's or one owner's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Coalesce, CumeDist

from crm.models import OpportunityState, SalesStage
from leads.filters import day_start
from leads.models import DISQUALIFY_REASONS, Lead, LeadSource, LeadState
from leads.selectors import MANAGE_ALL_LEADS
from qualification.insights.periods import DayRange
from qualification.models import DuplicateDecision, Qualification, QualificationOpportunity

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

CLOSED_STATES = (LeadState.QUALIFIED, LeadState.DISQUALIFIED)
CREATED = "created"
# The pipeline's rows: an open opportunity by its stage, then the won and the lost ones.
PIPELINE_BUCKETS = (*SalesStage.values, OpportunityState.WON, OpportunityState.LOST)


@dataclass(frozen=True)
class InsightsScope:
    """Whose leads, over which days."""

    days: DayRange
    owner_id: int | None  # None: every owner's

    @property
    def since(self) -> datetime:
        return day_start(self.days.start)

    @property
    def until(self) -> datetime:
        return day_start(date.fromordinal(self.days.end.toordinal() + 1))

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
        """The qualification records of the period, of leads that still exist."""
        records = Qualification.objects.order_by().filter(
            created_at__gte=self.since, created_at__lt=self.until, lead__isnull=False
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
        User.objects.filter(Exists(Lead.objects.filter(owner_id=OuterRef("pk"))))
        .order_by("first_name", "last_name", "username")
        .only("first_name", "last_name", "username")
    )
    return [(owner.pk, owner.get_full_name() or owner.get_username()) for owner in owners]


def _leads_where(**condition: object) -> Count:
    """COUNT of the leads that meet `condition`: of a column the insights indexes hold (state,
    never null), as COUNT(*) takes no FILTER."""
    return Count("state", filter=Q(**condition))


# Leads per week -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekCounts:
    days: DayRange
    created: int = 0
    qualified: int = 0
    disqualified: int = 0


class WeekIndex(Func):
    """Which of the weeks starting at `starts` (in order, without gaps) a datetime falls in, as
    its index: compared with the weeks' first moments by halves, a few comparisons a row. The
    moments are the site's midnights, so no time zone arithmetic runs per row (TruncWeek's),
    and a week is right across a change to or from summer time. Written out as SQL: Django's
    Case and When take longer to build for a year of weeks than the query takes to run."""

    output_field = IntegerField()

    def __init__(self, field: str, starts: list[datetime]) -> None:
        super().__init__(F(field))
        self.starts = starts

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> tuple[str, list]:
        column, _no_params = compiler.compile(self.get_source_expressions()[0])  # a column
        params: list = []

        def among(first: int, last: int) -> str:
            if last - first == 1:
                return str(first)
            middle = (first + last) // 2
            params.append(connection.ops.adapt_datetimefield_value(self.starts[middle]))
            lower, upper = among(first, middle), among(middle, last)
            return f"CASE WHEN {column} < %s THEN {lower} ELSE {upper} END"

        return among(0, len(self.starts)), params


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


class DaysBetween(Func):
    """Days, with their fraction, from the first datetime to the second."""

    output_field = FloatField()
    arity = 2

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> tuple[str, list]:
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        if connection.vendor == "postgresql":
            # date_part gives a double; EXTRACT a numeric, twice as slow to compute and sort.
            sql = f"(date_part('epoch', {end[0]} - {start[0]}) / 86400.0)"
        else:
            sql = f"(julianday({end[0]}) - julianday({start[0]}))"
        return sql, [*end[1], *start[1]]


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
        qualified=_leads_where(state=LeadState.QUALIFIED),
        disqualified=_leads_where(state=LeadState.DISQUALIFIED),
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
            qualified=_leads_where(state=LeadState.QUALIFIED),
            disqualified=_leads_where(state=LeadState.DISQUALIFIED),
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


# Created versus linked, and the duplicate decisions ------------------------------------------


@dataclass(frozen=True)
class RecordUse:
    """What the period's qualifications did for the account and the contact."""

    qualifications: int
    accounts_created: int
    accounts_linked: int
    contacts_created: int
    contacts_linked: int
    linked_any: int  # linked an existing account or contact (or both)

    @property
    def linked_share(self) -> float | None:
        return self.linked_any / self.qualifications if self.qualifications else None


ACCOUNT_LINKED = Q(account_created=False, account__isnull=False)
CONTACT_LINKED = Q(contact_created=False, contact__isnull=False)


def insights_records_linked(*, scope: InsightsScope) -> RecordUse:
    """How many of the period's qualifications created the account and the contact, and how
    many linked existing ones instead."""
    return RecordUse(
        **scope.qualifications().aggregate(
            qualifications=Count("pk"),
            accounts_created=Count("pk", filter=Q(account_created=True)),
            accounts_linked=Count("pk", filter=ACCOUNT_LINKED),
            contacts_created=Count("pk", filter=Q(contact_created=True)),
            contacts_linked=Count("pk", filter=CONTACT_LINKED),
            linked_any=Count("pk", filter=ACCOUNT_LINKED | CONTACT_LINKED),
        )
    )


@dataclass(frozen=True)
class DuplicateDecisions:
    """How the period's duplicate warnings were answered, for accounts and contacts."""

    accounts_linked: int
    accounts_created_anyway: int
    contacts_linked: int
    contacts_created_anyway: int

    @property
    def stopped(self) -> int:
        """Duplicates stopped: a match was used instead of creating another record."""
        return self.accounts_linked + self.contacts_linked

    @property
    def created_anyway(self) -> int:
        return self.accounts_created_anyway + self.contacts_created_anyway


def insights_duplicate_decisions(*, scope: InsightsScope) -> DuplicateDecisions:
    """Of the period's qualifications whose new account or contact matched existing records:
    how many used a match ("use existing", or bulk's single clear match) and how many created a
    new record anyway."""
    linked, anyway = DuplicateDecision.LINKED, DuplicateDecision.CREATED_ANYWAY
    return DuplicateDecisions(
        **scope.qualifications().aggregate(
            accounts_linked=Count("pk", filter=Q(account_duplicates=linked)),
            accounts_created_anyway=Count("pk", filter=Q(account_duplicates=anyway)),
            contacts_linked=Count("pk", filter=Q(contact_duplicates=linked)),
            contacts_created_anyway=Count("pk", filter=Q(contact_duplicates=anyway)),
        )
    )


# Opportunities from leads -------------------------------------------------------------------


@dataclass(frozen=True)
class StageValue:
    bucket: str  # a SalesStage value (open opportunities), "won" or "lost"
    count: int
    value: Decimal


def insights_pipeline(*, scope: InsightsScope) -> list[StageValue]:
    """The opportunities the period's qualifications created, where they are now: open ones by
    stage, then won and lost; with their value (Est. Revenue, else the Budget Amount)."""
    opportunity = "opportunity__"
    rows = (
        QualificationOpportunity.objects.order_by()
        .filter(qualification__in=scope.qualifications())
        .annotate(
            bucket=Case(
                When(
                    **{f"{opportunity}state": OpportunityState.OPEN},
                    then=F(f"{opportunity}stage"),
                ),
                default=F(f"{opportunity}state"),
            )
        )
        .values("bucket")
        .annotate(
            count=Count("pk"),
            value=Sum(
                Coalesce(
                    f"{opportunity}estimated_revenue",
                    f"{opportunity}budget_amount",
                    Value(Decimal(0)),
                )
            ),
        )
    )
    found = {row["bucket"]: row for row in rows}
    return [
        StageValue(
            bucket=bucket,
            count=found[bucket]["count"] if bucket in found else 0,
            value=found[bucket]["value"] if bucket in found else Decimal(0),
        )
        for bucket in PIPELINE_BUCKETS
    ]
