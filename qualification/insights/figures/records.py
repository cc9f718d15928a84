"""The qualification figures: created versus linked records, the duplicate decisions, and the
opportunities created from leads."""

from __future__ import annotations

from decimal import Decimal

from crm.models import OpportunityState, SalesStage
from crm.money import format_money
from qualification.insights.charts import Bar, Datum, Series, bar_chart
from qualification.insights.figures.base import (
    Cell,
    Fact,
    Figure,
    GridLinks,
    Table,
    datum_cell,
    percent,
    plural,
)
from qualification.insights.filters import ANY, CREATED, LINKED, LINKED_ANY
from qualification.insights.periods import format_day_range
from qualification.insights.selectors import (
    InsightsScope,
    insights_duplicate_decisions,
    insights_pipeline,
    insights_records_linked,
)
from qualification.models import DuplicateDecision

RECORD_CREATED = Series("created", "Created")
RECORD_LINKED = Series("linked", "Linked an existing one")
RECORD_NONE = Series("none", "None")
USE_EXISTING = Series("qualified", "Use existing")
CREATE_ANYWAY = Series("disqualified", "Create new anyway")
STAGE_SERIES = {
    **{stage: Series(f"stage-{stage}", SalesStage(stage).label) for stage in SalesStage.values},
    OpportunityState.WON: Series("stage-won", "Won"),
    OpportunityState.LOST: Series("stage-lost", "Lost"),
}


def records_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    use = insights_records_linked(scope=scope)
    days = ("qualified", links.days())
    bars, rows, spoken = [], [], []
    for record, label, created, linked in (
        ("account", "Account", use.accounts_created, use.accounts_linked),
        ("contact", "Contact", use.contacts_created, use.contacts_linked),
    ):
        none = use.qualifications - created - linked
        share = percent(linked / use.qualifications if use.qualifications else None)
        parts = [
            Datum(
                RECORD_CREATED,
                created,
                f"{created:,} created",
                links.count(created, days, (record, CREATED)),
            ),
            Datum(
                RECORD_LINKED,
                linked,
                f"{linked:,} linked an existing one",
                links.count(linked, days, (record, LINKED)),
            ),
            Datum(RECORD_NONE, none, f"{none:,} without one"),
        ]
        bars.append(Bar(label, parts, f"{share} linked"))
        rows.append([Cell(label), *(datum_cell(part, label) for part in parts), Cell(share)])
        spoken.append(f"{label}: {created:,} created, {linked:,} linked, {none:,} without one")
    linked_any = links.count(use.linked_any, days, ("linked", LINKED_ANY))
    return Figure(
        id="records",
        title="Created versus linked",
        intro=(
            "What the qualifications of this period did for the account and the contact: "
            "created a new one, or linked one that was already in the CRM."
        ),
        facts=[
            Fact(
                "Linked an existing account or contact",
                percent(use.linked_share),
                f"{use.linked_any:,} of {plural(use.qualifications, 'qualification')}",
                linked_any,
            ),
        ],
        chart=bar_chart(
            id="records-chart",
            title="Accounts and contacts created or linked at qualification",
            desc=(
                f"{plural(use.qualifications, 'qualification')}, {format_day_range(scope.days)}. "
                + ". ".join(spoken)
                + "."
            ),
            bars=bars,
            legend=[RECORD_CREATED, RECORD_LINKED, RECORD_NONE],
            shares=True,
        ),
        table=Table(
            caption="Created versus linked",
            columns=["Record", "Created", "Linked an existing one", "None", "Share linked"],
            rows=rows,
        ),
        empty="" if use.qualifications else "No lead was qualified in this period.",
    )


