"""Every figure of the Insights page, in the order the page shows them."""

from __future__ import annotations

from qualification.insights.figures.base import Figure, GridLinks
from qualification.insights.figures.funnel import (
    decisions_figure,
    reasons_figure,
    sources_figure,
    weekly_figure,
)
from qualification.insights.figures.records import (
    duplicates_figure,
    pipeline_figure,
    records_figure,
)
from qualification.insights.selectors import InsightsScope

FIGURES = (
    weekly_figure,
    decisions_figure,
    reasons_figure,
    sources_figure,
    records_figure,
    duplicates_figure,
    pipeline_figure,
)


def insights_figures(*, scope: InsightsScope) -> list[Figure]:
    """One query each, but for the reads that figures share (selectors: lead_counts,
    qualification_counts), made once for the page."""
    links = GridLinks(scope)
    return [figure(scope, links) for figure in FIGURES]
