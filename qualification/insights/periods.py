"""The period picker: this week, this month, this quarter (each up to today) or custom days."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db import models
from django.utils.dateformat import format as date_format

# A custom period may cover at most this many days: a year of weekly bars still reads.
MAX_CUSTOM_DAYS = 366


class Period(models.TextChoices):
    THIS_WEEK = "this_week", "This week"
    THIS_MONTH = "this_month", "This month"
    THIS_QUARTER = "this_quarter", "This quarter"
    CUSTOM = "custom", "Custom dates"


DEFAULT_PERIOD = Period.THIS_MONTH


@dataclass(frozen=True)
class DayRange:
    """The days a period covers, both included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def weeks(self) -> list[DayRange]:
        """The period cut at each Monday: the first and last weeks may be partial."""
        weeks = []
        monday = self.start - timedelta(days=self.start.weekday())
        while monday <= self.end:
            weeks.append(DayRange(max(monday, self.start), min(monday + timedelta(6), self.end)))
            monday += timedelta(7)
        return weeks


def period_days(period: str, *, today: date) -> DayRange:
    """A preset period, from its first day up to today."""
    if period == Period.THIS_WEEK:
        return DayRange(today - timedelta(days=today.weekday()), today)
    if period == Period.THIS_QUARTER:
        first_month = 3 * ((today.month - 1) // 3) + 1
        return DayRange(today.replace(month=first_month, day=1), today)
    return DayRange(today.replace(day=1), today)


def format_day_range(days: DayRange) -> str:
    """`Apr 1 to Jun 14, 2026`; the year once when both days share it."""
    end = date_format(days.end, "M j, Y")
    if days.start == days.end:
        return end
    start = date_format(days.start, "M j" if days.start.year == days.end.year else "M j, Y")
    return f"{start} to {end}"
