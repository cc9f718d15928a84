"""The merge page (crm:account-merge, crm:contact-merge): opened from the grids' Merge command
or the duplicate dialog with the ids in the query string, the records side by side, then the
merge itself."""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from crm.models import Account, Contact
from crm.selectors import timeline_for
from crm.services.errors import (
    MERGE_NOT_ALLOWED,
    MERGE_RECORD_GONE,
    MERGE_SAME_RECORD,
    MERGE_SOURCE_INVALID,
    MERGE_TOO_FEW,
    MERGE_TOO_MANY,
)
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory
from tests.security.world import snapshot, snapshot_diff

pytestmark = pytest.mark.django_db

ACCOUNT_MERGE = reverse("crm:account-merge")
CONTACT_MERGE = reverse("crm:contact-merge")
HTMX = {"HX-Request": "true"}


@pytest.fixture
def duplicates(salesperson: User) -> tuple[Account, Account]:
    master = AccountFactory(owner=salesperson, name="Contoso Ltd", phone="", city="Seattle")
    other = AccountFactory(owner=salesperson, name="CONTOSO", phone="+1 555 0100", city="Oslo")
    ContactFactory.create_batch(2, account=other, owner=salesperson)
    return master, other


def test_it_shows_the_records_side_by_side_with_the_defaults_chosen(
    sales_client: Client, duplicates
) -> None:
    master, other = duplicates

    response = sales_client.get(ACCOUNT_MERGE, {"ids": [master.pk, other.pk]})

    page = response.content.decode()
    assert response.status_code == 200
    assert "<title>Merge accounts · CRM</title>" in page
    assert f'name="master" value="{master.pk}" checked' in page
    assert f'name="field-name" value="{master.pk}" checked' in page
    assert f'name="field-phone" value="{other.pk}" checked' in page, "the master's is empty"
    assert f'name="field-city" value="{master.pk}" checked' in page
    assert "<legend>Main Phone</legend>" in page
    assert "2 contacts (Account Name)" in page
    assert ">Merge</button>" in page


def test_the_master_is_the_first_id_unless_one_is_named(sales_client: Client, duplicates) -> None:
    master, other = duplicates

    page = sales_client.get(
        ACCOUNT_MERGE, {"ids": [master.pk, other.pk], "master": other.pk}
    ).content.decode()

    assert f'name="master" value="{other.pk}" checked' in page
    assert f'name="field-city" value="{other.pk}" checked' in page


def test_picking_another_master_redraws_the_choices(sales_client: Client, duplicates) -> None:
    master, other = duplicates

    response = sales_client.get(
        ACCOUNT_MERGE,
        {"ids": [master.pk, other.pk], "master": other.pk, "field-city": master.pk},
        headers=HTMX,
    )

    page = response.content.decode()
    assert page.lstrip().startswith('<section id="merge-form"')
    assert f'name="field-city" value="{other.pk}" checked' in page, "defaults follow the master"


def test_it_merges_and_opens_the_master(sales_client: Client, salesperson, duplicates) -> None:
    master, other = duplicates

    response = sales_client.post(
        ACCOUNT_MERGE,
        {
            "ids": [master.pk, other.pk],
            "master": master.pk,
            "field-name": master.pk,
            "field-city": other.pk,
        },
        headers=HTMX,
    )

    assert response["HX-Redirect"] == master.get_absolute_url()
    assert not Account.objects.filter(pk=other.pk).exists()
    master.refresh_from_db()
    assert (master.name, master.city, master.phone) == ("Contoso Ltd", "Oslo", "+1 555 0100")
    assert master.contacts.count() == 2
    page = sales_client.get(master.get_absolute_url()).content.decode()
    assert "Merged 1 account into Contoso Ltd." in page
    event = timeline_for(record=master).get(kind="system")
    assert (event.title, event.author) == ("Merged 1 account into this one", salesperson)


def test_it_merges_without_javascript(sales_client: Client, duplicates) -> None:
    master, other = duplicates

    response = sales_client.post(ACCOUNT_MERGE, {"ids": [other.pk, master.pk]})

    assert (response.status_code, response["Location"]) == (302, other.get_absolute_url())
    assert not Account.objects.filter(pk=master.pk).exists()


