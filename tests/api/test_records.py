"""Accounts, contacts and opportunities: list (quick find, views, cursor pages, queries pinned)
and get."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from api.problems import NOT_FOUND
from tests.api.conftest import ApiClient, problem
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory

# The token (with its user), then the page's rows with what they show: one query each.
LIST_QUERIES = 2


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _all_pages(api: ApiClient, path: str, params: dict) -> list[int]:
    seen: list[int] = []
    response = api.get(path, params)
    while True:
        seen += _ids(response)
        if response.json()["next"] is None:
            return seen
        response = api.get(path, {**params, "cursor": response.json()["next"]})


def test_accounts_newest_first_with_quick_find(api: ApiClient) -> None:
    contoso = AccountFactory(name="Contoso Ltd")
    AccountFactory(name="Fabrikam")
    newer = AccountFactory(name="Contoso Pharma")
    assert _ids(api.get("/accounts", {"q": "contoso"})) == [newer.pk, contoso.pk]
    body = api.get(f"/accounts/{contoso.pk}").json()
    assert (body["name"], body["owner"]) == ("Contoso Ltd", contoso.owner_id)


def test_contacts_pages_cover_every_contact_once(api: ApiClient) -> None:
    contacts = ContactFactory.create_batch(7)
    seen = _all_pages(api, "/contacts", {"page_size": 3})
    assert seen == sorted((contact.pk for contact in contacts), reverse=True)
    body = api.get(f"/contacts/{contacts[0].pk}").json()
    assert body["account"] == contacts[0].account_id


def test_opportunities_views(api: ApiClient, salesperson: User) -> None:
    mine = OpportunityFactory(owner=salesperson)
    theirs = OpportunityFactory()
    assert _ids(api.get("/opportunities")) == [mine.pk]
    assert _ids(api.get("/opportunities", {"view": "all"})) == [theirs.pk, mine.pk]
    assert api.get("/opportunities", {"view": "nope"}).status_code == 422
    body = api.get(f"/opportunities/{theirs.pk}").json()
    assert (body["topic"], body["stage"]) == (theirs.topic, theirs.stage)


@pytest.mark.parametrize("path", ["/accounts/999", "/contacts/999", "/opportunities/999"])
def test_a_missing_record_is_404(api: ApiClient, path: str) -> None:
    response = api.get(path)
    assert response.status_code == 404
    assert problem(response)["detail"] == NOT_FOUND


@pytest.mark.parametrize("path", ["/accounts", "/contacts", "/opportunities"])
def test_without_a_token_401(anonymous_api: ApiClient, path: str) -> None:
    assert anonymous_api.get(path).status_code == 401


@pytest.mark.parametrize("page_size", [1, 25])
def test_list_queries_do_not_grow_with_the_page(
    api: ApiClient, django_assert_num_queries, page_size: int
) -> None:
    ContactFactory.create_batch(30)
    OpportunityFactory.create_batch(30)
    api.get("/accounts")  # the token's last_used_at is written once a minute
    for path, params in (
        ("/accounts", {}),
        ("/contacts", {}),
        ("/opportunities", {"view": "all"}),
    ):
        with django_assert_num_queries(LIST_QUERIES):
            response = api.get(path, {**params, "page_size": page_size})
        assert len(_ids(response)) == page_size
