"""The opportunity's part of the process bar: its stages in order and the step fields of each.

Qualify, the first stage, belongs to the lead; qualifying is what moves the process to Develop.
"""

from __future__ import annotations

from crm.models import SalesStage

STAGE_ORDER: tuple[str, ...] = (SalesStage.DEVELOP, SalesStage.PROPOSE, SalesStage.CLOSE)
STAGE_STEPS: dict[str, tuple[str, ...]] = {
    SalesStage.DEVELOP: (
        "customer_need",
        "proposed_solution",
        "identify_stakeholders",
        "identify_competitors",
    ),
    SalesStage.PROPOSE: (
        "identify_sales_team",
        "develop_proposal",
        "complete_internal_review",
        "present_proposal",
    ),
    SalesStage.CLOSE: (
        "complete_final_proposal",
        "present_final_proposal",
        "decision_date",
        "send_thank_you",
        "file_debrief",
    ),
}