def test_it_merges_contacts(sales_client: Client, salesperson: User) -> None:
    master = ContactFactory(owner=salesperson, first_name="Nancy", last_name="Davolio")
    other = ContactFactory(owner=salesperson, first_name="Nancy", last_name="DAVOLIO")
    opportunity = OpportunityFactory(
        owner=salesperson, customer_account=None, account=None, customer_contact=other
    )

    page = sales_client.get(CONTACT_MERGE, {"ids": [master.pk, other.pk]}).content.decode()
    response = sales_client.post(CONTACT_MERGE, {"ids": [master.pk, other.pk]})

    assert "<legend>Last Name</legend>" in page
    assert "1 opportunity (Potential Customer (contact))" in page
    assert response.status_code == 302
    opportunity.refresh_from_db()
    assert opportunity.customer_contact == master
    assert not Contact.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({}, "Select two or more accounts in the grid to merge."),
        ({"ids": "abc"}, "Select two or more accounts in the grid to merge."),
        ({"ids": "-3"}, "Select two or more accounts in the grid to merge."),
        ({"ids": "²"}, "Select two or more accounts in the grid to merge."),
        ("one", MERGE_TOO_FEW.format(records="accounts")),
        ("same", MERGE_SAME_RECORD.format(records="accounts")),
        ("gone", MERGE_RECORD_GONE.format(records="accounts")),
        ("six", MERGE_TOO_MANY.format(limit=5, records="accounts")),
    ],
)
def test_bad_selections_say_what_is_wrong(
    sales_client: Client, salesperson: User, query, message: str
) -> None:
    account = AccountFactory(owner=salesperson)
    queries = {
        "one": {"ids": [account.pk]},
        "same": {"ids": [account.pk, account.pk]},
        "gone": {"ids": [account.pk, 987654]},
        "six": {"ids": [a.pk for a in AccountFactory.create_batch(6, owner=salesperson)]},
    }
    params = queries[query] if isinstance(query, str) else query
    before = snapshot()

    shown = sales_client.get(ACCOUNT_MERGE, params)
    posted = sales_client.post(ACCOUNT_MERGE, params)

    for response in (shown, posted):
        page = response.content.decode()
        assert response.status_code == 200
        assert html.escape(message) in page
        assert ">Merge</button>" not in page
    assert snapshot_diff(before, snapshot()) == []


def test_a_bad_field_choice_is_refused(sales_client: Client, duplicates) -> None:
    master, other = duplicates
    stranger = AccountFactory()
    before = snapshot()

    for value in (str(stranger.pk), "x"):
        response = sales_client.post(
            ACCOUNT_MERGE, {"ids": [master.pk, other.pk], "field-name": value}
        )

        assert MERGE_SOURCE_INVALID.format(field="Account Name", records="accounts") in (
            response.content.decode()
        )
    assert snapshot_diff(before, snapshot()) == []


def test_a_salesperson_cannot_merge_another_salespersons_record(
    sales_client: Client, salesperson: User, other_salesperson: User
) -> None:
    mine = AccountFactory(owner=salesperson, name="Contoso")
    theirs = AccountFactory(owner=other_salesperson, name="CONTOSO")
    message = MERGE_NOT_ALLOWED.format(records="accounts", names=f"CONTOSO (#{theirs.pk})")
    before = snapshot()

    shown = sales_client.get(ACCOUNT_MERGE, {"ids": [mine.pk, theirs.pk]}).content.decode()
    posted = sales_client.post(ACCOUNT_MERGE, {"ids": [mine.pk, theirs.pk]})

    assert message in shown
    assert 'class="danger" disabled>Merge</button>' in shown
    assert message in posted.content.decode()
    assert snapshot_diff(before, snapshot()) == []


def test_a_sales_manager_can(client: Client, manager: User, other_salesperson: User) -> None:
    first, second = AccountFactory.create_batch(2, owner=other_salesperson)
    client.force_login(manager)

    response = client.post(ACCOUNT_MERGE, {"ids": [first.pk, second.pk]})

    assert response.status_code == 302
    assert not Account.objects.filter(pk=second.pk).exists()


def test_the_grids_send_the_ticked_rows_to_the_merge_page(sales_client: Client, duplicates) -> None:
    master, _other = duplicates

    accounts = sales_client.get(reverse("crm:account-list")).content.decode()
    contacts = sales_client.get(reverse("crm:contact-list")).content.decode()

    assert f'<form id="account-selection" method="get" action="{ACCOUNT_MERGE}">' in accounts
    assert f'name="ids" value="{master.pk}" data-row-select' in accounts
    assert '<button type="submit" class="command" form="account-selection">Merge</button>' in (
        accounts
    )
    assert f'<form id="contact-selection" method="get" action="{CONTACT_MERGE}">' in contacts
