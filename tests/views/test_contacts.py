from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse

from crm.models import Contact
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


LIST_URL = reverse("crm:contact-list")
# Session, user, row count, the user's permissions (one query, crm.auth: the command bar's New
# needs crm.add_contact), one page of rows with their owners and accounts.
LIST_QUERIES = 5
# Session, user, contact with account and lead, the user's permissions (New), opportunities,
# the leads qualified into it, timeline (content types are cached per process).
DETAIL_QUERIES = 7


def names_on_page(response) -> list[str]:
    return [contact.full_name for contact in response.context["page_obj"].object_list]


def test_it_asks_for_a_login(client: Client) -> None:
    response = client.get(LIST_URL)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_it_lists_contacts_by_last_name(sales_client: Client) -> None:
    contoso = AccountFactory(name="Contoso")
    ContactFactory(first_name="Nancy", last_name="Davolio", account=contoso)
    ContactFactory(first_name="Andrew", last_name="Fuller")

    response = sales_client.get(LIST_URL)

    assert names_on_page(response) == ["Nancy Davolio", "Andrew Fuller"]
    page = response.content.decode()
    assert contoso.get_absolute_url() in page
    for heading in ("Full Name", "Email", "Business Phone", "Account Name", "Job Title"):
        assert heading in page


def test_it_sorts_by_account(sales_client: Client) -> None:
    ContactFactory(last_name="A", account=AccountFactory(name="Zeta"))
    ContactFactory(last_name="B", account=AccountFactory(name="Alpha"))

    response = sales_client.get(LIST_URL, {"sort": "account"})

    assert [c.last_name for c in response.context["page_obj"].object_list] == ["B", "A"]


@pytest.mark.parametrize("query", ["NANCY.DAV", "nancy dav", "Davo", "Contoso"])
def test_it_finds_contacts_by_email_full_name_last_name_or_account(
    sales_client: Client, query: str
) -> None:
    ContactFactory(
        first_name="Nancy",
        last_name="Davolio",
        email="nancy.davolio@contoso.com",
        email_normalized="nancy.davolio@contoso.com",
        account=AccountFactory(name="Contoso"),
    )
    ContactFactory(first_name="Andrew", last_name="Fuller", account=AccountFactory(name="Other"))

    response = sales_client.get(LIST_URL, {"q": query})

    assert names_on_page(response) == ["Nancy Davolio"]


def test_it_paginates_with_htmx(sales_client: Client) -> None:
    owner = UserFactory()
    for number in range(11):
        ContactFactory(first_name="Pat", last_name=f"Person {number:02}", owner=owner)

    response = sales_client.get(
        LIST_URL, {"per_page": 10, "page": 2}, headers={"HX-Request": "true"}
    )

    assert names_on_page(response) == ["Pat Person 10"]
    assert response.content.decode().lstrip().startswith('<section id="contact-grid"')


@pytest.mark.parametrize("per_page", [10, 50])
def test_it_costs_the_same_queries_for_any_page_size(
    sales_client: Client, django_assert_num_queries, per_page: int
) -> None:
    for _ in range(3):
        account = AccountFactory()
        ContactFactory.create_batch(20, account=account, owner=account.owner)

    with django_assert_num_queries(LIST_QUERIES):
        response = sales_client.get(LIST_URL, {"per_page": per_page})

    assert len(response.context["page_obj"].object_list) == per_page


def test_it_shows_a_contact_with_its_account_opportunities_and_lead(
    sales_client: Client, django_assert_num_queries
) -> None:
    account = AccountFactory(name="Contoso")
    contact = ContactFactory(first_name="Nancy", last_name="Davolio", account=account)
    OpportunityFactory(customer_account=None, customer_contact=contact, account=None, topic="Desk")
    lead = LeadFactory(qualified=True)
    LeadOrigin.objects.create(lead=lead, contact=contact)
    ContentType.objects.get_for_model(Contact)  # cached per process after the first request

    with django_assert_num_queries(DETAIL_QUERIES):
        response = sales_client.get(contact.get_absolute_url())

    page = response.content.decode()
    assert "Nancy Davolio" in page
    assert account.get_absolute_url() in page
    assert "Desk" in page
    assert lead.get_absolute_url() in page


def test_it_shows_a_contact_without_account_or_lead(sales_client: Client) -> None:
    contact = ContactFactory(last_name="Solo")

    response = sales_client.get(contact.get_absolute_url())

    assert response.status_code == 200
    assert "Open originating lead" not in response.content.decode()


def test_it_404s_for_a_missing_contact(sales_client: Client) -> None:
    assert sales_client.get(reverse("crm:contact-detail", args=[404])).status_code == 404


def test_the_admin_fills_the_match_keys(client: Client, admin_user) -> None:
    client.force_login(admin_user)

    response = client.post(
        reverse("admin:crm_contact_add"),
        {
            "first_name": "Nancy",
            "last_name": "Davolio",
            "email": "Nancy.Davolio@Contoso.com",
            "owner": admin_user.pk,
        },
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    contact = Contact.objects.get()
    assert contact.email_normalized == "nancy.davolio@contoso.com"
    assert contact.full_name_normalized == "nancy davolio"


# The Account Name picker -----------------------------------------------------------------------


def test_the_picker_lists_the_accounts_the_search_finds(sales_client: Client) -> None:
    contoso = AccountFactory(name="Contoso")
    AccountFactory(name="Fabrikam")
    chosen = AccountFactory(name="Northwind")

    response = sales_client.get(
        reverse("crm:account-options"), {"account_q": "cont", "account": chosen.pk}
    )

    page = response.content.decode()
    assert f'<option value="{chosen.pk}" selected>Northwind</option>' in page, "kept selected"
    assert f'<option value="{contoso.pk}">Contoso</option>' in page
    assert "Fabrikam" not in page


def test_the_contact_form_shows_the_selected_account_and_saves_a_picked_one(
    sales_client: Client, salesperson
) -> None:
    current, picked = AccountFactory(name="Contoso"), AccountFactory(name="Fabrikam")
    contact = ContactFactory(owner=salesperson, account=current, last_name="Davolio")
    edit = reverse("crm:contact-edit", args=[contact.pk])

    form = sales_client.get(edit, headers={"HX-Request": "true"}).content.decode()
    sales_client.post(edit, {"last_name": "Davolio", "account": picked.pk})

    assert f'<option value="{current.pk}" selected>Contoso</option>' in form
    assert 'hx-get="/accounts/options/"' in form
    contact.refresh_from_db()
    assert contact.account == picked


def test_the_contact_form_refuses_an_account_that_is_gone(
    sales_client: Client, salesperson
) -> None:
    contact = ContactFactory(owner=salesperson, account=None, last_name="Davolio")

    response = sales_client.post(
        reverse("crm:contact-edit", args=[contact.pk]), {"last_name": "Davolio", "account": 98765}
    )

    assert "Select a valid choice." in response.content.decode()
    contact.refresh_from_db()
    assert contact.account is None
