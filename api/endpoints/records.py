"""Accounts, contacts and opportunities: list (quick find, newest first, cursor paging) and
get, through the grids' selectors."""

from typing import Any

from django.http import HttpRequest
from ninja import Field as NinjaField
from ninja import Query, Router, Schema

from api.paging import keyset_page
from api.schemas import (
    AccountOut,
    AccountPage,
    ContactOut,
    ContactPage,
    OpportunityOut,
    OpportunityPage,
    RecordId,
)
from crm import selectors
from crm.selectors import OpportunityView

router = Router(tags=["Accounts, contacts, opportunities"])

NEWEST_FIRST = ("-created_at", "-id")
QUICK_FIND_MAX_LENGTH = 100


class RecordListQuery(Schema):
    q: str = NinjaField("", max_length=QUICK_FIND_MAX_LENGTH, description="Quick find.")
    cursor: str | None = None
    page_size: int = NinjaField(50, ge=1, le=100)


class OpportunityListQuery(RecordListQuery):
    view: OpportunityView = selectors.DEFAULT_OPPORTUNITY_VIEW


def _page(rows: Any, filters: RecordListQuery, scope: str) -> dict[str, Any]:
    page, cursor = keyset_page(
        rows.order_by(*NEWEST_FIRST),
        cursor=filters.cursor,
        size=filters.page_size,
        scope=f"{scope}:{filters.q}",
    )
    return {"results": page, "next": cursor}


def _text(filters: RecordListQuery) -> str:
    return filters.q.replace("\x00", "")


@router.get("/accounts", response=AccountPage, url_name="account_list")
def account_list(request: HttpRequest, filters: Query[RecordListQuery]) -> dict[str, Any]:
    return _page(selectors.account_list(query=_text(filters)), filters, "accounts")


@router.get("/accounts/{int:account_id}", response=AccountOut, url_name="account_get")
def account_get(request: HttpRequest, account_id: RecordId) -> Any:
    return selectors.account_get(pk=account_id)


@router.get("/contacts", response=ContactPage, url_name="contact_list")
def contact_list(request: HttpRequest, filters: Query[RecordListQuery]) -> dict[str, Any]:
    return _page(selectors.contact_list(query=_text(filters)), filters, "contacts")


@router.get("/contacts/{int:contact_id}", response=ContactOut, url_name="contact_get")
def contact_get(request: HttpRequest, contact_id: RecordId) -> Any:
    return selectors.contact_get(pk=contact_id)


@router.get("/opportunities", response=OpportunityPage, url_name="opportunity_list")
def opportunity_list(request: HttpRequest, filters: Query[OpportunityListQuery]) -> dict[str, Any]:
    rows = selectors.opportunity_list(user=request.auth, view=filters.view, query=_text(filters))
    return _page(rows, filters, f"opportunities:{filters.view}:{request.auth.pk}")


@router.get(
    "/opportunities/{int:opportunity_id}", response=OpportunityOut, url_name="opportunity_get"
)
def opportunity_get(request: HttpRequest, opportunity_id: RecordId) -> Any:
    return selectors.opportunity_get(pk=opportunity_id)
