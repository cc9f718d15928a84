from __future__ import annotations

import pytest

from crm.models import Account, Contact
from crm.services.accounts import account_create, account_update
from crm.services.errors import ACCOUNT_NAME_REQUIRED, AccountNameRequiredError
from crm.services.fields import account_match_keys, contact_match_keys
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_creates_an_account_with_its_match_keys() -> None:
    owner = UserFactory()

    account = account_create(
        owner=owner, name=" Contoso, Ltd. ", website="https://www.Contoso.com/about", city="Oslo"
    )

    account.refresh_from_db()
    assert (account.name, account.city, account.owner) == ("Contoso, Ltd.", "Oslo", owner)
    assert account.normalized_name == "contoso"
    assert account.website_domain == "contoso.com"


def test_it_refreshes_the_account_match_keys_on_update() -> None:
    account = account_create(owner=UserFactory(), name="Contoso Ltd", website="contoso.com")

    account_update(
        account=account,
        acting_user=account.owner,
        name="Fabrikam GmbH",
        website="https://fabrikam.de",
    )

    account.refresh_from_db()
    assert (account.normalized_name, account.website_domain) == ("fabrikam", "fabrikam.de")


def test_it_refuses_an_account_without_a_name() -> None:
    owner = UserFactory()

    with pytest.raises(AccountNameRequiredError) as error:
        account_create(owner=owner, name="   ")

    assert error.value.message == ACCOUNT_NAME_REQUIRED
    assert not Account.objects.exists()


def test_it_refuses_to_blank_an_account_name() -> None:
    account = AccountFactory(name="Contoso")

    with pytest.raises(AccountNameRequiredError):
        account_update(account=account, acting_user=account.owner, name="")

    account.refresh_from_db()
    assert account.name == "Contoso"


def test_it_refuses_a_field_it_does_not_own() -> None:
    with pytest.raises(TypeError, match="normalized_name"):
        account_create(owner=UserFactory(), name="Contoso", normalized_name="other")


def test_the_key_functions_fill_unsaved_records_for_bulk_create() -> None:
    owner = UserFactory()
    accounts = [account_match_keys(Account(name=f"Contoso {n} Inc", owner=owner)) for n in (1, 2)]
    contacts = [
        contact_match_keys(Contact(first_name="Ann", last_name="Lee", email="A@X.com", owner=owner))
    ]

    Account.objects.bulk_create(accounts)
    Contact.objects.bulk_create(contacts)

    assert sorted(Account.objects.values_list("normalized_name", flat=True)) == [
        "contoso 1",
        "contoso 2",
    ]
    assert Contact.objects.get().email_normalized == "a@x.com"
