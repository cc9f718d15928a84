"""The grid's Export to CSV (every row of the view, in the grid's order and columns) and its
Edit columns dialog (saved per user)."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadGridColumns
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
EXPORT = reverse("leads:lead-export")
COLUMNS = reverse("leads:lead-columns")
GRID = reverse("leads:lead-list")
HTMX = {"HTTP_HX_REQUEST": "true"}
ALL_HEADERS = [
    "Name",
    "Topic",
    "Company Name",
    "Email",
    "Business Phone",
    "Status Reason",
    "Owner",
    "Created On",
]
# Session, user, the user's columns and the rows (read in chunks by one query): as many for
# 3 rows as for 120.
EXPORT_QUERIES = 4


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_it_requires_login(client: Client) -> None:
    response = client.get(EXPORT)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_exports_every_row_of_the_view_not_only_the_page(
    sales_client: Client, salesperson: User
) -> None:
    LeadFactory.create_batch(60, owner=salesperson)

    response = sales_client.get(EXPORT, {"view": "my_open"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == f'attachment; filename="my-open-leads-{today}.csv"'
    rows = _csv(response)
    assert rows[0] == ALL_HEADERS
    assert len(rows) == 61


def test_it_writes_the_grids_values_in_the_grids_order(
    sales_client: Client, salesperson: User
) -> None:
    old = LeadFactory(
        owner=salesperson,
        first_name="Ana",
        last_name="Abel",
        topic="Espresso machines",
        company_name="Contoso",
        email="ana@contoso.example",
        business_phone="555 4049",
    )
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=2))
    LeadFactory(owner=salesperson, first_name="Bo", last_name="Zed")
    old.refresh_from_db()

    newest_first = _csv(sales_client.get(EXPORT))
    by_name = _csv(sales_client.get(EXPORT, {"sort": "name"}))

    assert [row[0] for row in newest_first[1:]] == ["Bo Zed", "Ana Abel"]
    assert [row[0] for row in by_name[1:]] == ["Ana Abel", "Bo Zed"]
    created = timezone.localtime(old.created_at).strftime("%Y-%m-%d %H:%M")
    assert newest_first[2] == [
        "Ana Abel",
        "Espresso machines",
        "Contoso",
        "ana@contoso.example",
        "555 4049",
        "New",
        "Sam Seller",
        created,
    ]


def test_it_exports_the_quick_find_and_view_the_grid_shows(
    sales_client: Client, salesperson: User
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", company_name="Contoso")
    LeadFactory(owner=salesperson, first_name="Bob", last_name="Ray", company_name="Fabrikam")
    LeadFactory(owner=salesperson, first_name="Cy", last_name="Shut", disqualified=True)

    found = _csv(sales_client.get(EXPORT, {"q": "fabri"}))
    closed = _csv(sales_client.get(EXPORT, {"view": "closed"}))

    assert [row[0] for row in found[1:]] == ["Bob Ray"]
    assert [row[0] for row in closed[1:]] == ["Cy Shut"]


def test_a_salesperson_exports_only_what_the_view_shows_them(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Mine")
    LeadFactory(owner=other_salesperson, first_name="Tom", last_name="Theirs")
    LeadFactory(owner=salesperson, first_name="Cat", last_name="Closed", qualified=True)

    mine = _csv(sales_client.get(EXPORT))  # My Open Leads, the default view
    grid = sales_client.get(GRID).content.decode()

    assert [row[0] for row in mine[1:]] == ["Ann Mine"]
    assert "Tom Theirs" not in grid and "Cat Closed" not in grid


@pytest.mark.parametrize(
    "value",
    ['=HYPERLINK("http://x.example","click")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_it_never_writes_a_formula(sales_client: Client, salesperson: User, value: str) -> None:
    LeadFactory(owner=salesperson, topic=value, company_name=value, last_name=value)

    row = _csv(sales_client.get(EXPORT))[1]

    assert row[1] == f"'{value}"
    assert row[2] == f"'{value}"
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in row)


def test_it_keeps_ordinary_text_as_it_is(sales_client: Client, salesperson: User) -> None:
    LeadFactory(owner=salesperson, topic='Say "hi", then 1=1', company_name="Núñez & Co")

    row = _csv(sales_client.get(EXPORT))[1]

    assert row[1:3] == ['Say "hi", then 1=1', "Núñez & Co"]


@pytest.mark.parametrize("count", [3, 120])
def test_it_runs_the_same_queries_whatever_the_rows(
    sales_client: Client, salesperson: User, django_assert_num_queries, count: int
) -> None:
    LeadFactory.create_batch(count, owner=salesperson)

    with django_assert_num_queries(EXPORT_QUERIES):
        rows = _csv(sales_client.get(EXPORT, {"view": "all", "sort": "owner"}))

    assert len(rows) == count + 1


def test_it_writes_the_columns_the_user_chose_and_the_sort_column(
    sales_client: Client, salesperson: User
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", email="ann@example.org")
    LeadGridColumns.objects.create(user=salesperson, columns=["name", "email"])

    default_sort = _csv(sales_client.get(EXPORT))
    by_owner = _csv(sales_client.get(EXPORT, {"sort": "owner"}))

    assert default_sort[0] == ["Name", "Email", "Created On"]
    assert by_owner[0] == ["Name", "Email", "Owner"]
    assert by_owner[1] == ["Ann Lee", "ann@example.org", "Sam Seller"]


# Edit columns -------------------------------------------------------------------------------


def test_the_dialog_ticks_the_columns_shown(sales_client: Client, salesperson: User) -> None:
    LeadGridColumns.objects.create(user=salesperson, columns=["name", "company_name"])

    html = sales_client.get(COLUMNS, **HTMX).content.decode()

    assert "<dialog data-modal" in html
    assert 'name="columns" value="company_name" checked' in html
    assert 'name="columns" value="email">' in html
    assert '<input type="hidden" name="columns" value="name">' in html


def test_it_saves_the_columns_and_the_grid_shows_them(
    sales_client: Client, salesperson: User
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", company_name="Contoso")

    response = sales_client.post(COLUMNS, {"columns": ["name", "company_name", "owner"]}, **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == '{"leadsChanged": {}}'
    assert "Columns saved." in response.content.decode()
    saved = LeadGridColumns.objects.get(user=salesperson)
    assert saved.columns == ["name", "company_name", "owner"]
    grid = sales_client.get(GRID).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>\s*<a [^>]*>([^<]+)<', grid)
    assert headers == ["Name", "Company Name", "Owner", "Created On"]
    assert "Contoso" in grid
    assert ".example.org" not in grid  # no Email column


def test_it_goes_back_to_the_grid_without_javascript(sales_client: Client) -> None:
    response = sales_client.post(
        COLUMNS, {"columns": ["email"], "next": f"{GRID}?view=all&sort=name"}
    )

    assert response.status_code == 302
    assert response.url == f"{GRID}?view=all&sort=name"


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/leads/", "/admin/"])
def test_it_goes_back_only_to_the_grid(sales_client: Client, next_url: str) -> None:
    response = sales_client.post(COLUMNS, {"columns": ["email"], "next": next_url})

    assert response.url == GRID


def test_reset_goes_back_to_every_column(sales_client: Client, salesperson: User) -> None:
    LeadGridColumns.objects.create(user=salesperson, columns=["name"])

    response = sales_client.post(COLUMNS, {"columns": ["name"], "reset": "1"}, **HTMX)

    assert "Columns reset to the default." in response.content.decode()
    rows = _csv(sales_client.get(EXPORT))
    assert rows[0] == ALL_HEADERS


def test_it_refuses_an_unknown_column_and_saves_nothing(
    sales_client: Client, salesperson: User
) -> None:
    response = sales_client.post(COLUMNS, {"columns": ["name", "password"]}, **HTMX)

    assert response.status_code == 200
    assert "Select a valid choice. password is not one of the available choices." in (
        response.content.decode()
    )
    assert not LeadGridColumns.objects.filter(user=salesperson).exists()


def test_each_user_has_their_own_columns(
    client: Client, salesperson: User, other_salesperson: User
) -> None:
    LeadGridColumns.objects.create(user=salesperson, columns=["name"])
    client.force_login(other_salesperson)

    rows = _csv(client.get(EXPORT))

    assert rows[0] == ALL_HEADERS


def test_the_dialog_is_a_page_without_javascript(sales_client: Client) -> None:
    response = sales_client.get(COLUMNS, {"next": f"{GRID}?view=all"})

    html = response.content.decode()
    assert "<html" in html
    assert "<dialog data-modal open" in html
    assert f'<input type="hidden" name="next" value="{GRID}?view=all">' in html
    assert f'<a class="button" href="{GRID}?view=all">Cancel</a>' in html
