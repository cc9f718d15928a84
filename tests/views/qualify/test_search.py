"""Search as you type under Use existing."""

from __future__ import annotations

import pytest

from tests.factories import AccountFactory, ContactFactory
from tests.views.qualify.screens import (
    HX,
    search_url,
)

pytestmark = pytest.mark.django_db


def test_it_searches_accounts_as_you_type(sales_client, lead):
    AccountFactory(name="Northwind Traders", city="Oslo", website="https://northwind.example")
    AccountFactory(name="Contoso", city="Paris")

    response = sales_client.get(search_url(lead, "account"), {"account-q": "north"}, **HX)

    body = response.content.decode()
    assert '<div id="account-search-results"' in body
    assert 'type="radio" name="account-existing"' in body
    assert "<span>Northwind Traders</span>" in body
    assert "Oslo · https://northwind.example" in body
    assert "Contoso" not in body


def test_it_keeps_the_picked_record_in_new_results(sales_client, lead):
    picked = AccountFactory(name="Contoso")
    AccountFactory(name="Northwind Traders")

    body = sales_client.get(
        search_url(lead, "account"), {"account-q": "north", "account-existing": picked.pk}, **HX
    ).content.decode()

    assert f'value="{picked.pk}" checked' in body
    assert "Northwind Traders" in body


def test_it_searches_contacts_with_their_email_and_account(sales_client, lead):
    account = AccountFactory(name="Tailspin Toys")
    ContactFactory(
        first_name="Ada", last_name="Lovelace", email="ada@tailspin.example", account=account
    )

    body = sales_client.get(
        search_url(lead, "contact"), {"contact-q": "lovel"}, **HX
    ).content.decode()

    assert "<span>Ada Lovelace</span>" in body
    assert "ada@tailspin.example · Tailspin Toys" in body


def test_it_says_when_nothing_matches(sales_client, lead):
    body = sales_client.get(
        search_url(lead, "account"), {"account-q": "zzz"}, **HX
    ).content.decode()

    assert "No accounts match “zzz”." in body


def test_it_404s_for_an_unknown_record_type(sales_client, lead):
    assert sales_client.get(search_url(lead, "opportunity"), **HX).status_code == 404
