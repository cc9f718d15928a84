"""The Insights page: who sees whose leads, the period picker, the figures and their links to
the lead grid, and the queries it takes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from html import unescape

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from crm.models import SalesStage
from leads.models import LeadSource, LeadStatus
from leads.services import lead_disqualify
from qualification.engine import lead_qualify
from qualification.insights.forms import (
    CUSTOM_DAYS_MISSING,
    CUSTOM_DAYS_REVERSED,
    CUSTOM_DAYS_TOO_MANY,
)
from tests.insights import dated_lead, dated_qualification

pytestmark = pytest.mark.django_db
URL = reverse("insights:overview")
HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "insights-figures"}
MARCH = {"period": "custom", "start": "2026-03-02", "end": "2026-03-22"}
# Session, user, the user's permissions (one query, crm.auth: is this a manager?), then the
# figures: one read of the lead counts that the weekly, reasons and sources figures share, one
# of the qualification counts that the records and duplicates figures share, and one query each
# for the decisions and the pipeline; a manager's page also lists the owners to pick from.
SALESPERSON_QUERIES = 7
MANAGER_QUERIES = 8


def day(number: int) -> date:
    return date(2026, 3, number)


@dataclass
class World:
    sam: User
    olga: User


@pytest.fixture
def world(salesperson: User, other_salesperson: User) -> World:
    """Sam's and Olga's March: every figure has something to count."""
    for owner, extra in ((salesperson, 0), (other_salesperson, 1)):
        for number in range(3 + extra):
            dated_lead(owner, created=day(2 + number), source=LeadSource.SEMINAR)
        dated_lead(owner, created=day(3), closed=day(10), reason=LeadStatus.LOST)
        dated_lead(owner, created=day(4), closed=day(16), reason=LeadStatus.CANNOT_CONTACT)
        for number, (account, duplicates, stage) in enumerate(
            (
                ("created", "", SalesStage.DEVELOP),
                ("linked", "linked", SalesStage.PROPOSE),
                ("created", "created_anyway", SalesStage.CLOSE),
            )[: 2 + extra]
        ):
            lead = dated_lead(
                owner, created=day(2 + number), closed=day(9 + number), reason=LeadStatus.QUALIFIED
            )
            dated_qualification(
                lead,
                on=day(9 + number),
                account=account,
                account_duplicates=duplicates,
                opportunities=[{"stage": stage, "estimated_revenue": Decimal(1000 * (number + 1))}],
            )
    return World(sam=salesperson, olga=other_salesperson)


def table(html: str, caption: str) -> list[list[str]]:
    """The text of a figure's table, row by row (the header row first)."""
    found = re.search(rf"<caption>{re.escape(caption)}</caption>(.*?)</table>", html, re.S)
    assert found, f"no table {caption!r}"
    rows = re.findall(r"<tr>(.*?)</tr>", found.group(1), re.S)
    cell = re.compile(r"<t[hd][^>]*>(.*?)</t[hd]>", re.S)
    return [[unescape(re.sub(r"<[^>]+>", "", text)) for text in cell.findall(row)] for row in rows]


def fact(html: str, label: str) -> str:
    found = re.search(
        rf"<dt>{re.escape(label)}</dt>\s*<dd><span class=\"fact-value\">(.*?)</span>", html, re.S
    )
    assert found, f"no fact {label!r}"
    return unescape(re.sub(r"<[^>]+>", "", found.group(1)))


def page(client: Client, user: User, **params: str) -> str:
    client.force_login(user)
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


