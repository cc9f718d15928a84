"""Notes on accounts, contacts and opportunities (crm.services.notes.record_note_add)."""

from __future__ import annotations

import pytest

from crm.models import Account
from crm.selectors import timeline_for
from crm.services.errors import (
    OPPORTUNITY_CLOSED,
    RECORD_CHANGE_FORBIDDEN,
    RECORD_GONE,
    OpportunityClosedError,
    RecordGoneError,
    RecordPermissionError,
)
from crm.services.notes import record_note_add
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("factory", [AccountFactory, ContactFactory, OpportunityFactory])
def test_the_owner_adds_a_note(factory) -> None:
    record = factory()

    entry = record_note_add(record=record, acting_user=record.owner, title="Called", body="Hi")

    assert list(timeline_for(record=record)) == [entry]
    assert (entry.author, entry.title, entry.body) == (record.owner, "Called", "Hi")


def test_a_sales_manager_adds_one_to_anyones() -> None:
    contact = ContactFactory()

    record_note_add(record=contact, acting_user=UserFactory(manager=True), title="Met", body="")

    assert timeline_for(record=contact).count() == 1


def test_another_salesperson_cannot() -> None:
    account = AccountFactory()

    with pytest.raises(RecordPermissionError) as raised:
        record_note_add(record=account, acting_user=UserFactory(), title="Mine", body="")

    assert raised.value.message == RECORD_CHANGE_FORBIDDEN.format(record="account")
    assert not timeline_for(record=account).exists()


def test_a_closed_opportunity_takes_no_note() -> None:
    opportunity = OpportunityFactory(state="won", status_reason="won")

    with pytest.raises(OpportunityClosedError) as raised:
        record_note_add(record=opportunity, acting_user=opportunity.owner, title="x", body="")

    assert raised.value.message == OPPORTUNITY_CLOSED


def test_a_record_merged_or_deleted_meanwhile_takes_no_note() -> None:
    account = AccountFactory()
    Account.objects.filter(pk=account.pk).delete()

    with pytest.raises(RecordGoneError) as raised:
        record_note_add(record=account, acting_user=account.owner, title="x", body="")

    assert raised.value.message == RECORD_GONE.format(record="account")
