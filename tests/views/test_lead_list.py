from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db
URL = reverse("leads:lead-list")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "lead-grid"}
# The grid's queries whatever the page size: session, user, the user's permissions (one query,
# crm.auth: the New command), the row count, one page of rows with their owners and the user's
# choice of columns.
GRID_QUERIES = 6
# With quick find text, one more first: the owners whose name begins with it (their ids go into
# the search as values, which PostgreSQL plans far better than a subquery at 1,000,000 leads).
QUICK_FIND_QUERIES = GRID_QUERIES + 1


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    # Every test creates users; the default hasher makes each one cost half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def _rows(response) -> list[str]:
    """The names in the grid's rows, in order."""
    return re.findall(r'data-row-select aria-label="Select ([^"]+)"', response.content.decode())


def test_it_requires_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_it_shows_my_open_leads_by_default(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Mine")
    LeadFactory(owner=salesperson, first_name="Cat", last_name="Closed", qualified=True)
    LeadFactory(owner=other_salesperson, first_name="Tom", last_name="Theirs")

    response = sales_client.get(URL)

    assert response.status_code == 200
    assert _rows(response) == ["Ann Mine"]
    html = response.content.decode()
    assert '<option value="my_open" selected>My Open Leads</option>' in html
    assert "1 lead<" in html


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ("open", {"Ann Mine", "Tom Theirs"}),
        ("closed", {"Cat Closed", "Dan Disqualified"}),
        ("all", {"Ann Mine", "Tom Theirs", "Cat Closed", "Dan Disqualified"}),
    ],
)
def test_it_switches_views(
    sales_client: Client,
    salesperson: User,
    other_salesperson: User,
    view: str,
    expected: set[str],
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Mine")
    LeadFactory(owner=salesperson, first_name="Cat", last_name="Closed", qualified=True)
    LeadFactory(owner=salesperson, first_name="Dan", last_name="Disqualified", disqualified=True)
    LeadFactory(owner=other_salesperson, first_name="Tom", last_name="Theirs")

    response = sales_client.get(URL, {"view": view})

    assert set(_rows(response)) == expected


def test_it_lists_the_views_in_the_view_picker(sales_client: Client) -> None:
    html = sales_client.get(URL).content.decode()

    for label in (
        "My Open Leads",
        "Open Leads",
        "Closed Leads",
        "All Leads",
        "Leads Opened This Week",
        "Leads Opened Last Week",
    ):
        assert f">{label}</option>" in html
    assert '<label for="quick-find" class="quickfind-label">Quick find</label>' in html


def test_it_shows_leads_opened_this_week(sales_client: Client, salesperson: User) -> None:
    LeadFactory(owner=salesperson, first_name="New", last_name="Lead")
    old = LeadFactory(owner=salesperson, first_name="Old", last_name="Lead")
    Lead.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=15))

    response = sales_client.get(URL, {"view": "opened_this_week"})

    assert _rows(response) == ["New Lead"]


def test_it_quick_finds(sales_client: Client, salesperson: User) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", company_name="Contoso")
    LeadFactory(owner=salesperson, first_name="Bob", last_name="Ray", company_name="Fabrikam")

    response = sales_client.get(URL, {"q": "fabri"})

    assert _rows(response) == ["Bob Ray"]
    assert 'value="fabri"' in response.content.decode()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("ann", ["Ann Lee", "Ann Ray"]),
        ("LEE", ["Ann Lee"]),
        ("ann l", ["Ann Lee"]),
        ("Ann Ray", ["Ann Ray"]),
    ],
)
def test_it_quick_finds_first_last_and_full_names(
    sales_client: Client, salesperson: User, text: str, found: list[str]
) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee", company_name="Contoso")
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Ray", company_name="Fabrikam")

    assert sorted(_rows(sales_client.get(URL, {"q": text}))) == found


