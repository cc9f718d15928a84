"""The opportunity's stages as the process bar draws them."""

from __future__ import annotations

from dataclasses import dataclass

from crm.models import Opportunity, OpportunityState, SalesStage
from crm.process import STAGE_ORDER


@dataclass(frozen=True)
class StageCell:
    value: str
    label: str
    state: str  # "done", "active" or "" (not reached)


def opportunity_stages(*, opportunity: Opportunity | None) -> list[StageCell]:
    """Develop, Propose and Close for the process bar. A won opportunity has done them all;
    without an opportunity (a lead not qualified into one) none of them has started."""
    active = STAGE_ORDER.index(opportunity.stage) if opportunity is not None else None
    won = opportunity is not None and opportunity.state == OpportunityState.WON
    cells = []
    for index, stage in enumerate(STAGE_ORDER):
        if active is None:
            state = ""
        elif index < active or won:
            state = "done"
        else:
            state = "active" if index == active else ""
        cells.append(StageCell(value=stage, label=SalesStage(stage).label, state=state))
    return cells
