"""The leads endpoints: the grid's list with cursor paging, one lead, create, update."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.contrib.auth.models import User

from api.paging import CURSOR_INVALID
from api.problems import NOT_FOUND, NOT_SIGNED_IN
from api.services.tokens import api_token_revoke
from leads.models import Lead, LeadState
from leads.services.errors import LEAD_CLOSED_READ_ONLY, LEAD_NOT_YOURS
from tests.api.conftest import ApiClient, problem
from tests.factories import AccountFactory, LeadFactory

# Token lookup (with its user), then the page's rows (with their owners): one query each. The
# token's first use in a minute also writes its last_used_at (one UPDATE more).
LIST_QUERIES = 2


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_my_open_leads_is_the_default_view(api: ApiClient, salesperson: User) -> None:
    mine = LeadFactory(owner=salesperson)
    LeadFactory()  # someone else's
    LeadFactory(owner=salesperson, qualified=True)
    assert _ids(api.get("/leads")) == [mine.pk]


def test_views_filter_words_and_quick_find(api: ApiClient, salesperson: User) -> None:
    # One owner and fixed companies for all: quick find matches owners' names and company names
    # too, and a random company may be "Smith, Jones and Brown".
    smith = LeadFactory(last_name="Smith", company_name="Contoso", owner=salesperson)
    lost = LeadFactory(
        last_name="Smithers", company_name="Fabrikam", disqualified=True, owner=salesperson
    )
    LeadFactory(last_name="Jones", company_name="Northwind", owner=salesperson)
    assert _ids(api.get("/leads", {"view": "all", "q": "Smith"})) == [lost.pk, smith.pk]
    assert _ids(api.get("/leads", {"view": "all", "q": "status:lost Smith"})) == [lost.pk]
    assert _ids(api.get("/leads", {"view": "closed"})) == [lost.pk]


def test_cursor_pages_follow_the_sort_without_repeats(api: ApiClient) -> None:
    leads = [LeadFactory(last_name=name) for name in ["Baker", "Adams", "Clark", "Adams", "Diaz"]]
    seen: list[int] = []
    params = {"view": "all", "sort": "name", "page_size": 2}
    response = api.get("/leads", params)
    while True:
        seen += _ids(response)
        cursor = response.json()["next"]
        if cursor is None:
            break
        response = api.get("/leads", {**params, "cursor": cursor})
    expected = sorted(leads, key=lambda lead: (lead.last_name, lead.first_name, -lead.pk))
    assert seen == [lead.pk for lead in expected]


def test_a_cursor_of_another_list_is_refused(api: ApiClient) -> None:
    LeadFactory.create_batch(3)
    cursor = api.get("/leads", {"view": "all", "page_size": 1}).json()["next"]
    response = api.get("/leads", {"view": "open", "page_size": 1, "cursor": cursor})
    assert response.status_code == 422
    assert problem(response)["detail"] == CURSOR_INVALID
    forged = api.get("/leads", {"view": "all", "cursor": "not-a-cursor"})
    assert problem(forged)["detail"] == CURSOR_INVALID


def test_bad_list_parameters_are_422(api: ApiClient) -> None:
    for params in ({"view": "nope"}, {"sort": "password"}, {"page_size": 0}, {"page_size": 101}):
        response = api.get("/leads", params)
        assert response.status_code == 422, params
        assert problem(response)["errors"]


@pytest.mark.parametrize("page_size", [1, 10, 50])
def test_list_queries_do_not_grow_with_the_page(
    api: ApiClient, django_assert_num_queries, page_size: int
) -> None:
    LeadFactory.create_batch(60)
    with django_assert_num_queries(LIST_QUERIES + 1):
        api.get("/leads", {"view": "all", "page_size": page_size})
    with django_assert_num_queries(LIST_QUERIES):
        response = api.get("/leads", {"view": "all", "page_size": page_size})
    assert len(_ids(response)) == page_size


def test_get_a_lead_anyones(api: ApiClient) -> None:
    lead = LeadFactory(company_name="Contoso", budget_amount="1250.50")
    body = api.get(f"/leads/{lead.pk}").json()
    assert body["id"] == lead.pk
    assert body["company_name"] == "Contoso"
    assert body["owner"] == lead.owner_id
    assert body["state"] == "open"


def test_missing_lead_is_404(api: ApiClient) -> None:
    response = api.get("/leads/999999")
    assert response.status_code == 404
    assert problem(response)["detail"] == NOT_FOUND


def test_without_a_token_401(anonymous_api: ApiClient) -> None:
    response = anonymous_api.get("/leads")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert problem(response)["detail"] == NOT_SIGNED_IN
    assert anonymous_api.post("/leads", {"topic": "x", "last_name": "y"}).status_code == 401
    assert not Lead.objects.exists()


def test_a_wrong_or_revoked_token_401(api: ApiClient, salesperson: User) -> None:
    assert ApiClient(api.client, api.token + "x").get("/leads").status_code == 401
    token = salesperson.api_tokens.get()
    api_token_revoke(token_id=token.pk, acting_user=salesperson)
    assert api.get("/leads").status_code == 401


def test_create_answers_201_with_the_lead_and_its_id(api: ApiClient, salesperson: User) -> None:
    account = AccountFactory()
    response = api.post(
        "/leads",
        {
            "topic": "Office chairs",
            "first_name": "Nina",
            "last_name": "Novak",
            "company_name": "Fabrikam",
            "email": "nina@fabrikam.example",
            "lead_source": "web",
            "budget_amount": "12500.00",
            "existing_account": account.pk,
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    lead = Lead.objects.get(pk=body["id"])
    assert response["Location"] == f"/api/v1/leads/{lead.pk}"
    assert (lead.owner, lead.state, lead.existing_account) == (salesperson, "open", account)
    assert body["budget_amount"] == "12500.00"
    assert body["existing_account"] == account.pk


def test_create_with_bad_values_says_what_and_creates_nothing(api: ApiClient) -> None:
    response = api.post(
        "/leads",
        {"topic": "", "last_name": "N", "email": "not-an-email", "lead_source": "carrier pigeon"},
    )
    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in problem(response)["errors"]}
    assert errors["email"] == "Enter a valid email address."
    # The lead form's messages, as the screens show them.
    assert errors["lead_source"] == (
        "Select a valid choice. carrier pigeon is not one of the available choices."
    )
    assert errors["topic"] == "This field is required."
    assert not Lead.objects.exists()


def test_create_refuses_unknown_fields_and_null_characters(api: ApiClient) -> None:
    unknown = api.post("/leads", {"topic": "t", "last_name": "n", "state": "qualified"})
    assert unknown.status_code == 422
    nul = api.post("/leads", {"topic": "t\x00", "last_name": "n"})
    assert nul.status_code == 422
    assert "Null characters are not allowed." in nul.content.decode()
    assert not Lead.objects.exists()


def test_update_changes_the_fields_sent(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Old", city="Springfield")
    response = api.patch(f"/leads/{lead.pk}", {"topic": "New", "purchase_timeframe": "this_year"})
    assert response.status_code == 200, response.content
    lead.refresh_from_db()
    assert (lead.topic, lead.city, lead.purchase_timeframe) == ("New", "Springfield", "this_year")
    assert response.json()["topic"] == "New"


def test_update_of_another_users_lead_is_refused(api: ApiClient) -> None:
    lead = LeadFactory(topic="Theirs")
    response = api.patch(f"/leads/{lead.pk}", {"topic": "Mine now"})
    assert response.status_code == 403
    assert problem(response)["detail"] == LEAD_NOT_YOURS
    lead.refresh_from_db()
    assert lead.topic == "Theirs"


def test_a_manager_updates_anyones_lead(manager_api: ApiClient) -> None:
    lead = LeadFactory(topic="Theirs")
    assert manager_api.patch(f"/leads/{lead.pk}", {"topic": "Fixed"}).status_code == 200


def test_update_of_a_closed_lead_is_refused(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, qualified=True)
    response = api.patch(f"/leads/{lead.pk}", {"topic": "Changed"})
    assert response.status_code == 409
    assert problem(response)["detail"] == LEAD_CLOSED_READ_ONLY
    assert Lead.objects.get(pk=lead.pk).state == LeadState.QUALIFIED


def test_update_with_a_bad_value(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson, topic="Kept")
    response = api.patch(f"/leads/{lead.pk}", {"budget_amount": "-5", "existing_contact": 4242})
    assert response.status_code == 422
    errors = {error["field"]: error["message"] for error in problem(response)["errors"]}
    assert set(errors) == {"budget_amount", "existing_contact"}
    assert errors["existing_contact"] == (
        "Select a valid choice. That choice is not one of the available choices."
    )
    assert Lead.objects.get(pk=lead.pk).topic == "Kept"


def test_update_takes_amounts_as_the_form_does(api: ApiClient, salesperson: User) -> None:
    lead = LeadFactory(owner=salesperson)
    response = api.patch(f"/leads/{lead.pk}", {"budget_amount": "12,500"})
    assert response.status_code == 200, response.content
    assert Decimal(response.json()["budget_amount"]) == Decimal("12500")
    lead.refresh_from_db()
    assert lead.budget_amount == Decimal("12500.00")


def test_cursor_pages_on_the_default_sort(api: ApiClient) -> None:
    leads = LeadFactory.create_batch(7)
    seen: list[int] = []
    response = api.get("/leads", {"view": "all", "page_size": 3})
    while True:
        seen += _ids(response)
        if response.json()["next"] is None:
            break
        response = api.get(
            "/leads", {"view": "all", "page_size": 3, "cursor": response.json()["next"]}
        )
    newest_first = sorted(leads, key=lambda lead: (lead.created_at, lead.pk), reverse=True)
    assert seen == [lead.pk for lead in newest_first]
