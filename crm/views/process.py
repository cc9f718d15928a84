"""The opportunity's process bar: a stage's flyout and its steps, Next and Previous Stage."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from crm import selectors
from crm.forms import stage_steps_form_class
from crm.http import HtmxHttpRequest, render_forbidden, render_page
from crm.models import Opportunity
from crm.process import STAGE_ORDER
from crm.services import process
from crm.services.errors import OPPORTUNITY_CHANGE_FORBIDDEN, RecordError
from crm.views.opportunity_page import STAGE_CHANGED_EVENT, TEMPLATE, opportunity_context

STEPS_SAVED = "Steps saved."
STAGE_MOVED = "The opportunity moved to {stage}."


def _changeable(request: HtmxHttpRequest, opportunity: Opportunity) -> bool:
    return selectors.owner_or_manager(user=request.user, owner_id=opportunity.owner_id)


@require_http_methods(["GET", "POST"])
def opportunity_stage_edit(request: HtmxHttpRequest, pk: int, stage: str) -> HttpResponse:
    """GET: the stage's flyout. POST: save its steps and re-render the process bar."""
    if stage not in STAGE_ORDER:
        raise Http404("There is no such stage.")
    opportunity = selectors.opportunity_get(pk=pk)
    if request.method == "GET":
        context = opportunity_context(request, opportunity, flyout_stage=stage)
        return render_page(request, TEMPLATE, "stage-flyout", context)
    if not _changeable(request, opportunity):
        return render_forbidden(request, OPPORTUNITY_CHANGE_FORBIDDEN)
    # A fresh instance: a refused save must not leave the posted values on `opportunity`.
    form = stage_steps_form_class(stage)(request.POST)
    if form.is_valid():
        try:
            process.opportunity_steps_update(
                opportunity=opportunity,
                stage=stage,
                values=form.cleaned_data,
                acting_user=request.user,
            )
        except RecordError as error:
            form.add_error(None, error.message)
        else:
            return _stage_done(request, opportunity, STEPS_SAVED)
    context = opportunity_context(request, opportunity, flyout_stage=stage, steps_form=form)
    return render_page(request, TEMPLATE, "processbar", context)


def _stage_done(
    request: HtmxHttpRequest, opportunity: Opportunity, message: str, *, event: str = ""
) -> HttpResponse:
    """After a change: the process bar again (htmx), or back to the page (no JS)."""
    if not request.htmx:
        messages.success(request, message)
        return redirect(opportunity)
    context = opportunity_context(request, opportunity) | {"stage_notice": message}
    response = render(request, f"{TEMPLATE}#processbar", context)
    if event:
        trigger_client_event(response, event, {"id": opportunity.pk, "stage": opportunity.stage})
    return response


def _stage_move(
    request: HtmxHttpRequest, pk: int, service: Callable[..., Opportunity]
) -> HttpResponse:
    opportunity = selectors.opportunity_get(pk=pk)
    if not _changeable(request, opportunity):
        return render_forbidden(request, OPPORTUNITY_CHANGE_FORBIDDEN)
    try:
        service(opportunity=opportunity, acting_user=request.user)
    except RecordError as error:
        if not request.htmx:
            messages.error(request, error.message)
            return redirect(opportunity)
        context = opportunity_context(request, opportunity, stage_error=error.message)
        return render(request, f"{TEMPLATE}#processbar", context)
    message = STAGE_MOVED.format(stage=opportunity.get_stage_display())
    return _stage_done(request, opportunity, message, event=STAGE_CHANGED_EVENT)


@require_POST
def opportunity_stage_next(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _stage_move(request, pk, process.opportunity_stage_next)


@require_POST
def opportunity_stage_previous(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    return _stage_move(request, pk, process.opportunity_stage_previous)
