"""The grid's view exported to CSV, and the grid's Edit columns dialog."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import trigger_client_event

from crm.http import HtmxHttpRequest, render_dialog, search_text
from leads import selectors, services
from leads.columns import lead_grid_column_keys, visible_columns
from leads.export import lead_csv_lines
from leads.forms import LeadColumnsForm
from leads.views.grid import grid_url

COLUMNS_SAVED = "Columns saved."
COLUMNS_RESET = "Columns reset to the default."


@require_GET
def lead_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    """Every lead of the view (the grid's view, quick find and sort, as the user sees it), in
    the columns the grid shows, as a CSV download named after the view and the day."""
    view = selectors.lead_view_or_default(request.GET.get("view"))
    sort = selectors.lead_sort_or_default(request.GET.get("sort"))
    leads = selectors.lead_list(user=request.user, view=view, query=search_text(request), sort=sort)
    columns = visible_columns(lead_grid_column_keys(user=request.user), sort)
    response = StreamingHttpResponse(
        lead_csv_lines(leads, columns), content_type="text/csv; charset=utf-8"
    )
    filename = f"{slugify(view.label)}-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _next_url(request: HtmxHttpRequest) -> str:
    """Where the page without JavaScript goes back to: the grid it came from, else the grid."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    safe = url_has_allowed_host_and_scheme(wanted, allowed_hosts={request.get_host()})
    return wanted if safe and wanted.startswith(grid_url()) else grid_url()


@require_http_methods(["GET", "POST"])
def lead_columns(request: HtmxHttpRequest) -> HttpResponse:
    """GET: the dialog with a box per column. POST: save the choice (Reset: the default) and
    let the grid redraw itself (htmx), or go back to the grid."""
    form = LeadColumnsForm(request.POST or None)
    if form.is_valid():
        reset = "reset" in request.POST
        chosen = [] if reset else form.cleaned_data["columns"]
        services.lead_grid_columns_save(user=request.user, columns=chosen)
        messages.success(request, COLUMNS_RESET if reset else COLUMNS_SAVED)
        if not request.htmx:
            return redirect(_next_url(request))
        response = render(request, "includes/messages.html")
        return trigger_client_event(response, "leadsChanged", {})
    chosen = form["columns"].value() if form.is_bound else lead_grid_column_keys(user=request.user)
    context = {"page_title": "Edit columns", "form": form, "chosen": chosen}
    context["next_url"] = _next_url(request)
    return render_dialog(request, "leads/lead_columns.html", "columns-dialog", context)
