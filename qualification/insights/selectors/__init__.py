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

from qualification.insights.selectors.funnel import (
    Decisions,
    ReasonCount,
    SourceCounts,
    WeekCounts,
    insights_decisions,
    insights_disqualify_reasons,
    insights_lead_sources,
    insights_leads_per_week,
)
from qualification.insights.selectors.records import (
    DuplicateDecisions,
    RecordUse,
    StageValue,
    insights_duplicate_decisions,
    insights_pipeline,
    insights_records_linked,
)
from qualification.insights.selectors.scope import (
    InsightsScope,
    insights_can_see_everyone,
    insights_owner_choices,
    insights_scope,
)

__all__ = [
    "Decisions",
    "DuplicateDecisions",
    "InsightsScope",
    "ReasonCount",
    "RecordUse",
    "SourceCounts",
    "StageValue",
    "WeekCounts",
    "insights_can_see_everyone",
    "insights_decisions",
    "insights_disqualify_reasons",
    "insights_duplicate_decisions",
    "insights_lead_sources",
    "insights_leads_per_week",
    "insights_owner_choices",
    "insights_pipeline",
    "insights_records_linked",
    "insights_scope",
]
