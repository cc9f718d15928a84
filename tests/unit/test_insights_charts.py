"""Chart geometry: value axis steps, columns and stacked bars in proportion to their values."""

from __future__ import annotations

import pytest

from qualification.insights import charts
from qualification.insights.charts import Bar, Column, Datum, Series

A = Series("created", "Created")
B = Series("qualified", "Qualified")


@pytest.mark.parametrize(
    ("top", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (17, [0, 5, 10, 15, 20]),
        (40, [0, 10, 20, 30, 40]),
        (1234, [0, 500, 1000, 1500]),
    ],
)
def test_the_value_axis_has_round_steps_up_to_the_largest_value(top: int, ticks: list[int]) -> None:
    assert charts.nice_ticks(top) == ticks


def test_columns_stand_on_the_axis_in_proportion_to_their_values() -> None:
    chart = charts.column_chart(
        id="c",
        title="T",
        desc="D",
        columns=[
            Column("Mar 2", "Week 1", [[Datum(A, 4, "4 created", "/a")], [Datum(B, 2, "2 q")]]),
            Column("Mar 9", "Week 2", [[Datum(A, 0, "0 created")], [Datum(B, 1, "1 q", "/b")]]),
        ],
        legend=[A, B],
    )

    bottom = charts.COLUMN_HEIGHT - charts.COLUMN_PLOT["bottom"]
    created, qualified, second = chart.rects  # the zero is not drawn
    assert created.height == pytest.approx(2 * qualified.height, abs=0.1)
    assert created.y + created.height == pytest.approx(bottom, abs=0.1)
    assert created.x < qualified.x < second.x  # side by side, week by week
    assert (created.title, created.url) == ("Week 1: 4 created", "/a")
    assert (second.series, second.url) == ("qualified", "/b")
    assert [text.text for text in chart.texts if text.css == "category"] == ["Mar 2", "Mar 9"]
    assert [text.text for text in chart.texts if text.css == "tick"] == ["0", "1", "2", "3", "4"]


def test_stacked_parts_sit_on_top_of_each_other() -> None:
    chart = charts.column_chart(
        id="c",
        title="T",
        desc="D",
        columns=[Column("x", "x", [[Datum(A, 3, "3"), Datum(B, 1, "1")]])],
        legend=[A, B],
    )

    lower, upper = chart.rects
    assert upper.y + upper.height == pytest.approx(lower.y, abs=0.1)
    assert lower.x == upper.x


def test_a_long_period_labels_every_few_weeks() -> None:
    columns = [Column(f"W{n}", f"W{n}", [[Datum(A, n, str(n))]]) for n in range(1, 31)]

    chart = charts.column_chart(id="c", title="T", desc="D", columns=columns, legend=[A])

    labels = [text.text for text in chart.texts if text.css == "category"]
    assert labels == [f"W{n}" for n in range(1, 31, 3)]


def test_bars_are_as_long_as_their_totals_or_full_width_as_shares() -> None:
    bars = [
        Bar("Web", [Datum(A, 6, "6"), Datum(B, 2, "2")], "8 leads"),
        Bar("Seminar", [Datum(A, 2, "2")], "2 leads"),
    ]

    absolute = charts.bar_chart(id="b", title="T", desc="D", bars=bars, legend=[A, B])
    shares = charts.bar_chart(id="b", title="T", desc="D", bars=bars, legend=[A, B], shares=True)

    full = charts.WIDTH - charts.BAR_NOTE_WIDTH - charts.BAR_LABEL_WIDTH
    web_a, web_b, seminar = absolute.rects
    assert web_a.width + web_b.width == pytest.approx(full, abs=0.2)
    assert seminar.width == pytest.approx(full / 4, abs=0.2)
    assert web_b.x == pytest.approx(web_a.x + web_a.width, abs=0.1)
    assert shares.rects[2].width == pytest.approx(full, abs=0.2)
    assert [(t.text, t.anchor) for t in absolute.texts] == [
        ("Web", "end"),
        ("8 leads", "start"),
        ("Seminar", "end"),
        ("2 leads", "start"),
    ]
    assert absolute.height == 2 * charts.BAR_PAD + 2 * charts.BAR_ROW


def test_a_chart_of_zeros_is_empty() -> None:
    chart = charts.bar_chart(
        id="b", title="T", desc="D", bars=[Bar("Web", [Datum(A, 0, "0")])], legend=[]
    )

    assert chart.empty
