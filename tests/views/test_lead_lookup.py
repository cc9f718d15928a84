"""Existing Account / Existing Contact: one lookup each. The flyout draws a plain select (what
works without JavaScript) with the combobox beside it; the lookup answers listbox options that
tell namesakes apart."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.factories import AccountFactory, ContactFactory, LeadFactory

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


def _lookup(client: Client, record_type: str, query: str) -> str:
    url = reverse("leads:lead-lookup", args=[record_type])
    return client.get(url, {"q": query}, **HTMX).content.decode()


def test_it_tells_namesake_accounts_apart_by_city(sales_client: Client) -> None:
    paris = AccountFactory(name="Contoso", city="Paris")
    oslo = AccountFactory(name="Contoso", city="Oslo")
    AccountFactory(name="Fabrikam", city="Rome")

    html = _lookup(sales_client, "account", "con")

    for account, city in ((paris, "Paris"), (oslo, "Oslo")):
        assert (
            f'<li role="option" data-value="{account.pk}" data-autocomplete-value="Contoso">'
            '<span class="lookup-name">Contoso</span> '
            f'<span class="lookup-detail">{city}</span></li>'
        ) in html
    assert "Fabrikam" not in html


def test_an_account_without_a_city_shows_its_email(sales_client: Client) -> None:
    AccountFactory(name="Northwind", city="", email="info@northwind.example")

    assert '<span class="lookup-detail">info@northwind.example</span>' in _lookup(
        sales_client, "account", "north"
    )


def test_it_shows_a_contacts_email_and_account(sales_client: Client) -> None:
    account = AccountFactory(name="Co")
    ann = ContactFactory(first_name="Ann", last_name="Lee", email="ann@co.example", account=account)
    ContactFactory(first_name="Ann", last_name="Lee", email="ann.lee@other.example")

    html = _lookup(sales_client, "contact", "ann")

    assert (
        f'<li role="option" data-value="{ann.pk}" data-autocomplete-value="Ann Lee">'
        '<span class="lookup-name">Ann Lee</span> '
        '<span class="lookup-detail">ann@co.example · Co</span></li>'
    ) in html
    assert '<span class="lookup-detail">ann.lee@other.example</span>' in html


def test_it_says_when_nothing_matches(sales_client: Client) -> None:
    html = _lookup(sales_client, "account", "zzz")

    assert 'role="option"' not in html
    assert (
        '<li role="presentation" aria-hidden="true" data-no-result-found="true" '
        'class="lookup-empty">No matches</li>'
    ) in html


def test_it_escapes_what_it_shows(sales_client: Client) -> None:
    AccountFactory(name='<b>"Bold"</b>', city="<i>x</i>")

    html = _lookup(sales_client, "account", "<b")

    assert "<b>" not in html and "<i>" not in html
    assert "&lt;b&gt;&quot;Bold&quot;&lt;/b&gt;" in html


def test_the_flyout_draws_one_lookup_per_record_type(
    sales_client: Client, salesperson: User
) -> None:
    account = AccountFactory(name="Contoso", city="Paris")
    lead = LeadFactory(owner=salesperson, existing_account=account)

    html = sales_client.get(
        reverse("leads:lead-stage-edit", args=[lead.pk]), **HTMX
    ).content.decode()

    # One label per field; the plain select works without JavaScript, the combobox with it.
    assert html.count(">Existing Account</label>") == 1
    assert 'type="search"' not in html
    assert '<select name="existing_account" id="id_existing_account">' in html
    assert f'<option value="{account.pk}" selected>Contoso · Paris</option>' in html
    # Existing Contact comes first (the step order), Existing Account second.
    combobox = html.split('<auto-complete class="lookup-combobox"')[2].split("</auto-complete>")[0]
    assert combobox.startswith(
        f' src="{reverse("leads:lead-lookup", args=["account"])}" '
        'for="id_existing_account_results" data-lookup-combobox hidden>'
    )
    assert re.search(
        r'<input type="text" id="id_existing_account_search" value="Contoso · Paris"', combobox
    )
    assert (
        f'<input type="hidden" name="existing_account" value="{account.pk}" '
        "data-lookup-value disabled>"
    ) in combobox
