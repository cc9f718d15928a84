"""The lead grid: its views, quick find, sort and paging."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from crm.grids import PAGE_SIZES, Column, header_cells, page_size
from crm.http import HtmxHttpRequest, render_page, search_text
from crm.pagination import CappedCountPaginator
from leads import selectors

DEFAULT_PAGE_SIZE = 50


# The grid ------------------------------------------------------------------------------------


LEAD_COLUMNS = (
    Column("name", "Name"),
    Column("topic", "Topic"),
    Column("company_name", "Company Name"),
    Column("email", "Email"),
    Column("business_phone", "Business Phone"),
    Column("status_reason", "Status Reason"),
    Column("owner", "Owner"),
    Column("created_at", "Created On"),
)


def grid_url(**params: Any) -> str:
    """The grid's URL with the given parameters; defaults are left out to keep URLs short."""
    defaults = {
        "view": selectors.DEFAULT_VIEW,
        "q": "",
        "sort": selectors.DEFAULT_SORT,
        "page": 1,
        "per_page": DEFAULT_PAGE_SIZE,
    }
    kept = {key: value for key, value in params.items() if value != defaults.get(key)}
    url = reverse("leads:lead-list")
    return f"{url}?{urlencode(kept)}" if kept else url


def _grid_context(request: HtmxHttpRequest) -> dict[str, Any]:
    view = selectors.lead_view_or_default(request.GET.get("view"))
    query = search_text(request)
    sort = selectors.lead_sort_or_default(request.GET.get("sort"))
    per_page = page_size(request, DEFAULT_PAGE_SIZE)
    leads = selectors.lead_list(user=request.user, view=view, query=query, sort=sort)
    page = CappedCountPaginator(leads, per_page).get_page(request.GET.get("page"))
    base = {"view": view.value, "q": query, "per_page": per_page}
    here = {**base, "sort": sort}
    return {
        "page_title": view.label,
        "view": view,
        "views": selectors.LEAD_VIEWS,
        "query": query,
        "sort": sort,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
        "page_obj": page,
        "header": header_cells(
            LEAD_COLUMNS, sort, lambda next_sort: grid_url(**base, sort=next_sort)
        ),
        "grid_url": grid_url(**here, page=page.number),
        "previous_url": grid_url(**here, page=page.number - 1) if page.has_previous() else "",
        "next_url": grid_url(**here, page=page.number + 1) if page.has_next() else "",
        "size_urls": [(size, grid_url(**{**here, "per_page": size})) for size in PAGE_SIZES],
        "list_url": reverse("leads:lead-list"),
    }


@require_GET
def lead_list(request: HtmxHttpRequest) -> HttpResponse:
    return render_page(request, "leads/lead_list.html", "lead-grid", _grid_context(request))
