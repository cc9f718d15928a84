"""Chart geometry for the Insights page: where each bar, label and grid line of an SVG chart
goes. The template draws what these return with presentation attributes and CSS classes (the
colours are in static/css/insights.css), so the charts need no script and no inline style.

Two kinds: columns per category with one or more stacks each (leads per week: created beside
qualified + disqualified), and horizontal bars, stacked, optionally as shares of 100%.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

Number = int | float | Decimal

# Coordinates are in the SVG's own units; the SVG scales to the width of its card, so a chart
# meant for a full-width card is wider (its text stays the size of the others').
WIDTH = 720
WIDE = 1280
COLUMN_HEIGHT = 260
COLUMN_PLOT = {"left": 44, "right": 8, "top": 12, "bottom": 36}
MAX_CATEGORY_LABELS = 10
STACK_GAP = 2
MAX_STACK_WIDTH = 36
BAR_ROW = 30
BAR_THICKNESS = 18
BAR_LABEL_WIDTH = 160
BAR_NOTE_WIDTH = 180
BAR_PAD = 6


@dataclass(frozen=True)
class Series:
    key: str  # the bar's CSS class: series-<key>
    label: str


@dataclass(frozen=True)
class Datum:
    series: Series
    value: Number
    text: str  # how the value reads: "12 created", "$12,500.00"
    url: str = ""  # the lead grid with the leads behind it


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    width: float
    height: float
    series: str
    title: str  # the tooltip: "Week of Apr 6 to Apr 12, 2026: 12 created"
    url: str

    def svg(self) -> SafeString:
        """The bar with its tooltip, linked to its leads when it has a link. The numbers go in
        as str() (never formatted for a language: no "12,5"), the texts escaped."""
        bar = (
            f'<rect class="bar series-{{}}" x="{self.x}" y="{self.y}" width="{self.width}" '
            f'height="{self.height}"><title>{{}}</title></rect>'
        )
        if self.url:
            return format_html(
                f'<a href="{{}}" tabindex="-1">{bar}</a>', self.url, self.series, self.title
            )
        return format_html(bar, self.series, self.title)


@dataclass(frozen=True)
class Text:
    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor: start, middle, end
    css: str = "label"

    def svg(self) -> SafeString:
        return format_html(
            f'<text class="{{}}" x="{self.x}" y="{self.y}" text-anchor="{{}}">{{}}</text>',
            self.css,
            self.anchor,
            self.text,
        )


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    css: str = "gridline"

    def svg(self) -> SafeString:
        return format_html(
            f'<line class="{{}}" x1="{self.x1}" y1="{self.y1}" x2="{self.x2}" y2="{self.y2}"/>',
            self.css,
        )


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    desc: str  # the long description a screen reader reads (SVG <desc>)
    width: int
    height: int
    legend: list[Series]
    rects: list[Rect] = field(default_factory=list)
    texts: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.rects

    # The SVG elements, written here rather than by the template: a year of weekly bars is some
    # hundreds of elements, each a dozen template lookups.

    @property
    def lines_svg(self) -> SafeString:
        return _svg(self.lines)

    @property
    def rects_svg(self) -> SafeString:
        return _svg(self.rects)

    @property
    def texts_svg(self) -> SafeString:
        return _svg(self.texts)


def _svg(marks: Sequence[Rect | Text | Line]) -> SafeString:
    return format_html_join("", "{}", ((mark.svg(),) for mark in marks))


@dataclass(frozen=True)
class Column:
    """One category of a column chart: its label and its stacks, drawn side by side."""

    label: str  # under the columns
    title: str  # in each tooltip: "Week of Apr 6 to Apr 12, 2026"
    stacks: list[list[Datum]]


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: its label, its stacked parts and a note after the bar."""

    label: str
    parts: list[Datum]
    note: str = ""


def nice_ticks(top: Number, count: int = 4) -> list[int]:
    """Round steps from 0 up to `top` or just past it (1, 2 or 5 times a power of ten), about
    `count` of them: 0, 5, 10, 15, 20 for 17. Whole numbers: the charts count leads."""
    if top <= 0:
        return [0, 1]
    raw = float(top) / count
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(factor * magnitude for factor in (1, 2, 5, 10) if factor * magnitude >= raw)
    step = max(1, round(step))
    return [index * step for index in range(math.ceil(float(top) / step) + 1)]


