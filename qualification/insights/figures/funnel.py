"""The lead figures: leads per week, decisions (rate and time), disqualify reasons, sources."""

from __future__ import annotations

from leads.filters import CLOSED, NO_SOURCE
from leads.models import LeadSource, LeadState, LeadStatus
from qualification.insights.charts import (
    WIDE,
    Bar,
    Column,
    Datum,
    Series,
    bar_chart,
    column_chart,
)
from qualification.insights.figures.base import (
    Cell,
    Fact,
    Figure,
    GridLinks,
    Table,
    datum_cell,
    day_label,
    days_text,
    percent,
    plural,
)
from qualification.insights.periods import format_day_range
from qualification.insights.selectors import (
    InsightsScope,
    insights_decisions,
    insights_disqualify_reasons,
    insights_lead_sources,
    insights_leads_per_week,
)

CREATED = Series("created", "Created")
QUALIFIED = Series("qualified", "Qualified")
DISQUALIFIED = Series("disqualified", "Disqualified")
STILL_OPEN = Series("open", "Still open")
REASON = Series("reason", "Disqualified")


def weekly_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    weeks = insights_leads_per_week(scope=scope)
    columns, rows = [], []
    for week in weeks:
        days = links.days(week.days.start, week.days.end)
        span = format_day_range(week.days)
        title = f"Week of {span}"
        created = Datum(
            CREATED,
            week.created,
            f"{week.created:,} created",
            links.count(week.created, ("created", days)),
        )
        qualified = Datum(
            QUALIFIED,
            week.qualified,
            f"{week.qualified:,} qualified",
            links.count(week.qualified, ("status", LeadState.QUALIFIED), ("closed", days)),
        )
        disqualified = Datum(
            DISQUALIFIED,
            week.disqualified,
            f"{week.disqualified:,} disqualified",
            links.count(week.disqualified, ("status", LeadState.DISQUALIFIED), ("closed", days)),
        )
        columns.append(
            Column(day_label(week.days.start), title, [[created], [qualified, disqualified]])
        )
        data = (created, qualified, disqualified)
        rows.append([Cell(span), *(datum_cell(d, title) for d in data)])
    created = sum(week.created for week in weeks)
    qualified = sum(week.qualified for week in weeks)
    disqualified = sum(week.disqualified for week in weeks)
    period = format_day_range(scope.days)
    desc = (
        f"{plural(len(weeks), 'week')}, {period}: {created:,} leads created, {qualified:,} "
        f"qualified and {disqualified:,} disqualified."
    )
    if created:
        busiest = max(weeks, key=lambda week: week.created)
        desc += (
            f" Most leads created in the week of {format_day_range(busiest.days)}"
            f" ({busiest.created:,})."
        )
    return Figure(
        id="weekly",
        title="Leads per week",
        intro=(
            "Leads created each week, beside the leads qualified and disqualified that week "
            "(stacked)."
        ),
        chart=column_chart(
            id="weekly-chart",
            title="Leads created, qualified and disqualified per week",
            desc=desc,
            columns=columns,
            legend=[CREATED, QUALIFIED, DISQUALIFIED],
            width=WIDE,
        ),
        table=Table(
            caption="Leads per week",
            columns=["Week", "Created", "Qualified", "Disqualified"],
            rows=rows,
        ),
        empty=""
        if created or qualified or disqualified
        else "No lead was created, qualified or disqualified in this period.",
    )


