"""The opportunity grid: its views, quick find, sort, paging and pinned query counts."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import (
    AccountFactory,
    ContactFactory,
    OpportunityFactory,
)
from tests.views.opportunity_urls import (
    HTMX,
)

pytestmark = pytest.mark.django_db


LIST_URL = reverse("crm:opportunity-list")


def topics_on_page(response) -> list[str]:
    return [opportunity.topic for opportunity in response.context["page_obj"].object_list]


# Lists ----------------------------------------------------------------------------------


def test_it_asks_for_a_login(client: Client) -> None:
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_my_open_opportunities_is_the_default_view(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    OpportunityFactory(owner=salesperson, topic="Mine")
    OpportunityFactory(owner=salesperson, topic="Mine, won", state="won", status_reason="won")
    OpportunityFactory(owner=other_salesperson, topic="Theirs")

    response = sales_client.get(LIST_URL)

    assert topics_on_page(response) == ["Mine"]
    page = response.content.decode()
    for name in ("My Open Opportunities", "Open Opportunities", "All Opportunities"):
        assert name in page
    for heading in ("Topic", "Potential Customer", "Est. Revenue", "Status", "Sales Stage"):
        assert heading in page


def test_open_and_all_opportunities(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    OpportunityFactory(owner=salesperson, topic="Mine")
    OpportunityFactory(owner=other_salesperson, topic="Theirs")
    OpportunityFactory(
        owner=other_salesperson, topic="Lost", state="lost", status_reason="canceled"
    )

    open_view = sales_client.get(LIST_URL, {"view": "open", "sort": "topic"})
    all_view = sales_client.get(LIST_URL, {"view": "all", "sort": "topic"})

    assert topics_on_page(open_view) == ["Mine", "Theirs"]
    assert topics_on_page(all_view) == ["Lost", "Mine", "Theirs"]


def test_it_sorts_and_finds_by_potential_customer(sales_client: Client, salesperson) -> None:
    OpportunityFactory(owner=salesperson, topic="A", customer_account=AccountFactory(name="Zeta"))
    OpportunityFactory(
        owner=salesperson,
        topic="B",
        customer_account=None,
        account=None,
        customer_contact=ContactFactory(last_name="Adams"),
    )

    by_customer = sales_client.get(LIST_URL, {"sort": "customer"})
    found = sales_client.get(LIST_URL, {"q": "zet"})

    assert topics_on_page(by_customer) == ["B", "A"]
    assert topics_on_page(found) == ["A"]


def test_it_paginates_with_htmx_and_pushes_the_url(sales_client: Client, salesperson) -> None:
    for number in range(11):
        OpportunityFactory(owner=salesperson, topic=f"Topic {number:02}")

    response = sales_client.get(
        LIST_URL, {"per_page": 10, "page": 2, "sort": "topic"}, headers=HTMX
    )

    assert topics_on_page(response) == ["Topic 10"]
    page = response.content.decode()
    assert page.lstrip().startswith('<section id="opportunity-grid"')
    assert 'hx-push-url="true"' in page


# Session, user, row count, one page of rows with owners and potential customers: the same for
# every view, sort, quick find and page size.
LIST_QUERIES = 4


@pytest.fixture
def sixty_opportunities(salesperson, other_salesperson) -> None:
    """Open, won and lost, the user's and another's, customers accounts and contacts."""
    states = [("open", "in_progress"), ("won", "won"), ("lost", "out_sold")]
    for index in range(60):
        state, reason = states[index % 3]
        owner = salesperson if index % 2 else other_salesperson
        customer = {}
        if index % 4 == 0:
            customer = {"customer_account": None, "account": None}
            customer["customer_contact"] = ContactFactory()
        OpportunityFactory(owner=owner, state=state, status_reason=reason, **customer)


@pytest.mark.parametrize("per_page", [10, 25, 50, 100])
@pytest.mark.parametrize("view", ["my_open", "open", "closed", "won", "lost", "all"])
def test_it_costs_the_same_queries_for_every_view_and_page_size(
    sales_client: Client,
    sixty_opportunities,
    django_assert_num_queries,
    view: str,
    per_page: int,
) -> None:
    with django_assert_num_queries(LIST_QUERIES):
        response = sales_client.get(LIST_URL, {"view": view, "per_page": per_page})

    assert response.status_code == 200
    assert len(response.context["page_obj"].object_list) == min(
        per_page, response.context["page_obj"].paginator.count
    )


@pytest.mark.parametrize("sort", ["topic", "-customer", "revenue", "-owner", "stage"])
def test_it_costs_the_same_queries_for_every_sort_and_a_quick_find(
    sales_client: Client,
    salesperson: User,
    sixty_opportunities,
    django_assert_num_queries,
    sort: str,
) -> None:
    # At least one match, whatever the generated names: a find that matches nothing reads no
    # page of rows (one query fewer).
    OpportunityFactory(owner=salesperson, topic="Alpine fleet")

    with django_assert_num_queries(LIST_QUERIES):
        response = sales_client.get(LIST_URL, {"view": "all", "sort": sort, "q": "a"}, headers=HTMX)

    assert "Alpine fleet" in response.content.decode()


@pytest.mark.parametrize(
    ("view", "label", "topics"),
    [
        ("closed", "Closed Opportunities", ["Lost", "Won"]),
        ("won", "Won Opportunities", ["Won"]),
        ("lost", "Lost Opportunities", ["Lost"]),
    ],
)
def test_the_closed_won_and_lost_views(
    sales_client: Client, salesperson: User, view: str, label: str, topics: list[str]
) -> None:
    OpportunityFactory(owner=salesperson, topic="Open")
    OpportunityFactory(owner=salesperson, topic="Won", state="won", status_reason="won")
    OpportunityFactory(owner=salesperson, topic="Lost", state="lost", status_reason="canceled")

    response = sales_client.get(LIST_URL, {"view": view, "sort": "topic"})

    assert topics_on_page(response) == topics
    page = response.content.decode()
    assert f"<title>{label} · CRM</title>" in page
    assert f'<option value="{view}" selected>{label}</option>' in page


def test_an_unknown_view_shows_my_open_opportunities(sales_client: Client, salesperson) -> None:
    OpportunityFactory(owner=salesperson, topic="Mine")
    OpportunityFactory(topic="Theirs")

    assert topics_on_page(sales_client.get(LIST_URL, {"view": "everything"})) == ["Mine"]


def test_topics_sort_without_regard_to_case(sales_client: Client, salesperson) -> None:
    for topic in ("CONTOSO renewal", "City Power & Light chairs", "adventure desks"):
        OpportunityFactory(owner=salesperson, topic=topic)

    response = sales_client.get(LIST_URL, {"sort": "topic"})

    assert topics_on_page(response) == [
        "adventure desks",
        "City Power & Light chairs",
        "CONTOSO renewal",
    ]


def test_revenue_shows_with_the_currency(sales_client: Client, salesperson, settings) -> None:
    settings.CURRENCY = "EUR"
    OpportunityFactory(owner=salesperson, estimated_revenue="1234567.50")

    assert "€1,234,567.50" in sales_client.get(LIST_URL).content.decode()
