"""The account, contact and opportunity grids: quick find, sort, paging, the view picker."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpResponse
from django.views.decorators.http import require_GET

from crm import selectors
from crm.grids import PAGE_SIZES, Column, header_cells, page_size
from crm.http import HtmxHttpRequest, render_page, search_text
from crm.pagination import DeferredJoinPaginator

DEFAULT_PAGE_SIZE = 25

ACCOUNT_COLUMNS = (
    Column("name", "Account Name"),
    Column("website", "Website"),
    Column("phone", "Main Phone"),
    Column("city", "City"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)
CONTACT_COLUMNS = (
    Column("name", "Full Name"),
    Column("email", "Email"),
    Column("phone", "Business Phone"),
    Column("account", "Account Name"),
    Column("job_title", "Job Title"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)
OPPORTUNITY_COLUMNS = (
    Column("topic", "Topic"),
    Column("customer", "Potential Customer"),
    Column("revenue", "Est. Revenue"),
    Column("status", "Status"),
    Column("stage", "Sales Stage"),
    Column("owner", "Owner"),
    Column("created", "Created On"),
)


def _grid_context(
    request: HtmxHttpRequest,
    rows: models.QuerySet[Any],
    *,
    columns: tuple[Column, ...],
    sort: str,
    query: str,
) -> dict[str, Any]:
    per_page = page_size(request, DEFAULT_PAGE_SIZE)
    page = DeferredJoinPaginator(rows, per_page).get_page(request.GET.get("page"))
    return {
        "page_obj": page,
        "header": header_cells(columns, sort),
        "sort": sort,
        "query": query,
        "per_page": per_page,
        "page_sizes": PAGE_SIZES,
    }


@require_GET
def account_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    sort = selectors.sort_key(
        request.GET.get("sort", ""), selectors.ACCOUNT_SORTS, selectors.DEFAULT_ACCOUNT_SORT
    )
    rows = selectors.account_list(query=query, sort=sort)
    context = _grid_context(request, rows, columns=ACCOUNT_COLUMNS, sort=sort, query=query)
    return render_page(request, "crm/account_list.html", "account-grid", context)


@require_GET
def contact_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    sort = selectors.sort_key(
        request.GET.get("sort", ""), selectors.CONTACT_SORTS, selectors.DEFAULT_CONTACT_SORT
    )
    rows = selectors.contact_list(query=query, sort=sort)
    context = _grid_context(request, rows, columns=CONTACT_COLUMNS, sort=sort, query=query)
    return render_page(request, "crm/contact_list.html", "contact-grid", context)


@require_GET
def opportunity_list(request: HtmxHttpRequest) -> HttpResponse:
    query = search_text(request)
    view = selectors.opportunity_view_or_default(request.GET.get("view"))
    sort = selectors.sort_key(
        request.GET.get("sort", ""),
        selectors.OPPORTUNITY_SORTS,
        selectors.DEFAULT_OPPORTUNITY_SORT,
    )
    rows = selectors.opportunity_list(user=request.user, view=view, query=query, sort=sort)
    context = _grid_context(request, rows, columns=OPPORTUNITY_COLUMNS, sort=sort, query=query)
    context |= {"view": view.value, "views": selectors.OpportunityView.choices}
    context["view_label"] = view.label
    return render_page(request, "crm/opportunity_list.html", "opportunity-grid", context)