def test_it_requires_login(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={URL}"


def test_the_site_map_links_to_it(sales_client: Client) -> None:
    html = sales_client.get(URL).content.decode()

    assert f'<a href="{URL}" aria-current="page">Insights</a>' in html


def test_a_salesperson_sees_their_own_leads_only(client: Client, world: World) -> None:
    html = page(client, world.sam, **MARCH)

    assert "Your leads · Mar 2 to Mar 22, 2026" in html
    assert 'name="owner"' not in html
    assert table(html, "Leads per week") == [
        ["Week", "Created", "Qualified", "Disqualified"],
        ["Mar 2 to Mar 8, 2026", "7", "0", "0"],
        ["Mar 9 to Mar 15, 2026", "0", "2", "1"],
        ["Mar 16 to Mar 22, 2026", "0", "0", "1"],
    ]
    assert table(html, "Disqualify reasons")[1:3] == [
        ["Lost", "1", "50%"],
        ["Cannot Contact", "1", "50%"],
    ]
    assert fact(html, "Qualification rate") == "50%"
    assert fact(html, "Linked an existing account or contact") == "50%"
    assert fact(html, "Duplicates stopped") == "1"
    assert table(html, "Opportunities from leads")[1:3] == [
        ["Develop", "1", "$1,000.00"],
        ["Propose", "1", "$2,000.00"],
    ]


def test_a_salesperson_cannot_pick_another_owner(client: Client, world: World) -> None:
    client.force_login(world.sam)

    for headers in ({}, HTMX):
        response = client.get(URL, {**MARCH, "owner": world.olga.pk}, **headers)
        assert response.status_code == 403
    assert client.get(URL, {**MARCH, "owner": world.sam.pk}).status_code == 200


def test_a_manager_sees_everyone_and_picks_an_owner(
    client: Client, manager: User, world: World
) -> None:
    html = page(client, manager, **MARCH)

    assert "Everyone&#x27;s leads · Mar 2 to Mar 22, 2026" in html
    assert '<option value="" selected>Everyone</option>' in html
    assert f'<option value="{world.olga.pk}">Olga Other</option>' in html
    assert table(html, "Leads per week")[1] == ["Mar 2 to Mar 8, 2026", "16", "0", "0"]
    assert fact(html, "Duplicates stopped") == "2"

    html = page(client, manager, **MARCH, owner=str(world.olga.pk))

    assert "Olga Other&#x27;s leads" in html
    assert f'<option value="{world.olga.pk}" selected>Olga Other</option>' in html
    assert table(html, "Leads per week")[1] == ["Mar 2 to Mar 8, 2026", "9", "0", "0"]
    assert table(html, "Duplicate decisions")[1] == ["Account", "1", "1"]


def test_a_manager_cannot_pick_someone_who_owns_no_leads(client: Client, manager: User) -> None:
    html = page(client, manager, owner=str(manager.pk))

    assert "Owner: Select a valid choice." in html
    assert 'class="insight ' not in html


def test_every_number_links_to_the_grid_listing_exactly_its_leads(
    client: Client, manager: User, world: World
) -> None:
    html = page(client, manager, **MARCH)
    cells = re.findall(r'<td><a href="([^"]+)" aria-label="([^"]+)">([\d,]+)</a></td>', html)
    facts = re.findall(
        r'<dt>([^<]+)</dt>\s*<dd><span class="fact-value"><a href="([^"]+)">([\d,]+)<', html
    )
    links = [(label, url, number) for url, label, number in cells] + facts

    # Every count in every table that is not zero, and the headline counts.
    assert len(cells) == 19
    assert [label for label, _url, _number in facts] == ["Leads decided", "Opportunities created"]
    for label, url, number in links:
        grid = client.get(unescape(url)).content.decode()
        count = re.search(r'<span class="grid-count">([\d,]+) leads?</span>', grid)
        assert count and count.group(1) == number, f"{label}: {unescape(url)}"


def test_the_links_keep_the_owner_picked(client: Client, manager: User, world: World) -> None:
    html = page(client, manager, **MARCH, owner=str(world.olga.pk))

    assert f"q=owner%3A{world.olga.pk}+created%3A2026-03-02..2026-03-08" in html


def test_the_charts_are_accessible_svg_with_a_table_beside_them(
    client: Client, world: World
) -> None:
    html = page(client, world.sam, **MARCH)

    for chart in ("weekly", "reasons", "sources", "records", "duplicates", "pipeline"):
        assert f'role="img" aria-labelledby="{chart}-chart-title {chart}-chart-desc"' in html, chart
        assert f'<title id="{chart}-chart-title">' in html
        assert (
            f'<input type="checkbox" role="switch" class="chart-toggle" id="{chart}-as-table">'
            in html
        )
        assert (
            f'<label for="{chart}-as-table" class="chart-toggle-label">Show as table</label>'
            in html
        )
    desc = re.search(r'<desc id="weekly-chart-desc">(.*?)</desc>', html).group(1)
    assert desc == (
        "3 weeks, Mar 2 to Mar 22, 2026: 7 leads created, 2 qualified and 2 disqualified. "
        "Most leads created in the week of Mar 2 to Mar 8, 2026 (7)."
    )
    assert 'aria-label="Week of Mar 2 to Mar 8, 2026: 7 created"' in html


def test_the_default_period_is_this_month(client: Client, salesperson: User) -> None:
    today = timezone.localdate()
    dated_lead(salesperson, created=today)
    dated_lead(salesperson, created=today.replace(day=1) - timedelta(days=1))

    html = page(client, salesperson)

    assert '<option value="this_month" selected>This month</option>' in html
    assert f'name="start" value="{today.replace(day=1).isoformat()}"' in html
    assert f'name="end" value="{today.isoformat()}"' in html
    assert sum(int(row[1]) for row in table(html, "Leads per week")[1:]) == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"period": "custom"}, CUSTOM_DAYS_MISSING),
        ({"period": "custom", "start": "2026-03-02"}, CUSTOM_DAYS_MISSING),
        (
            {"period": "custom", "start": "2026-03-22", "end": "2026-03-02"},
            f"To: {CUSTOM_DAYS_REVERSED}",
        ),
        (
            {"period": "custom", "start": "2025-01-01", "end": "2026-03-02"},
            f"To: {CUSTOM_DAYS_TOO_MANY}",
        ),
        (
            {"period": "custom", "start": "2026-02-30", "end": "2026-03-02"},
            "From: Enter a valid date.",
        ),
        ({"period": "decade"}, "Period: Select a valid choice. decade is not one of the"),
    ],
)
def test_bad_input_shows_what_is_wrong_and_draws_nothing(
    client: Client, world: World, params: dict[str, str], message: str
) -> None:
    html = page(client, world.sam, **params)

    problem = re.search(r'<div class="form-errors" role="alert">\s*<p>(.*?)</p>', html).group(1)
    assert unescape(problem).startswith(message)
    assert 'class="insight ' not in html


