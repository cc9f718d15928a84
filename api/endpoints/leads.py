"""Leads: the grid's list (views, filter words, quick find, sort, cursor paging), one lead,
create, update, disqualify and reactivate. Each operation calls the screens' service."""

from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from api.lead_input import lead_values
from api.paging import keyset_page
from api.respond import json_answer, once
from api.schemas import DisqualifyIn, LeadIn, LeadOut, LeadPage, RecordId
from leads import selectors, services
from leads.selectors import LeadView

router = Router(tags=["Leads"])

LeadSort = Literal[tuple(key for name in selectors.SORT_FIELDS for key in (name, f"-{name}"))]
DEFAULT_PAGE_SIZE = 50


class LeadListQuery(Schema):
    view: LeadView = selectors.DEFAULT_VIEW
    q: str = NinjaField(
        "",
        max_length=selectors.QUICK_FIND_MAX_LENGTH,
        description="Quick find, with the grid's filter words (`status:lost owner:7 Smith`).",
    )
    sort: LeadSort = selectors.DEFAULT_SORT  # type: ignore[valid-type]
    cursor: str | None = None
    page_size: int = NinjaField(DEFAULT_PAGE_SIZE, ge=1, le=100)


def lead_url(lead_id: int) -> str:
    return reverse("api:lead_get", args=[lead_id])


@router.get("/leads", response=LeadPage, url_name="lead_list")
def lead_list(request: HttpRequest, filters: Query[LeadListQuery]) -> dict[str, Any]:
    """One of the grid's views, quick-found and sorted like the grid; `next` continues it."""
    query = filters.q.replace("\x00", "")
    leads = selectors.lead_list(
        user=request.auth, view=filters.view, query=query, sort=filters.sort
    )
    scope = f"leads:{filters.view}:{filters.sort}:{query}:{request.auth.pk}"
    page, cursor = keyset_page(leads, cursor=filters.cursor, size=filters.page_size, scope=scope)
    return {"results": page, "next": cursor}


@router.get("/leads/{int:lead_id}", response=LeadOut, url_name="lead_get")
def lead_get(request: HttpRequest, lead_id: RecordId) -> Any:
    return selectors.lead_get_for_user(user=request.auth, pk=lead_id)


@router.post("/leads", response={201: LeadOut}, url_name="lead_create")
def lead_create(request: HttpRequest, payload: LeadIn) -> HttpResponse:
    """A new open lead owned by the caller: 201 with the lead and its `id`."""

    def answer() -> HttpResponse:
        lead = services.lead_create(acting_user=request.auth, data=lead_values(payload))
        return json_answer(201, LeadOut, lead, location=lead_url(lead.pk))

    return once(request, answer)


@router.patch("/leads/{int:lead_id}", response=LeadOut, url_name="lead_update")
def lead_update(request: HttpRequest, lead_id: RecordId, payload: LeadIn) -> Any:
    """Change the fields sent (the form's and the Qualify stage's); open leads only."""
    lead = selectors.lead_get_for_user(user=request.auth, pk=lead_id)
    return services.lead_update(
        lead=lead,
        acting_user=request.auth,
        data=lead_values(payload, lead=lead),
        fields=services.LEAD_EDITABLE_FIELDS,
    )


@router.post("/leads/{int:lead_id}/disqualify", response=LeadOut, url_name="lead_disqualify")
def lead_disqualify(request: HttpRequest, lead_id: RecordId, payload: DisqualifyIn) -> Any:
    """Close the lead as Disqualified with a status reason: `lost`, `cannot_contact`,
    `no_longer_interested` or `canceled`."""

    def answer() -> HttpResponse:
        lead = selectors.lead_get_for_user(user=request.auth, pk=lead_id)
        lead = services.lead_disqualify(
            lead=lead, reason=payload.status_reason, acting_user=request.auth
        )
        return json_answer(200, LeadOut, lead)

    return once(request, answer)


@router.post("/leads/{int:lead_id}/reactivate", response=LeadOut, url_name="lead_reactivate")
def lead_reactivate(request: HttpRequest, lead_id: RecordId) -> Any:
    """Back to Open / New; only qualified or disqualified leads."""

    def answer() -> HttpResponse:
        lead = selectors.lead_get_for_user(user=request.auth, pk=lead_id)
        lead = services.lead_reactivate(lead=lead, acting_user=request.auth)
        return json_answer(200, LeadOut, lead)

    return once(request, answer)
