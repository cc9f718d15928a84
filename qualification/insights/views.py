"""The Insights page: a period and owner picker over the qualification figures."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from crm.http import HtmxHttpRequest, render_page
from qualification.insights.figures import insights_figures
from qualification.insights.forms import InsightsForm
from qualification.insights.periods import format_day_range
from qualification.insights.selectors import (
    insights_can_see_everyone,
    insights_owner_choices,
    insights_scope,
)


@require_GET
def insights(request: HtmxHttpRequest) -> HttpResponse:
    managers_view = insights_can_see_everyone(user=request.user)
    owners = insights_owner_choices() if managers_view else None
    form = InsightsForm(request.GET, today=timezone.localdate(), owners=owners)
    context = {"page_title": "Insights", "form": form, "figures": [], "scope_label": ""}
    if form.is_valid():
        days = form.cleaned_data["days"]
        scope = insights_scope(user=request.user, days=days, owner_id=form.cleaned_data["owner"])
        context["figures"] = insights_figures(scope=scope)
        context["scope_label"] = f"{form.owner_label()} · {format_day_range(days)}"
    return render_page(request, "qualification/insights.html", "insights-figures", context)
