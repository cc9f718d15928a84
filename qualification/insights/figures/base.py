"""What every Insights figure is made of: headline facts, a chart, a table that says the same
as the chart (for screen readers, and for anyone who picks "Show as table"), and links to the
lead grid listing the leads behind each number."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.dateformat import format as date_format
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString

from leads.filters import date_range_value, filter_text
from leads.selectors import LeadView
from qualification.insights.charts import Chart, Datum
from qualification.insights.selectors import InsightsScope


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    label: str = ""  # the link's name, when the number alone does not say what it counts

    @property
    def html(self) -> SafeString:
        """The cell's content: its text, as a link to the grid when it has one. Written here
        rather than by the template: a year of weeks is a hundred cells."""
        if not self.url:
            return conditional_escape(self.text)
        if self.label:
            return format_html(
                '<a href="{}" aria-label="{}">{}</a>', self.url, self.label, self.text
            )
        return format_html('<a href="{}">{}</a>', self.url, self.text)


def datum_cell(datum: Datum, row: str) -> Cell:
    """A table cell with a chart datum's number and link, its link named like the bar's
    tooltip: "Week of Mar 2 to Mar 8, 2026: 12 created"."""
    return Cell(f"{datum.value:,}", datum.url, f"{row}: {datum.text}" if datum.url else "")


@dataclass(frozen=True)
class Table:
    caption: str
    columns: list[str]  # the first one heads the row headers
    rows: list[list[Cell]]


@dataclass(frozen=True)
class Fact:
    """A headline number: "Qualification rate 62%", with what it is made of."""

    label: str
    value: str
    note: str = ""
    url: str = ""


@dataclass(frozen=True)
class Figure:
    id: str  # the element ids start with it
    title: str
    intro: str  # what the figure counts, in a sentence
    facts: list[Fact] = field(default_factory=list)
    chart: Chart | None = None
    table: Table | None = None
    empty: str = ""  # shown instead of chart and table: there is nothing to count


NO_FIGURE = "n/a"  # a rate or median of nothing


def percent(share: float | None) -> str:
    return NO_FIGURE if share is None else f"{share:.0%}"


def days_text(days: float | None) -> str:
    return NO_FIGURE if days is None else f"{days:.1f}"


def plural(count: int, word: str, words: str = "") -> str:
    """`1 lead`, `2 leads`; `words` for another plural (opportunity, opportunities)."""
    return f"{count:,} {word if count == 1 else words or word + 's'}"


def day_label(day: date) -> str:
    return date_format(day, "M j")


class GridLinks:
    """The lead grid (All Leads) with the filter words that list a figure's leads, always
    limited to the scope's owner."""

    def __init__(self, scope: InsightsScope) -> None:
        self.scope = scope
        self.owner = [] if scope.owner_id is None else [("owner", str(scope.owner_id))]
        self.grid = reverse("leads:lead-list")

    def leads(self, *words: tuple[str, str]) -> str:
        query = filter_text([*self.owner, *words])
        return f"{self.grid}?{urlencode({'view': LeadView.ALL, 'q': query})}"

    def days(self, start: date | None = None, end: date | None = None) -> str:
        return date_range_value(start or self.scope.days.start, end or self.scope.days.end)

    def count(self, count: int, *words: tuple[str, str]) -> str:
        """The grid's URL for a number, or "" for zero (an empty list helps nobody)."""
        return self.leads(*words) if count else ""