def test_it_shows_an_empty_state(sales_client: Client) -> None:
    response = sales_client.get(URL, {"q": "nobody"})

    html = response.content.decode()
    assert "No leads in this view" in html
    assert "nobody" in html
    assert f'href="{reverse("leads:lead-create")}"' in html


def test_it_sorts_and_marks_the_sorted_column(sales_client: Client, salesperson: User) -> None:
    LeadFactory(owner=salesperson, first_name="Zoe", last_name="Zimmer")
    LeadFactory(owner=salesperson, first_name="Al", last_name="Abbot")

    ascending = sales_client.get(URL, {"sort": "name"})
    descending = sales_client.get(URL, {"sort": "-name"})

    assert _rows(ascending) == ["Al Abbot", "Zoe Zimmer"]
    assert _rows(descending) == ["Zoe Zimmer", "Al Abbot"]
    html = ascending.content.decode()
    assert re.search(r'<th scope="col" aria-sort="ascending">\s*<a href="[^"]*sort=-name', html)
    assert html.count("aria-sort=") == 1
    # The other headers sort by their column, keeping nothing else but defaults.
    assert f'href="{URL}?sort=topic"' in html


def test_it_sorts_newest_first_by_default(sales_client: Client, salesperson: User) -> None:
    older = LeadFactory(owner=salesperson, first_name="Old", last_name="One")
    Lead.objects.filter(pk=older.pk).update(created_at=timezone.now() - timedelta(days=1))
    LeadFactory(owner=salesperson, first_name="New", last_name="One")

    response = sales_client.get(URL)

    assert _rows(response) == ["New One", "Old One"]
    assert 'aria-sort="descending"' in response.content.decode()


def test_it_paginates(sales_client: Client, salesperson: User) -> None:
    LeadFactory.create_batch(12, owner=salesperson)

    first = sales_client.get(URL, {"per_page": 10})
    second = sales_client.get(URL, {"per_page": 10, "page": 2})

    assert len(_rows(first)) == 10
    assert len(_rows(second)) == 2
    html = first.content.decode()
    assert "Page 1 of 2" in html
    assert "12 leads" in html
    assert f'href="{URL}?per_page=10&amp;page=2"' in html
    assert 'rel="next"' in html
    assert 'rel="prev"' in second.content.decode()


def test_it_pages_fifty_leads_by_default(sales_client: Client, salesperson: User) -> None:
    LeadFactory.create_batch(51, owner=salesperson)

    response = sales_client.get(URL)

    assert len(_rows(response)) == 50
    html = response.content.decode()
    assert "Page 1 of 2" in html
    assert "All 50 on this page are selected." in html
    assert "Select all 51 leads in this view" in html


def test_it_falls_back_to_the_last_page_and_to_known_page_sizes(
    sales_client: Client, salesperson: User
) -> None:
    LeadFactory.create_batch(3, owner=salesperson)

    response = sales_client.get(URL, {"page": 99, "per_page": 7})

    assert len(_rows(response)) == 3
    assert "Page 1 of 1" in response.content.decode()


