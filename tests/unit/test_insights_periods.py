"""The period picker's presets and the weeks a period is cut into."""

from __future__ import annotations

from datetime import date

import pytest

from qualification.insights.periods import DayRange, Period, format_day_range, period_days

WEDNESDAY = date(2026, 5, 13)


@pytest.mark.parametrize(
    ("period", "today", "expected"),
    [
        (Period.THIS_WEEK, WEDNESDAY, DayRange(date(2026, 5, 11), WEDNESDAY)),
        (Period.THIS_WEEK, date(2026, 5, 11), DayRange(date(2026, 5, 11), date(2026, 5, 11))),
        (Period.THIS_MONTH, WEDNESDAY, DayRange(date(2026, 5, 1), WEDNESDAY)),
        (Period.THIS_QUARTER, WEDNESDAY, DayRange(date(2026, 4, 1), WEDNESDAY)),
        (Period.THIS_QUARTER, date(2026, 12, 31), DayRange(date(2026, 10, 1), date(2026, 12, 31))),
        (Period.THIS_QUARTER, date(2026, 1, 1), DayRange(date(2026, 1, 1), date(2026, 1, 1))),
    ],
)
def test_a_preset_runs_from_its_first_day_to_today(
    period: str, today: date, expected: DayRange
) -> None:
    assert period_days(period, today=today) == expected


def test_a_period_is_cut_into_weeks_at_each_monday() -> None:
    days = DayRange(date(2026, 4, 29), date(2026, 5, 12))  # Wednesday to the Tuesday after next

    assert days.weeks() == [
        DayRange(date(2026, 4, 29), date(2026, 5, 3)),
        DayRange(date(2026, 5, 4), date(2026, 5, 10)),
        DayRange(date(2026, 5, 11), date(2026, 5, 12)),
    ]
    assert days.days == 14


def test_it_writes_a_period_as_people_read_it() -> None:
    assert (
        format_day_range(DayRange(date(2026, 4, 1), date(2026, 6, 14))) == "Apr 1 to Jun 14, 2026"
    )
    assert format_day_range(DayRange(date(2025, 12, 29), date(2026, 1, 4))) == (
        "Dec 29, 2025 to Jan 4, 2026"
    )
    assert format_day_range(DayRange(WEDNESDAY, WEDNESDAY)) == "May 13, 2026"