def duplicates_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    decisions = insights_duplicate_decisions(scope=scope)
    days = ("qualified", links.days())
    bars, rows, spoken = [], [], []
    for record, label, linked, anyway in (
        ("account", "Account", decisions.accounts_linked, decisions.accounts_created_anyway),
        ("contact", "Contact", decisions.contacts_linked, decisions.contacts_created_anyway),
    ):
        word = f"{record}-duplicates"
        parts = [
            Datum(
                USE_EXISTING,
                linked,
                f"{linked:,} used an existing one",
                links.count(linked, days, (word, DuplicateDecision.LINKED)),
            ),
            Datum(
                CREATE_ANYWAY,
                anyway,
                f"{anyway:,} created new anyway",
                links.count(anyway, days, (word, DuplicateDecision.CREATED_ANYWAY)),
            ),
        ]
        bars.append(Bar(label, parts, f"{linked:,} · {anyway:,} anyway"))
        rows.append([Cell(label), *(datum_cell(part, label) for part in parts)])
        spoken.append(f"{label}: {linked:,} used an existing one, {anyway:,} created new anyway")
    warned = decisions.stopped + decisions.created_anyway
    return Figure(
        id="duplicates",
        title="Duplicates stopped",
        intro=(
            "When a new account or contact matched records already in the CRM: the existing one "
            "was used (the duplicate dialog's “Use existing”, or bulk qualify's single clear "
            "match), or a new one was created anyway."
        ),
        facts=[
            Fact(
                "Duplicates stopped",
                f"{decisions.stopped:,}",
                f"of {plural(warned, 'duplicate warning')}",
            ),
            Fact("Created new anyway", f"{decisions.created_anyway:,}"),
        ],
        chart=bar_chart(
            id="duplicates-chart",
            title="Duplicate warnings answered with use existing or create new anyway",
            desc=(
                f"{plural(warned, 'duplicate warning')}, {format_day_range(scope.days)}: "
                f"{decisions.stopped:,} duplicates stopped. " + ". ".join(spoken) + "."
            ),
            bars=bars,
            legend=[USE_EXISTING, CREATE_ANYWAY],
        ),
        table=Table(
            caption="Duplicate decisions",
            columns=["Record", "Use existing (stopped)", "Create new anyway"],
            rows=rows,
        ),
        empty=""
        if warned
        else "No qualification of this period matched an existing account or contact.",
    )


def pipeline_figure(scope: InsightsScope, links: GridLinks) -> Figure:
    stages = insights_pipeline(scope=scope)
    days = ("qualified", links.days())
    bars, rows, spoken = [], [], []
    for row in stages:
        series = STAGE_SERIES[row.bucket]
        url = links.count(row.count, days, ("opportunity", row.bucket))
        value = format_money(row.value)
        text = plural(row.count, "opportunity", "opportunities")
        bars.append(
            Bar(
                series.label,
                [Datum(series, row.value, f"{text}, {value}", url)],
                f"{row.count:,} · {value}",
            )
        )
        label = f"{series.label}: {text}" if url else ""
        rows.append([Cell(series.label), Cell(f"{row.count:,}", url, label), Cell(value)])
        spoken.append(f"{series.label} {row.count:,} ({value})")
    count = sum(row.count for row in stages)
    open_value = sum((row.value for row in stages if row.bucket in SalesStage.values), Decimal(0))
    all_url = links.count(count, days, ("opportunity", ANY))
    return Figure(
        id="pipeline",
        title="Opportunities from leads",
        intro=(
            "The opportunities the qualifications of this period created, where they stand now. "
            "Value: Est. Revenue, or the Budget Amount when no revenue is estimated."
        ),
        facts=[
            Fact("Opportunities created", f"{count:,}", "", all_url),
            Fact("Open pipeline", format_money(open_value), "Develop, Propose and Close"),
        ],
        chart=bar_chart(
            id="pipeline-chart",
            title="Value of the opportunities created from leads, by stage",
            desc=f"{count:,} opportunities, {format_day_range(scope.days)}: {', '.join(spoken)}.",
            bars=bars,
            legend=[],
        ),
        table=Table(
            caption="Opportunities from leads",
            columns=["Stage", "Opportunities", "Value"],
            rows=rows,
        ),
        empty="" if count else "No opportunity was created from a lead in this period.",
    )