def decisions_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    decisions = insights_decisions(scope=scope)
    days = ("closed", links.days())
    qualified = links.count(decisions.qualified, ("status", LeadState.QUALIFIED), days)
    disqualified = links.count(decisions.disqualified, ("status", LeadState.DISQUALIFIED), days)
    decided = links.count(decisions.decided, ("status", CLOSED), days)
    return Figure(
        id="decisions",
        title="Qualification rate and time to decision",
        intro="Of the leads qualified or disqualified in this period.",
        facts=[
            Fact(
                "Qualification rate",
                percent(decisions.rate),
                f"{decisions.qualified:,} qualified of {decisions.decided:,} decided",
                qualified,
            ),
            Fact("Leads decided", f"{decisions.decided:,}", "qualified or disqualified", decided),
            Fact(
                "Median days to qualify",
                days_text(decisions.median_days_to_qualify),
                f"from created to qualified ({plural(decisions.qualified, 'lead')})",
                qualified,
            ),
            Fact(
                "Median days to disqualify",
                days_text(decisions.median_days_to_disqualify),
                f"from created to disqualified ({plural(decisions.disqualified, 'lead')})",
                disqualified,
            ),
        ],
    )


def reasons_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    reasons = insights_disqualify_reasons(scope=scope)
    total = sum(row.count for row in reasons)
    days = ("closed", links.days())
    bars, rows = [], []
    for row in reasons:
        label = LeadStatus(row.reason).label
        share = percent(row.count / total if total else None)
        datum = Datum(
            REASON,
            row.count,
            plural(row.count, "lead"),
            links.count(row.count, ("status", row.reason), days),
        )
        bars.append(Bar(label, [datum], f"{row.count:,} · {share}"))
        rows.append([Cell(label), datum_cell(datum, label), Cell(share)])
    spoken = ", ".join(f"{LeadStatus(row.reason).label} {row.count:,}" for row in reasons)
    return Figure(
        id="reasons",
        title="Disqualify reasons",
        intro="The status reasons of the leads disqualified in this period.",
        chart=bar_chart(
            id="reasons-chart",
            title="Leads disqualified per status reason",
            desc=f"{plural(total, 'lead')} disqualified, {format_day_range(scope.days)}: {spoken}.",
            bars=bars,
            legend=[],
        ),
        table=Table(
            caption="Disqualify reasons", columns=["Status Reason", "Leads", "Share"], rows=rows
        ),
        empty="" if total else "No lead was disqualified in this period.",
    )


def sources_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    sources = insights_lead_sources(scope=scope)
    days = ("created", links.days())
    bars, rows, spoken = [], [], []
    for row in sources:
        label = LeadSource(row.source).label if row.source else "(none)"
        source = ("source", row.source or NO_SOURCE)
        rate = percent(row.rate)
        created = Datum(
            CREATED, row.created, f"{row.created:,} created", links.count(row.created, source, days)
        )
        parts = [
            Datum(
                series,
                count,
                f"{count:,} {series.label.lower()}",
                links.count(count, source, days, ("status", state)),
            )
            for series, count, state in (
                (QUALIFIED, row.qualified, LeadState.QUALIFIED),
                (DISQUALIFIED, row.disqualified, LeadState.DISQUALIFIED),
                (STILL_OPEN, row.open, LeadState.OPEN),
            )
        ]
        bars.append(Bar(label, parts, f"{row.created:,} · {rate} qualified"))
        cells = [datum_cell(datum, label) for datum in (created, *parts)]
        rows.append([Cell(label), *cells, Cell(rate)])
        spoken.append(f"{label} {row.created:,} ({rate} qualified)")
    return Figure(
        id="sources",
        title="Lead sources",
        intro=(
            "The leads created in this period by lead source, and what became of them. "
            "Qualification rate: qualified of those decided (qualified or disqualified)."
        ),
        chart=bar_chart(
            id="sources-chart",
            title="Leads created per lead source, by what became of them",
            desc=f"Leads created, {format_day_range(scope.days)}: {', '.join(spoken) or 'none'}.",
            bars=bars,
            legend=[QUALIFIED, DISQUALIFIED, STILL_OPEN],
        ),
        table=Table(
            caption="Lead sources",
            columns=[
                "Lead Source",
                "Created",
                "Qualified",
                "Disqualified",
                "Still open",
                "Qualification rate",
            ],
            rows=rows,
        ),
        empty="" if sources else "No lead was created in this period.",
    )