def test_a_preset_ignores_the_custom_days(client: Client, salesperson: User) -> None:
    today = timezone.localdate()

    html = page(client, salesperson, period="this_week", start="garbage", end="2020-01-01")

    assert "form-errors" not in html
    monday = today - timedelta(days=today.weekday())
    assert f'name="start" value="{monday.isoformat()}"' in html


def test_an_empty_period_says_so(client: Client, salesperson: User) -> None:
    html = page(client, salesperson, **MARCH)

    assert "No lead was created, qualified or disqualified in this period." in html
    assert "No opportunity was created from a lead in this period." in html
    assert fact(html, "Qualification rate") == "n/a"
    assert "<svg" not in html


def test_htmx_gets_the_figures_and_the_new_subheading(client: Client, world: World) -> None:
    client.force_login(world.sam)

    response = client.get(URL, MARCH, **HTMX)

    html = response.content.decode()
    assert html.lstrip().startswith('<div id="insights-figures"')
    assert '<p class="sub" id="insights-scope" hx-swap-oob="true">Your leads' in html
    assert "<html" not in html


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["page", "htmx"])
def test_it_takes_a_fixed_number_of_queries(
    client: Client, manager: User, world: World, django_assert_num_queries, headers
) -> None:
    client.force_login(world.sam)
    with django_assert_num_queries(SALESPERSON_QUERIES):
        assert client.get(URL, MARCH, **headers).status_code == 200

    client.force_login(manager)
    with django_assert_num_queries(MANAGER_QUERIES):
        assert client.get(URL, MARCH, **headers).status_code == 200


def test_it_rejects_post(sales_client: Client) -> None:
    assert sales_client.post(URL).status_code == 405


def test_qualification_states_reached_through_the_services_count_this_week(
    client: Client, salesperson: User
) -> None:
    qualified = dated_lead(salesperson, created=timezone.now(), company_name="Fabrikam")
    lost = dated_lead(salesperson, created=timezone.now())
    lead_qualify(lead_id=qualified.pk, acting_user=salesperson)
    lead_disqualify(lead=lost, reason=LeadStatus.LOST, acting_user=salesperson)

    html = page(client, salesperson, period="this_week")

    assert fact(html, "Qualification rate") == "50%"
    assert table(html, "Opportunities from leads")[1][:2] == ["Develop", "1"]
    assert table(html, "Created versus linked")[1][:3] == ["Account", "1", "0"]