def test_it_offers_row_selection(sales_client: Client, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee")

    html = sales_client.get(URL).content.decode()

    assert f'name="lead_ids" value="{lead.pk}" data-row-select aria-label="Select Ann Lee"' in html
    assert 'aria-label="Select all on this page"' in html
    assert '<form id="lead-selection" method="post"' in html
    # One page only: no "select all N" banner.
    assert "data-select-all-banner" not in html


def test_each_cell_shows_the_lead_in_the_site_time_zone(
    sales_client: Client, salesperson: User, settings
) -> None:
    settings.TIME_ZONE = "America/New_York"
    named = LeadFactory(
        owner=salesperson,
        first_name="Ann",
        last_name="Lee <&>",
        topic="Fleet",
        company_name="Fabrikam",
        email="ann@fabrikam.example",
        business_phone="555 0101",
    )
    nameless = LeadFactory(owner=salesperson, first_name="", last_name="", topic="Walk-in")
    created = datetime(2026, 1, 5, 3, 7, tzinfo=UTC)  # Jan 4, 22:07 in New York
    Lead.objects.filter(pk=named.pk).update(created_at=created)
    Lead.objects.filter(pk=nameless.pk).update(created_at=created - timedelta(days=1))

    html = sales_client.get(URL).content.decode()

    owner = salesperson.get_full_name() or salesperson.get_username()
    assert (
        f'value="{named.pk}" data-row-select aria-label="Select Ann Lee &lt;&amp;&gt;"'
        ' data-state="open" data-can-change data-can-delete>'
    ) in html
    assert f'<a href="{named.get_absolute_url()}">Ann Lee &lt;&amp;&gt;</a>' in html
    assert '<span title="Fleet">Fleet</span>' in html
    assert '<span title="Fabrikam">Fabrikam</span>' in html
    assert '<span title="ann@fabrikam.example">ann@fabrikam.example</span>' in html
    assert ">555 0101</td>" in html
    assert '<span class="badge badge-open">New</span>' in html
    assert f">{owner}</td>" in html
    assert '<time datetime="2026-01-04T22:07:00-05:00">Jan 4, 2026 22:07</time>' in html
    # No name: the row is selected by its topic and its link says so.
    assert f'value="{nameless.pk}" data-row-select aria-label="Select Walk-in"' in html
    assert f'<a href="{nameless.get_absolute_url()}">(no name)</a>' in html
    assert '<time datetime="2026-01-03T22:07:00-05:00">Jan 3, 2026 22:07</time>' in html


def test_it_wires_the_command_bar_to_the_selection(sales_client: Client) -> None:
    html = sales_client.get(URL).content.decode()

    bulk_qualify = reverse("qualification:bulk-qualify")
    assert f'formaction="{bulk_qualify}"' in html
    assert (
        f'hx-post="{bulk_qualify}" hx-target="#modal-root" data-needs="open" data-verb="qualify">'
        "Qualify</button>"
    ) in html
    for name in (
        "lead-bulk-disqualify",
        "lead-bulk-reactivate",
        "lead-bulk-duplicates",
        "lead-bulk-delete",
    ):
        assert f'formaction="{reverse(f"leads:{name}")}"' in html
    bulk_undo = reverse("qualification:bulk-undo")
    assert (
        f'hx-post="{bulk_undo}" hx-target="#modal-root" data-needs="closed" data-verb="undo">'
        "Undo qualification</button>"
    ) in html
    assert html.count('form="lead-selection"') == 6


def test_it_answers_htmx_with_the_grid_alone(sales_client: Client, salesperson: User) -> None:
    LeadFactory(owner=salesperson, first_name="Ann", last_name="Lee")

    response = sales_client.get(URL, {"view": "all"}, **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="lead-grid"')
    assert "<html" not in html
    assert _rows(response) == ["Ann Lee"]
    assert '<span id="grid-title" hx-swap-oob="true">All Leads</span>' in html
    assert 'hx-trigger="leadQualified from:body, leadsChanged from:body"' in html


def test_it_answers_a_history_restore_with_the_whole_page(sales_client: Client) -> None:
    response = sales_client.get(URL, HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true")

    assert "<html" in response.content.decode()


def test_it_rejects_post(sales_client: Client) -> None:
    assert sales_client.post(URL).status_code == 405


@pytest.mark.parametrize("per_page", [10, 50])
def test_it_runs_the_same_queries_whatever_the_page_size(
    sales_client: Client, salesperson: User, django_assert_num_queries, per_page: int
) -> None:
    LeadFactory.create_batch(60, owner=salesperson)

    with django_assert_num_queries(GRID_QUERIES):
        response = sales_client.get(URL, {"per_page": per_page, "view": "all", "sort": "owner"})

    assert len(_rows(response)) == per_page


def test_it_runs_the_same_queries_for_a_quick_find(
    sales_client: Client, salesperson: User, django_assert_num_queries
) -> None:
    LeadFactory.create_batch(30, owner=salesperson, company_name="Contoso")

    with django_assert_num_queries(QUICK_FIND_QUERIES):
        response = sales_client.get(URL, {"q": "cont", "per_page": 25})

    assert len(_rows(response)) == 25


def test_it_caps_the_count_and_pages_on_past_it(
    sales_client: Client, salesperson: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crm.pagination.COUNT_CAP", 20)
    LeadFactory.create_batch(26, owner=salesperson)

    first = sales_client.get(URL, {"per_page": 10}).content.decode()
    third = sales_client.get(URL, {"per_page": 10, "page": 3}).content.decode()

    assert '<span class="grid-count">20+ leads</span>' in first
    assert "Page 1 of 2+" in first
    assert "Select all 20+ leads in this view" in first
    # The last page counts the rest: exact again.
    assert '<span class="grid-count">26 leads</span>' in third
    assert "Page 3 of 3" in third
    assert 'rel="next"' not in third


def test_a_quick_find_counts_to_a_lower_cap(
    sales_client: Client, salesperson: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crm.pagination.COUNT_CAP", 20)
    monkeypatch.setattr("crm.pagination.QUICK_FIND_COUNT_CAP", 12)
    LeadFactory.create_batch(16, owner=salesperson, company_name="Contoso Pharmaceuticals")

    found = sales_client.get(URL, {"q": "Contoso", "per_page": 10}).content.decode()
    everything = sales_client.get(URL, {"per_page": 10}).content.decode()

    assert '<span class="grid-count">12+ leads</span>' in found
    assert "Page 1 of 1+" in found
    assert 'rel="next"' in found
    assert '<span class="grid-count">16 leads</span>' in everything


def test_it_counts_exactly_up_to_the_cap(
    sales_client: Client, salesperson: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("crm.pagination.COUNT_CAP", 20)
    LeadFactory.create_batch(20, owner=salesperson)

    html = sales_client.get(URL, {"per_page": 10}).content.decode()

    assert '<span class="grid-count">20 leads</span>' in html
    assert "Page 1 of 2<" in html


def test_it_quick_finds_phone_digits_and_owner_names(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    LeadFactory(
        owner=salesperson, first_name="Ann", last_name="Lee", business_phone="+1 (206) 555-4049"
    )
    LeadFactory(owner=other_salesperson, first_name="Bob", last_name="Ray", business_phone="")

    by_digits = sales_client.get(URL, {"view": "all", "q": "555-4049"})
    by_owner = sales_client.get(URL, {"view": "all", "q": "olga oth"})

    assert _rows(by_digits) == ["Ann Lee"]
    assert _rows(by_owner) == ["Bob Ray"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "555-4049"},
        {"view": "all", "q": "Olga"},
        {"view": "all", "sort": "-owner", "page": "2"},
        {"view": "my_open", "sort": "owner"},
        {"view": "closed", "sort": "name", "q": "Jo"},
    ],
)
def test_it_runs_the_same_queries_for_each_find_and_sort(
    sales_client: Client,
    salesperson: User,
    other_salesperson: User,
    django_assert_num_queries,
    monkeypatch: pytest.MonkeyPatch,
    params: dict[str, str],
) -> None:
    monkeypatch.setattr("crm.pagination.COUNT_CAP", 10)
    LeadFactory.create_batch(15, owner=salesperson, business_phone="+1 206 555 4049")
    LeadFactory.create_batch(15, owner=other_salesperson, first_name="Jo", qualified=True)

    with django_assert_num_queries(QUICK_FIND_QUERIES if "q" in params else GRID_QUERIES):
        response = sales_client.get(URL, {**params, "per_page": 10})

    assert response.status_code == 200
    assert _rows(response)