def _round(value: float) -> float:
    return round(value, 1)


def column_chart(
    *,
    id: str,
    title: str,
    desc: str,
    columns: Sequence[Column],
    legend: list[Series],
    width: int = WIDTH,
) -> Chart:
    """Columns per category, each stack's parts on top of each other, with a value axis."""
    left, right = COLUMN_PLOT["left"], width - COLUMN_PLOT["right"]
    top, bottom = COLUMN_PLOT["top"], COLUMN_HEIGHT - COLUMN_PLOT["bottom"]
    totals = [sum(datum.value for datum in stack) for column in columns for stack in column.stacks]
    ticks = nice_ticks(max(totals, default=0))
    scale = (bottom - top) / ticks[-1]
    lines, texts, rects = [], [], []
    for tick in ticks:
        y = _round(bottom - tick * scale)
        lines.append(Line(left, y, right, y, "axis" if tick == 0 else "gridline"))
        texts.append(Text(left - 6, y + 4, f"{tick:,}", "end", "tick"))
    slot = (right - left) / max(len(columns), 1)
    every = math.ceil(len(columns) / MAX_CATEGORY_LABELS)
    for index, column in enumerate(columns):
        stacks = len(column.stacks)
        stack_width = min((slot * 0.75 - STACK_GAP * (stacks - 1)) / stacks, MAX_STACK_WIDTH)
        group = stack_width * stacks + STACK_GAP * (stacks - 1)
        x = left + slot * index + (slot - group) / 2
        for stack in column.stacks:
            y = bottom
            for datum in stack:
                height = float(datum.value) * scale
                if height > 0:
                    y -= height
                    rects.append(
                        Rect(
                            _round(x),
                            _round(y),
                            _round(stack_width),
                            _round(height),
                            datum.series.key,
                            f"{column.title}: {datum.text}",
                            datum.url,
                        )
                    )
            x += stack_width + STACK_GAP
        if index % every == 0:
            center = _round(left + slot * index + slot / 2)
            texts.append(Text(center, bottom + 18, column.label, "middle", "category"))
    return Chart(
        id=id,
        title=title,
        desc=desc,
        width=width,
        height=COLUMN_HEIGHT,
        legend=legend,
        rects=rects,
        texts=texts,
        lines=lines,
    )


def bar_chart(
    *,
    id: str,
    title: str,
    desc: str,
    bars: Sequence[Bar],
    legend: list[Series],
    shares: bool = False,
) -> Chart:
    """A horizontal bar per row, its parts stacked; with `shares` every bar is 100% wide and
    its parts are shares of its total. The row's label is on the left, its note on the right."""
    left = BAR_LABEL_WIDTH
    right = WIDTH - BAR_NOTE_WIDTH
    totals = [sum(part.value for part in bar.parts) for bar in bars]
    largest = max(totals, default=0)
    texts, rects = [], []
    for index, (bar, total) in enumerate(zip(bars, totals, strict=True)):
        row_top = BAR_PAD + index * BAR_ROW
        y = row_top + (BAR_ROW - BAR_THICKNESS) / 2
        full = total if shares else largest
        scale = (right - left) / float(full) if full else 0
        x = float(left)
        for part in bar.parts:
            width = float(part.value) * scale
            if width > 0:
                rects.append(
                    Rect(
                        _round(x),
                        _round(y),
                        _round(width),
                        BAR_THICKNESS,
                        part.series.key,
                        f"{bar.label}: {part.text}",
                        part.url,
                    )
                )
                x += width
        middle = row_top + BAR_ROW / 2 + 4
        texts.append(Text(left - 8, middle, bar.label, "end", "category"))
        if bar.note:
            texts.append(Text(_round(x) + 6, middle, bar.note, "start", "value"))
    return Chart(
        id=id,
        title=title,
        desc=desc,
        width=WIDTH,
        height=BAR_PAD * 2 + BAR_ROW * max(len(bars), 1),
        legend=legend,
        rects=rects,
        texts=texts,
    )
