"""Deleting accounts and contacts (crm.services.deletion): refused, with the reason, while open
opportunities or open leads point at the record, or it is an opportunity's Potential Customer;
otherwise gone with its timeline, and what pointed at it keeps going without the link."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Account, Contact, OpportunityState, OpportunityStatus, TimelineEntry
from crm.services.accounts import account_delete
from crm.services.contacts import contact_delete
from crm.services.deletion import record_delete_refusal
from crm.services.errors import RECORD_CHANGE_FORBIDDEN, RECORD_IN_USE, RecordError
from crm.services.timeline import timeline_note_add
from leads.models import LeadOrigin
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    LeadOriginFactory,
    OpportunityFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

WON = {"state": OpportunityState.WON, "status_reason": OpportunityStatus.WON}


def test_it_deletes_an_account_with_its_timeline_and_files(
    django_capture_on_commit_callbacks,
) -> None:
    account = AccountFactory(name="Contoso")
    entry = timeline_note_add(
        record=account,
        author=account.owner,
        title="",
        body="",
        attachment=SimpleUploadedFile("a.txt", b"x"),
    )
    storage, name = entry.attachment.storage, entry.attachment.name
    contact = ContactFactory(account=account)
    closed = OpportunityFactory(customer_account=AccountFactory(), account=account, **WON)
    origin = LeadOriginFactory(account=account)

    with django_capture_on_commit_callbacks(execute=True):
        account_delete(account=account, acting_user=account.owner)

    assert not Account.objects.filter(pk=account.pk).exists()
    assert not TimelineEntry.objects.filter(pk=entry.pk).exists()
    assert not storage.exists(name)
    contact.refresh_from_db()
    closed.refresh_from_db()
    assert contact.account is None
    assert closed.account is None
    assert not LeadOrigin.objects.filter(pk=origin.pk).exists()


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda a: OpportunityFactory(customer_account=a, **WON),
            "1 opportunity (Potential Customer (account))",
        ),
        (
            lambda a: OpportunityFactory(customer_account=AccountFactory(), account=a),
            "1 open opportunity (Account)",
        ),
        (lambda a: LeadFactory(existing_account=a), "1 open lead (Existing Account)"),
    ],
    ids=["potential-customer", "open-opportunity", "open-lead"],
)
def test_it_refuses_while_records_point_at_the_account(make, words: str) -> None:
    account = AccountFactory(name="Contoso")
    make(account)

    with pytest.raises(RecordError) as error:
        account_delete(account=account, acting_user=account.owner)

    assert error.value.message == RECORD_IN_USE.format(
        name="Contoso", links=words, record="account"
    )
    assert Account.objects.filter(pk=account.pk).exists()


def test_a_closed_lead_does_not_keep_an_account() -> None:
    account = AccountFactory()
    LeadFactory(existing_account=account, disqualified=True)

    assert record_delete_refusal(record=account, acting_user=account.owner) is None


def test_it_lists_every_reason_at_once() -> None:
    account = AccountFactory(name="Contoso")
    OpportunityFactory.create_batch(2, customer_account=account)
    LeadFactory(existing_account=account)

    refusal = record_delete_refusal(record=account, acting_user=account.owner)

    assert refusal is not None
    assert "2 opportunities (Potential Customer (account))" in refusal.message
    assert "2 open opportunities (Account)" in refusal.message
    assert "1 open lead (Existing Account)" in refusal.message


def test_another_salesperson_cannot_delete_it() -> None:
    account = AccountFactory()

    with pytest.raises(RecordError) as error:
        account_delete(account=account, acting_user=UserFactory())

    assert error.value.message == RECORD_CHANGE_FORBIDDEN.format(record="account")
    assert Account.objects.filter(pk=account.pk).exists()


def test_a_sales_manager_can() -> None:
    account = AccountFactory()

    account_delete(account=account, acting_user=UserFactory(manager=True))

    assert not Account.objects.filter(pk=account.pk).exists()


def test_it_refuses_a_contact_an_open_lead_or_opportunity_names() -> None:
    contact = ContactFactory(first_name="Nancy", last_name="Davolio")
    LeadFactory(existing_contact=contact)
    OpportunityFactory(customer_account=None, account=None, customer_contact=contact)

    with pytest.raises(RecordError) as error:
        contact_delete(contact=contact, acting_user=contact.owner)

    assert "1 opportunity (Potential Customer (contact))" in error.value.message
    assert "1 open lead (Existing Contact)" in error.value.message
    assert Contact.objects.filter(pk=contact.pk).exists()


def test_it_deletes_a_contact_closed_records_only_lose() -> None:
    contact = ContactFactory()
    closed = OpportunityFactory(contact=contact, **WON)

    contact_delete(contact=contact, acting_user=contact.owner)

    closed.refresh_from_db()
    assert closed.contact is None
    assert not Contact.objects.filter(pk=contact.pk).exists()
