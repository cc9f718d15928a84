"""What every view of the opportunity page renders it with: the header, the process bar (and
its flyout), the details and the timeline."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse

from crm import selectors
from crm.forms import NoteForm, stage_steps_form_class
from crm.http import HtmxHttpRequest
from crm.models import Opportunity, OpportunityState, SalesStage
from crm.process import STAGE_ORDER
from crm.services.locks import record_change_refusal
from crm.services.process import opportunity_steps_refusal

TEMPLATE = "crm/opportunity_detail.html"
# Fragments of the page that reload themselves after a stage change or a close.
STAGE_CHANGED_EVENT = "opportunityStageChanged"


def opportunity_context(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    *,
    flyout_stage: str = "",
    steps_form: forms.ModelForm | None = None,
    note_form: NoteForm | None = None,
    stage_error: str = "",
    form: forms.ModelForm | None = None,
) -> dict[str, Any]:
    can_change = selectors.owner_or_manager(user=request.user, owner_id=opportunity.owner_id)
    is_open = opportunity.state == OpportunityState.OPEN
    refusal = record_change_refusal(opportunity, acting_user=request.user)
    context: dict[str, Any] = {
        "opportunity": opportunity,
        "record": opportunity,
        "page_title": opportunity.topic,
        "form": form,
        "edit_url": reverse("crm:opportunity-edit", args=[opportunity.pk]),
        "read_only_notice": refusal.message if refusal is not None else "",
        "origin_lead": selectors.originating_lead(opportunity),
        "stages": selectors.opportunity_stages(opportunity=opportunity),
        "is_open": is_open,
        "can_change": can_change,
        "is_first_stage": opportunity.stage == STAGE_ORDER[0],
        "is_last_stage": opportunity.stage == STAGE_ORDER[-1],
        "stage_error": stage_error,
        "timeline_entries": selectors.timeline_for(record=opportunity),
        "note_form": note_form or NoteForm(),
        "note_add_url": reverse("crm:opportunity-note-add", args=[opportunity.pk]),
        "can_add_note": can_change and is_open,
        "timeline_refresh_url": opportunity.get_absolute_url(),
        "timeline_refresh_event": STAGE_CHANGED_EVENT,
    }
    if flyout_stage:
        context |= _flyout_context(request, opportunity, flyout_stage, steps_form)
    return context


def _flyout_context(
    request: HtmxHttpRequest,
    opportunity: Opportunity,
    stage: str,
    steps_form: forms.ModelForm | None,
) -> dict[str, Any]:
    # The service says whether it would take these steps; the flyout only shows its answer.
    refusal = opportunity_steps_refusal(
        opportunity=opportunity, stage=stage, acting_user=request.user
    )
    form_class = stage_steps_form_class(stage)
    return {
        "flyout_stage": stage,
        "flyout_label": SalesStage(stage).label,
        "flyout_editable": refusal is None,
        "flyout_reason": refusal.message if refusal is not None else "",
        # A read-only flyout shows the stored steps, never values a refused POST carried.
        "steps_form": (
            steps_form
            if steps_form is not None and refusal is None
            else form_class(instance=opportunity)
        ),
    }
