from __future__ import annotations

import pytest

from crm.models import Contact
from crm.services.contacts import contact_create, contact_update
from crm.services.errors import CONTACT_LAST_NAME_REQUIRED, ContactLastNameRequiredError
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_creates_a_contact_with_its_match_keys() -> None:
    account = AccountFactory()

    contact = contact_create(
        owner=account.owner,
        last_name="Davolio",
        first_name="  Nancy ",
        email=" Nancy.Davolio@CONTOSO.com ",
        account=account,
    )

    contact.refresh_from_db()
    assert contact.email_normalized == "nancy.davolio@contoso.com"
    assert contact.full_name_normalized == "nancy davolio"
    assert contact.account == account


def test_it_refreshes_the_contact_match_keys_on_update() -> None:
    contact = contact_create(owner=UserFactory(), last_name="Davolio", first_name="Nancy")

    contact_update(
        contact=contact,
        acting_user=contact.owner,
        last_name="Leverling",
        email="Janet@Fabrikam.com",
    )

    contact.refresh_from_db()
    assert contact.full_name_normalized == "nancy leverling"
    assert contact.email_normalized == "janet@fabrikam.com"


def test_it_refuses_a_contact_without_a_last_name() -> None:
    with pytest.raises(ContactLastNameRequiredError) as error:
        contact_create(owner=UserFactory(), last_name="", first_name="Nancy")

    assert error.value.message == CONTACT_LAST_NAME_REQUIRED
    assert not Contact.objects.exists()
