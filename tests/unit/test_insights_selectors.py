"""The Insights selectors on known data: every figure's numbers, the period and owner limits,
and one query each."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from crm.models import OpportunityState, SalesStage
from leads.models import LeadSource, LeadStatus
from leads.services import MergeOutcome, leads_merge
from qualification.insights import selectors
from qualification.insights.periods import DayRange
from qualification.insights.selectors import (
    Decisions,
    DuplicateDecisions,
    InsightsScope,
    ReasonCount,
    RecordUse,
    SourceCounts,
    StageValue,
)
from tests.insights import dated_lead, dated_qualification

pytestmark = pytest.mark.django_db

# Three whole weeks, Monday March 2 to Sunday March 22, 2026.
MARCH = DayRange(date(2026, 3, 2), date(2026, 3, 22))
WEEK_1, WEEK_2, WEEK_3 = MARCH.weeks()
BEFORE, AFTER = date(2026, 3, 1), date(2026, 3, 23)


def day(number: int) -> date:
    return date(2026, 3, number)


def everyone(days: DayRange = MARCH) -> InsightsScope:
    return InsightsScope(days=days, owner_id=None)


def only(owner: User, days: DayRange = MARCH) -> InsightsScope:
    return InsightsScope(days=days, owner_id=owner.pk)


# The scope -----------------------------------------------------------------------------------


def test_a_salesperson_sees_their_own_leads_only(salesperson: User) -> None:
    scope = selectors.insights_scope(user=salesperson, days=MARCH, owner_id=None)

    assert scope == InsightsScope(days=MARCH, owner_id=salesperson.pk)
    assert selectors.insights_scope(user=salesperson, days=MARCH, owner_id=salesperson.pk) == scope


def test_a_salesperson_cannot_pick_another_owner(
    salesperson: User, other_salesperson: User
) -> None:
    with pytest.raises(PermissionDenied):
        selectors.insights_scope(user=salesperson, days=MARCH, owner_id=other_salesperson.pk)


def test_a_manager_sees_everyone_or_the_owner_they_pick(manager: User, salesperson: User) -> None:
    assert selectors.insights_scope(user=manager, days=MARCH, owner_id=None).owner_id is None
    picked = selectors.insights_scope(user=manager, days=MARCH, owner_id=salesperson.pk)
    assert picked.owner_id == salesperson.pk


def test_the_owner_choices_are_the_users_who_own_leads_by_name(
    salesperson: User, other_salesperson: User, manager: User
) -> None:
    dated_lead(other_salesperson, created=day(2))
    dated_lead(salesperson, created=day(2))
    dated_lead(salesperson, created=day(3))

    assert selectors.insights_owner_choices() == [
        (other_salesperson.pk, "Olga Other"),
        (salesperson.pk, "Sam Seller"),
    ]


# Leads per week ------------------------------------------------------------------------------


def test_it_counts_leads_created_qualified_and_disqualified_per_week(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    for created in (day(2), day(4), day(8)):
        dated_lead(salesperson, created=created)
    dated_lead(salesperson, created=day(10), closed=day(16), reason=LeadStatus.QUALIFIED)
    dated_lead(salesperson, created=BEFORE, closed=day(9), reason=LeadStatus.QUALIFIED)
    dated_lead(salesperson, created=BEFORE, closed=day(12), reason=LeadStatus.LOST)
    dated_lead(salesperson, created=day(22), closed=day(22), reason=LeadStatus.CANCELED)
    # Outside the period, or reactivated since (open again): not counted as closed.
    dated_lead(salesperson, created=BEFORE)
    dated_lead(salesperson, created=AFTER, closed=AFTER, reason=LeadStatus.QUALIFIED)
    dated_lead(salesperson, created=BEFORE, closed=BEFORE, reason=LeadStatus.LOST)
    dated_lead(salesperson, created=BEFORE, closed=None, reason=LeadStatus.CONTACTED)
    dated_lead(other_salesperson, created=day(3), closed=day(3), reason=LeadStatus.LOST)

    with django_assert_num_queries(1):
        weeks = selectors.insights_leads_per_week(scope=only(salesperson))

    assert [(w.days, w.created, w.qualified, w.disqualified) for w in weeks] == [
        (WEEK_1, 3, 0, 0),
        (WEEK_2, 1, 1, 1),
        (WEEK_3, 1, 1, 1),
    ]
    everyone_weeks = selectors.insights_leads_per_week(scope=everyone())
    assert [(w.created, w.disqualified) for w in everyone_weeks] == [(4, 1), (1, 1), (1, 1)]


def test_a_period_that_starts_mid_week_has_partial_first_and_last_weeks(
    salesperson: User,
) -> None:
    dated_lead(salesperson, created=datetime(2026, 3, 3, 23, 59, tzinfo=UTC))  # before it
    dated_lead(salesperson, created=datetime(2026, 3, 4, 0, 0, tzinfo=UTC))  # its first moment
    dated_lead(salesperson, created=datetime(2026, 3, 10, 23, 59, tzinfo=UTC))  # its last
    dated_lead(salesperson, created=datetime(2026, 3, 11, 0, 0, tzinfo=UTC))  # after it

    weeks = selectors.insights_leads_per_week(scope=everyone(DayRange(day(4), day(10))))

    assert [(w.days, w.created) for w in weeks] == [
        (DayRange(day(4), day(8)), 1),
        (DayRange(day(9), day(10)), 1),
    ]


def test_a_year_of_weeks_counts_each_lead_in_its_own_week(salesperson: User) -> None:
    year = DayRange(date(2025, 3, 5), date(2026, 3, 4))  # a Wednesday to a Wednesday
    weeks = year.weeks()
    for number, week in enumerate(weeks):
        for _ in range(number % 3):  # 0, 1 or 2 leads, on the week's first and last moments
            dated_lead(salesperson, created=datetime.combine(week.start, time.min, tzinfo=UTC))
            dated_lead(salesperson, created=datetime.combine(week.end, time.max, tzinfo=UTC))

    counted = selectors.insights_leads_per_week(scope=everyone(year))

    assert len(counted) == 53
    assert [week.created for week in counted] == [2 * (number % 3) for number in range(53)]


def test_weeks_start_on_monday_in_the_sites_time_zone(salesperson: User, settings) -> None:
    settings.TIME_ZONE = "America/New_York"
    # Monday 9 March, 03:00 UTC is still Sunday evening in New York: the first week's.
    dated_lead(salesperson, created=datetime(2026, 3, 9, 3, 0, tzinfo=UTC))
    dated_lead(salesperson, created=datetime(2026, 3, 9, 5, 0, tzinfo=UTC))

    weeks = selectors.insights_leads_per_week(scope=everyone())

    assert [w.created for w in weeks] == [1, 1, 0]


# Decisions -----------------------------------------------------------------------------------


def test_it_gives_the_qualification_rate_and_the_median_days_to_qualify_and_disqualify(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    # Qualified after 2, 4 and 9 days; disqualified after 1 and 6 days (closed in March).
    for created, closed in ((day(2), day(4)), (day(5), day(9)), (day(3), day(12))):
        dated_lead(salesperson, created=created, closed=closed, reason=LeadStatus.QUALIFIED)
    for created, closed, reason in (
        (day(10), day(11), LeadStatus.LOST),
        (BEFORE, day(7), LeadStatus.CANNOT_CONTACT),
    ):
        dated_lead(salesperson, created=created, closed=closed, reason=reason)
    dated_lead(salesperson, created=day(2))  # still open
    dated_lead(other_salesperson, created=day(2), closed=day(20), reason=LeadStatus.LOST)

    with django_assert_num_queries(1):
        decisions = selectors.insights_decisions(scope=only(salesperson))

    assert decisions == Decisions(
        qualified=3,
        disqualified=2,
        median_days_to_qualify=4.0,  # of 2, 4 and 9
        median_days_to_disqualify=3.5,  # of 1 and 6: the mean of the middle two
    )
    assert decisions.decided == 5
    assert decisions.rate == pytest.approx(0.6)
    # Everyone's: Olga's lead took 18 days, and the middle of 1, 6 and 18 is 6.
    assert selectors.insights_decisions(scope=everyone()).median_days_to_disqualify == 6.0


def test_the_median_of_equal_days(salesperson: User) -> None:
    for days in (3, 3, 8, 3):  # the middle two are both 3
        dated_lead(salesperson, created=day(1), closed=day(1 + days), reason=LeadStatus.QUALIFIED)
    for days in (4, 1, 4):
        dated_lead(salesperson, created=day(1), closed=day(1 + days), reason=LeadStatus.LOST)

    decisions = selectors.insights_decisions(scope=everyone(DayRange(day(1), day(31))))

    assert (decisions.median_days_to_qualify, decisions.median_days_to_disqualify) == (3.0, 4.0)


def test_the_median_keeps_the_fraction_of_a_day(salesperson: User) -> None:
    dated_lead(
        salesperson,
        created=datetime(2026, 3, 2, 9, 0, tzinfo=UTC),
        closed=datetime(2026, 3, 3, 21, 0, tzinfo=UTC),
        reason=LeadStatus.QUALIFIED,
    )

    decisions = selectors.insights_decisions(scope=everyone())

    assert decisions.median_days_to_qualify == pytest.approx(1.5)
    assert decisions.median_days_to_disqualify is None


def test_a_period_without_decisions_has_no_rate_and_no_median(salesperson: User) -> None:
    dated_lead(salesperson, created=day(2))

    decisions = selectors.insights_decisions(scope=everyone())

    assert decisions == Decisions(0, 0, None, None)
    assert decisions.rate is None


# Disqualify reasons --------------------------------------------------------------------------


def test_it_counts_the_disqualify_reasons_of_the_period(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    for reason, count in ((LeadStatus.LOST, 3), (LeadStatus.NO_LONGER_INTERESTED, 1)):
        for _ in range(count):
            dated_lead(salesperson, created=BEFORE, closed=day(5), reason=reason)
    dated_lead(salesperson, created=BEFORE, closed=AFTER, reason=LeadStatus.CANCELED)
    dated_lead(salesperson, created=BEFORE, closed=day(5), reason=LeadStatus.QUALIFIED)
    dated_lead(other_salesperson, created=BEFORE, closed=day(5), reason=LeadStatus.CANCELED)

    with django_assert_num_queries(1):
        reasons = selectors.insights_disqualify_reasons(scope=only(salesperson))

    assert reasons == [
        ReasonCount(LeadStatus.LOST, 3),
        ReasonCount(LeadStatus.CANNOT_CONTACT, 0),
        ReasonCount(LeadStatus.NO_LONGER_INTERESTED, 1),
        ReasonCount(LeadStatus.CANCELED, 0),
    ]
    assert selectors.insights_disqualify_reasons(scope=everyone())[3].count == 1


def test_the_reasons_list_the_leads_merge_leads_disqualified_as_duplicates(
    salesperson: User, django_assert_num_queries
) -> None:
    today = timezone.localdate()
    this_week = DayRange(today - timedelta(days=today.weekday()), today)
    before = this_week.start - timedelta(days=3)
    master = dated_lead(salesperson, created=before, last_name="Kept")
    merged = [dated_lead(salesperson, created=before, last_name="Twin") for _ in range(2)]
    dated_lead(salesperson, created=before, closed=today, reason=LeadStatus.LOST)
    assert selectors.insights_disqualify_reasons(scope=only(salesperson, this_week)) == [
        ReasonCount(LeadStatus.LOST, 1),
        ReasonCount(LeadStatus.CANNOT_CONTACT, 0),
        ReasonCount(LeadStatus.NO_LONGER_INTERESTED, 0),
        ReasonCount(LeadStatus.CANCELED, 0),
    ]

    leads_merge(
        master_id=master.pk,
        other_ids=[lead.pk for lead in merged],
        field_sources={},
        outcome=MergeOutcome.DISQUALIFY,
        acting_user=salesperson,
    )

    with django_assert_num_queries(1):
        reasons = selectors.insights_disqualify_reasons(scope=only(salesperson, this_week))

    assert reasons == [
        ReasonCount(LeadStatus.LOST, 1),
        ReasonCount(LeadStatus.CANNOT_CONTACT, 0),
        ReasonCount(LeadStatus.NO_LONGER_INTERESTED, 0),
        ReasonCount(LeadStatus.CANCELED, 0),
        ReasonCount(LeadStatus.DUPLICATE, 2),
    ]
    # They are disqualified leads like the others: the decisions count them too.
    assert selectors.insights_decisions(scope=only(salesperson, this_week)).disqualified == 3


# Lead sources --------------------------------------------------------------------------------


def test_it_counts_the_leads_of_each_source_and_what_became_of_them(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    web, seminar = LeadSource.WEB, LeadSource.SEMINAR
    for reason in (
        LeadStatus.QUALIFIED,
        LeadStatus.QUALIFIED,
        LeadStatus.QUALIFIED,
        LeadStatus.LOST,
        LeadStatus.NEW,
    ):
        closed = None if reason == LeadStatus.NEW else AFTER  # decided later still counts
        dated_lead(salesperson, created=day(3), closed=closed, reason=reason, source=web)
    dated_lead(salesperson, created=day(9), closed=day(10), reason=LeadStatus.LOST, source=seminar)
    dated_lead(salesperson, created=day(9), source="")
    dated_lead(salesperson, created=day(9), source="")
    dated_lead(
        salesperson, created=BEFORE, closed=day(3), reason=LeadStatus.QUALIFIED, source=seminar
    )
    dated_lead(other_salesperson, created=day(9), source=seminar)

    with django_assert_num_queries(1):
        sources = selectors.insights_lead_sources(scope=only(salesperson))

    assert sources == [
        SourceCounts(web, created=5, qualified=3, disqualified=1),
        SourceCounts("", created=2, qualified=0, disqualified=0),
        SourceCounts(seminar, created=1, qualified=0, disqualified=1),
    ]
    assert [(row.open, row.rate) for row in sources] == [(1, 0.75), (2, None), (0, 0.0)]
    assert [row.created for row in selectors.insights_lead_sources(scope=everyone())] == [5, 2, 2]


# Created versus linked, duplicates -----------------------------------------------------------


def test_it_counts_the_accounts_and_contacts_created_and_linked(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    for account, contact in (
        ("created", "created"),
        ("linked", "created"),
        ("linked", "linked"),
        ("created", "none"),
        ("none", "linked"),
    ):
        lead = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
        dated_qualification(lead, on=day(6), account=account, contact=contact)
    late = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(late, on=AFTER, account="linked")
    theirs = dated_lead(other_salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(theirs, on=day(6), account="linked")

    with django_assert_num_queries(1):
        use = selectors.insights_records_linked(scope=only(salesperson))

    assert use == RecordUse(
        qualifications=5,
        accounts_created=2,
        accounts_linked=2,
        contacts_created=2,
        contacts_linked=2,
        linked_any=3,
    )
    assert use.linked_share == pytest.approx(0.6)
    assert selectors.insights_records_linked(scope=everyone()).accounts_linked == 3


def test_a_deleted_leads_qualification_leaves_the_figures(salesperson: User) -> None:
    lead = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(lead, on=day(6))
    lead.delete()

    assert selectors.insights_records_linked(scope=everyone()).qualifications == 0


def test_it_counts_the_duplicate_decisions(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    linked, anyway = "linked", "created_anyway"
    for account_duplicates, contact_duplicates in (
        (linked, ""),
        (linked, linked),
        (anyway, linked),
        ("", anyway),
        ("", ""),
    ):
        lead = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
        dated_qualification(
            lead,
            on=day(15),
            account_duplicates=account_duplicates,
            contact_duplicates=contact_duplicates,
        )
    theirs = dated_lead(other_salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(theirs, on=day(15), account_duplicates=linked)

    with django_assert_num_queries(1):
        decisions = selectors.insights_duplicate_decisions(scope=only(salesperson))

    assert decisions == DuplicateDecisions(
        accounts_linked=2, accounts_created_anyway=1, contacts_linked=2, contacts_created_anyway=1
    )
    assert (decisions.stopped, decisions.created_anyway) == (4, 2)
    assert selectors.insights_duplicate_decisions(scope=everyone()).stopped == 5


# Opportunities from leads --------------------------------------------------------------------


def test_it_sums_the_opportunities_created_from_leads_by_stage(
    salesperson: User, other_salesperson: User, django_assert_num_queries
) -> None:
    open_, won, lost = OpportunityState.OPEN, OpportunityState.WON, OpportunityState.LOST
    lead = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(
        lead,
        on=day(4),
        opportunities=[
            {"stage": SalesStage.DEVELOP, "estimated_revenue": Decimal("1000.50")},
            {"stage": SalesStage.DEVELOP, "budget_amount": Decimal("200")},  # no revenue
            {"stage": SalesStage.CLOSE, "estimated_revenue": Decimal("5000")},
        ],
    )
    other = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(
        other,
        on=day(20),
        opportunities=[
            {"stage": SalesStage.CLOSE, "state": won, "estimated_revenue": Decimal("700")},
            {"stage": SalesStage.PROPOSE, "state": lost, "estimated_revenue": Decimal("90")},
            {"stage": SalesStage.PROPOSE, "state": open_},  # no value at all
        ],
    )
    late = dated_lead(salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(late, on=AFTER, opportunities=[{"estimated_revenue": Decimal("1")}])
    theirs = dated_lead(other_salesperson, created=BEFORE, reason=LeadStatus.QUALIFIED)
    dated_qualification(theirs, on=day(4), opportunities=[{"estimated_revenue": Decimal("9")}])

    with django_assert_num_queries(1):
        stages = selectors.insights_pipeline(scope=only(salesperson))

    assert stages == [
        StageValue(SalesStage.DEVELOP, 2, Decimal("1200.50")),
        StageValue(SalesStage.PROPOSE, 1, Decimal("0")),
        StageValue(SalesStage.CLOSE, 1, Decimal("5000.00")),
        StageValue(won, 1, Decimal("700.00")),
        StageValue(lost, 1, Decimal("90.00")),
    ]
    assert selectors.insights_pipeline(scope=everyone())[0].count == 3
