from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from crm.models import Account
from crm.services.timeline import timeline_event_add
from leads.models import LeadOrigin
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings) -> None:
    """Factories hash a password for every user they make; a fast hasher keeps this quick."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


LIST_URL = reverse("crm:account-list")
# Session, user, row count, the user's permissions (one query, crm.auth: the command bar's New
# needs crm.add_account), one page of rows with their owners: the same for any page size.
LIST_QUERIES = 5
# Session, user, account with its lead, the user's permissions (New), contacts, opportunities,
# the leads qualified into it, timeline.
DETAIL_QUERIES = 8


def names_on_page(response) -> list[str]:
    return [account.name for account in response.context["page_obj"].object_list]


def test_it_asks_for_a_login(client: Client) -> None:
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lists_accounts_by_name(sales_client: Client) -> None:
    AccountFactory(name="Fabrikam", city="Berlin")
    AccountFactory(name="Contoso", city="Seattle")

    response = sales_client.get(LIST_URL)

    assert response.status_code == 200
    assert names_on_page(response) == ["Contoso", "Fabrikam"]
    page = response.content.decode()
    for heading in ("Account Name", "Website", "Main Phone", "City", "Owner", "Created On"):
        assert heading in page
    assert "Seattle" in page


def test_it_sorts_by_a_column_both_ways(sales_client: Client) -> None:
    AccountFactory(name="A", city="Zurich")
    AccountFactory(name="B", city="Amsterdam")

    ascending = sales_client.get(LIST_URL, {"sort": "city"})
    descending = sales_client.get(LIST_URL, {"sort": "-city"})

    assert names_on_page(ascending) == ["B", "A"]
    assert names_on_page(descending) == ["A", "B"]
    assert 'aria-sort="descending"' in descending.content.decode()


def test_it_ignores_an_unknown_sort(sales_client: Client) -> None:
    AccountFactory(name="B")
    AccountFactory(name="A")

    response = sales_client.get(LIST_URL, {"sort": "normalized_name"})

    assert names_on_page(response) == ["A", "B"]


def test_it_finds_accounts_by_name_or_domain(sales_client: Client) -> None:
    AccountFactory(name="Contoso Ltd", website="https://www.contoso.com")
    AccountFactory(name="Fabrikam", website="https://fabrikam.example")
    AccountFactory(name="Northwind", website="https://www.nwind.com")

    by_name = sales_client.get(LIST_URL, {"q": "cont"})
    by_domain = sales_client.get(LIST_URL, {"q": "www.NWIND"})

    assert names_on_page(by_name) == ["Contoso Ltd"]
    assert names_on_page(by_domain) == ["Northwind"]


def test_it_shows_an_empty_state(sales_client: Client) -> None:
    response = sales_client.get(LIST_URL, {"q": "nothing like this"})

    assert "No accounts found" in response.content.decode()


def test_it_paginates(sales_client: Client) -> None:
    owner = UserFactory()
    for number in range(12):
        AccountFactory(name=f"Account {number:02}", owner=owner)

    response = sales_client.get(LIST_URL, {"per_page": 10, "page": 2})

    assert names_on_page(response) == ["Account 10", "Account 11"]
    assert "11\N{EN DASH}12 of 12" in response.content.decode()


def test_it_answers_htmx_with_the_grid_only(sales_client: Client) -> None:
    AccountFactory(name="Contoso")

    response = sales_client.get(LIST_URL, {"q": "con"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="account-grid"')
    assert "<html" not in page
    assert 'hx-push-url="true"' in page


def test_it_answers_a_history_restore_with_the_whole_page(sales_client: Client) -> None:
    response = sales_client.get(
        LIST_URL, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )

    assert "<html" in response.content.decode()


@pytest.mark.parametrize("per_page", [10, 50])
def test_it_costs_the_same_queries_for_any_page_size(
    sales_client: Client, django_assert_num_queries, per_page: int
) -> None:
    for _ in range(3):
        owner = UserFactory()
        AccountFactory.create_batch(20, owner=owner)

    with django_assert_num_queries(LIST_QUERIES):
        response = sales_client.get(LIST_URL, {"per_page": per_page})

    assert len(response.context["page_obj"].object_list) == per_page


def test_it_shows_an_account_with_its_contacts_opportunities_and_lead(
    sales_client: Client, django_assert_num_queries
) -> None:
    account = AccountFactory(name="Contoso", website="https://contoso.com", city="Seattle")
    ContactFactory(account=account, first_name="Nancy", last_name="Davolio")
    OpportunityFactory(customer_account=account, topic="Laptop refresh")
    lead = LeadFactory(first_name="Ann", last_name="Lee", topic="Chairs", qualified=True)
    LeadOrigin.objects.create(lead=lead, account=account)
    timeline_event_add(record=account, author=None, title="Created from a lead")
    ContentType.objects.get_for_model(Account)  # cached per process after the first request

    with django_assert_num_queries(DETAIL_QUERIES):
        response = sales_client.get(account.get_absolute_url())

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nancy Davolio" in page
    assert "Laptop refresh" in page
    assert lead.get_absolute_url() in page
    assert "Open originating lead" in page
    assert "Created from a lead" in page
    assert "Seattle" in page


def test_it_404s_for_a_missing_account(sales_client: Client) -> None:
    response = sales_client.get(reverse("crm:account-detail", args=[999]))

    assert response.status_code == 404


def test_the_admin_fills_the_match_keys(client: Client, admin_user) -> None:
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:crm_account_add"),
        {"name": "Contoso, Inc.", "website": "https://www.contoso.com/", "owner": admin_user.pk},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    account = Account.objects.get()
    assert (account.normalized_name, account.website_domain) == ("contoso", "contoso.com")


def test_the_admin_refreshes_the_match_keys_on_change(client: Client, admin_user) -> None:
    account = AccountFactory(name="Contoso", owner=admin_user)
    client.force_login(admin_user)

    client.post(
        reverse("admin:crm_account_change", args=[account.pk]),
        {"name": "Fabrikam GmbH", "website": "", "owner": admin_user.pk},
    )

    account.refresh_from_db()
    assert (account.normalized_name, account.website_domain) == ("fabrikam", "")
