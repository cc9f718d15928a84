"""Merging duplicate accounts and contacts (crm.services.merge): every row that pointed at the
others points at the master afterwards, the master keeps the chosen values, the others are gone,
and the master's timeline says who merged what. Refusals write nothing."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from crm.models import Account, Contact, Opportunity, TimelineEntry
from crm.selectors import timeline_for
from crm.services.errors import (
    MERGE_CONFLICT,
    MERGE_NOT_ALLOWED,
    MERGE_RECORD_GONE,
    MERGE_SAME_RECORD,
    MERGE_SOURCE_INVALID,
    MERGE_TOO_FEW,
    MERGE_TOO_MANY,
    MergeConflictError,
    MergePermissionError,
    MergeRecordGoneError,
    MergeSameRecordError,
    MergeSourceError,
    MergeTooFewError,
    MergeTooManyError,
)
from crm.services.merge import accounts_merge, contacts_merge
from crm.services.timeline import timeline_note_add
from leads.models import Lead, LeadOrigin
from qualification.models import Qualification
from tests.factories import (
    AccountFactory,
    ContactFactory,
    LeadFactory,
    LeadOriginFactory,
    OpportunityFactory,
    QualificationFactory,
    UserFactory,
)
from tests.security.world import snapshot, snapshot_diff

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner() -> User:
    return UserFactory(username="sam", first_name="Sam", last_name="Seller")


@dataclass
class AccountFamily:
    """An account and one of every kind of row that can point at it, `count` of each."""

    account: Account
    contacts: list[Contact]
    customer_of: list[Opportunity]  # Potential Customer
    linked_to: list[Opportunity]  # Account
    leads_existing: list[Lead]  # Existing Account
    leads_parent: list[Lead]  # Parent Account
    qualifications: list[Qualification]
    notes: list[TimelineEntry]


def account_family(owner: User, count: int = 1, **fields) -> AccountFamily:
    account = AccountFactory(owner=owner, **fields)
    other = AccountFactory(owner=owner)
    return AccountFamily(
        account=account,
        contacts=ContactFactory.create_batch(count, account=account, owner=owner),
        customer_of=OpportunityFactory.create_batch(
            count, customer_account=account, account=other, owner=owner
        ),
        linked_to=OpportunityFactory.create_batch(
            count, customer_account=other, account=account, owner=owner
        ),
        leads_existing=LeadFactory.create_batch(count, existing_account=account, owner=owner),
        leads_parent=LeadFactory.create_batch(
            count, parent_account=account, owner=owner, qualified=True
        ),
        qualifications=QualificationFactory.create_batch(count, account=account),
        notes=[
            timeline_note_add(record=account, author=owner, title=f"Note {n}", body="")
            for n in range(count)
        ],
    )


def pks(rows) -> set[int]:
    return {row.pk for row in rows}


# Accounts -------------------------------------------------------------------------------------


def test_it_moves_everything_that_pointed_at_the_other_account_to_the_master(owner) -> None:
    master = account_family(owner, name="Contoso Ltd")
    other = account_family(owner, name="CONTOSO")

    accounts_merge(
        master_id=master.account.pk,
        other_ids=[other.account.pk],
        field_sources={},
        acting_user=owner,
    )

    account = master.account
    assert not Account.objects.filter(pk=other.account.pk).exists()
    assert pks(account.contacts.all()) == pks(master.contacts + other.contacts)
    assert pks(account.customer_opportunities.all()) == pks(master.customer_of + other.customer_of)
    assert pks(account.opportunities.all()) == pks(master.linked_to + other.linked_to)
    assert pks(Lead.objects.filter(existing_account=account)) == pks(
        master.leads_existing + other.leads_existing
    )
    assert pks(account.qualified_leads.all()) == pks(master.leads_parent + other.leads_parent)
    assert pks(account.qualifications.all()) == pks(master.qualifications + other.qualifications)
    notes = [entry for entry in timeline_for(record=account) if entry.kind == "note"]
    assert pks(notes) == pks(master.notes + other.notes)


def test_the_masters_values_win_and_empty_ones_are_filled_from_the_others(owner) -> None:
    master = AccountFactory(owner=owner, name="Contoso Ltd", phone="", city="Seattle", email="")
    first = AccountFactory(owner=owner, name="CONTOSO", phone="+1 555 0100", city="Redmond")
    second = AccountFactory(
        owner=owner, name="Contoso", phone="+1 555 0199", email="hi@contoso.com"
    )

    accounts_merge(
        master_id=master.pk,
        other_ids=[first.pk, second.pk],
        field_sources={},
        acting_user=owner,
    )

    master.refresh_from_db()
    assert (master.name, master.city) == ("Contoso Ltd", "Seattle")
    assert master.phone == "+1 555 0100"  # the first other record that has one
    assert master.email == "hi@contoso.com"


def test_it_takes_the_value_chosen_for_a_field_and_refreshes_the_match_keys(owner) -> None:
    master = AccountFactory(owner=owner, name="Contoso", website="https://contoso.example")
    other = AccountFactory(owner=owner, name="Fabrikam GmbH", website="https://fabrikam.example")

    accounts_merge(
        master_id=master.pk,
        other_ids=[other.pk],
        field_sources={"name": other.pk, "owner": other.pk},
        acting_user=owner,
    )

    master.refresh_from_db()
    assert (master.name, master.normalized_name) == ("Fabrikam GmbH", "fabrikam")
    assert master.website == "https://contoso.example"
    assert master.owner == other.owner


def test_the_masters_timeline_records_who_merged_what(owner) -> None:
    master = account_family(owner, name="Contoso Ltd", phone="")
    other = account_family(owner, count=2, name="CONTOSO", phone="+1 555 0100")

    accounts_merge(
        master_id=master.account.pk,
        other_ids=[other.account.pk],
        field_sources={},
        acting_user=owner,
    )

    event = timeline_for(record=master.account).filter(kind="system").get()
    assert event.author == owner
    assert event.title == "Merged 1 account into this one"
    assert f"Merged: CONTOSO (#{other.account.pk})." in event.body
    assert f"Values taken: Main Phone from CONTOSO (#{other.account.pk})." in event.body
    assert "2 contacts (Account Name)" in event.body
    assert "2 opportunities (Potential Customer (account))" in event.body
    assert "2 leads (Existing Account)" in event.body
    assert "2 timeline entries" in event.body


def test_the_masters_originating_lead_wins_and_the_dropped_one_is_named(owner) -> None:
    master = AccountFactory(owner=owner, name="Contoso Ltd")
    other = AccountFactory(owner=owner, name="CONTOSO")
    kept = LeadOriginFactory(account=master)
    dropped = LeadOriginFactory(account=other)

    accounts_merge(master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=owner)

    assert master.origin == kept
    assert not LeadOrigin.objects.filter(pk=dropped.pk).exists()
    assert Lead.objects.filter(pk=dropped.lead_id).exists(), "the lead itself stays"
    event = timeline_for(record=master).get()
    assert f"Dropped: the lead origin “{dropped}” of CONTOSO (#{other.pk})" in event.body


def test_a_master_without_an_originating_lead_takes_the_first_others(owner) -> None:
    master = AccountFactory(owner=owner)
    first, second = AccountFactory(owner=owner), AccountFactory(owner=owner)
    moved = LeadOriginFactory(account=first)
    dropped = LeadOriginFactory(account=second)

    accounts_merge(
        master_id=master.pk, other_ids=[first.pk, second.pk], field_sources={}, acting_user=owner
    )

    master.refresh_from_db()
    assert master.origin == moved
    assert not LeadOrigin.objects.filter(pk=dropped.pk).exists()


def test_attachments_move_with_their_notes(owner) -> None:
    master, other = AccountFactory(owner=owner), AccountFactory(owner=owner)
    entry = timeline_note_add(
        record=other,
        author=owner,
        title="Price list",
        body="",
        attachment=SimpleUploadedFile("prices.csv", b"a,b\n"),
    )

    accounts_merge(master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=owner)

    entry.refresh_from_db()
    assert (entry.object_id, entry.attachment.read()) == (master.pk, b"a,b\n")


def test_a_sales_manager_may_merge_anyones_accounts() -> None:
    manager = UserFactory(manager=True)
    master, other = AccountFactory(), AccountFactory()

    accounts_merge(master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=manager)

    assert not Account.objects.filter(pk=other.pk).exists()


@pytest.mark.parametrize("children", [2, 20])
def test_its_query_count_does_not_depend_on_the_rows_it_moves(
    owner, children: int, django_assert_num_queries
) -> None:
    master = account_family(owner, count=children)
    other = account_family(owner, count=children)
    LeadOriginFactory(account=master.account)
    LeadOriginFactory(account=other.account)

    # Savepoint and release (2); lock the accounts (1); lock what points at them: contacts,
    # opportunities, timeline entries, leads, origins, qualification records (6); one UPDATE
    # per kind of link with rows to move (7); the dropped origin read and deleted (2); the
    # master (1); its timeline event (1); the delete of the other: Django's collector reads
    # the account, checks the PROTECT link, and clears every other kind of link, finding
    # nothing left to clear, before it deletes the row (9).
    with django_assert_num_queries(MERGE_QUERIES):
        accounts_merge(
            master_id=master.account.pk,
            other_ids=[other.account.pk],
            field_sources={},
            acting_user=owner,
        )

    assert master.account.contacts.count() == 2 * children


MERGE_QUERIES = 29


# Contacts -------------------------------------------------------------------------------------


def test_it_merges_contacts_with_their_opportunities_leads_and_origins(owner) -> None:
    account = AccountFactory(owner=owner, name="Contoso")
    master = ContactFactory(owner=owner, first_name="Nancy", last_name="Davolio", account=None)
    other = ContactFactory(owner=owner, first_name="Nancy", last_name="DAVOLIO", account=account)
    customer_of = OpportunityFactory(
        owner=owner, customer_account=None, account=None, customer_contact=other, contact=other
    )
    lead = LeadFactory(owner=owner, existing_contact=other)
    parent = LeadFactory(owner=owner, parent_contact=other, qualified=True)
    qualification = QualificationFactory(account=account, contact=other)
    origin = LeadOriginFactory(contact=other)
    note = timeline_note_add(record=other, author=owner, title="Called", body="")

    result = contacts_merge(
        master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=owner
    )

    assert not Contact.objects.filter(pk=other.pk).exists()
    master.refresh_from_db()
    assert master.account == account, "the master had none, so it takes the other's"
    customer_of.refresh_from_db()
    assert (customer_of.customer_contact, customer_of.contact) == (master, master)
    lead.refresh_from_db()
    parent.refresh_from_db()
    qualification.refresh_from_db()
    origin.refresh_from_db()
    note.refresh_from_db()
    assert lead.existing_contact == master
    assert parent.parent_contact == master
    assert qualification.contact == master
    assert origin.contact == master
    assert note.object_id == master.pk
    assert result.merged == [f"Nancy DAVOLIO (#{other.pk})"]


# Refusals: nothing is written -----------------------------------------------------------------


def test_it_refuses_to_merge_a_record_with_itself(owner) -> None:
    account = AccountFactory(owner=owner)
    before = snapshot()

    with pytest.raises(MergeSameRecordError) as error:
        accounts_merge(
            master_id=account.pk, other_ids=[account.pk], field_sources={}, acting_user=owner
        )

    assert error.value.message == MERGE_SAME_RECORD.format(records="accounts")
    assert snapshot_diff(before, snapshot()) == []


def test_it_refuses_the_same_other_record_twice(owner) -> None:
    master, other = AccountFactory(owner=owner), AccountFactory(owner=owner)

    with pytest.raises(MergeSameRecordError):
        accounts_merge(
            master_id=master.pk, other_ids=[other.pk, other.pk], field_sources={}, acting_user=owner
        )

    assert Account.objects.filter(pk=other.pk).exists()


def test_it_refuses_a_merge_of_one_record(owner) -> None:
    account = AccountFactory(owner=owner)

    with pytest.raises(MergeTooFewError) as error:
        accounts_merge(master_id=account.pk, other_ids=[], field_sources={}, acting_user=owner)

    assert error.value.message == MERGE_TOO_FEW.format(records="accounts")


def test_it_refuses_more_than_five_records(owner) -> None:
    accounts = AccountFactory.create_batch(6, owner=owner)

    with pytest.raises(MergeTooManyError) as error:
        accounts_merge(
            master_id=accounts[0].pk,
            other_ids=[account.pk for account in accounts[1:]],
            field_sources={},
            acting_user=owner,
        )

    assert error.value.message == MERGE_TOO_MANY.format(limit=5, records="accounts")
    assert Account.objects.count() == 6


def test_it_refuses_a_record_that_is_gone(owner) -> None:
    master = account_family(owner)
    before = snapshot()

    with pytest.raises(MergeRecordGoneError) as error:
        accounts_merge(
            master_id=master.account.pk, other_ids=[987654], field_sources={}, acting_user=owner
        )

    assert error.value.message == MERGE_RECORD_GONE.format(records="accounts")
    assert snapshot_diff(before, snapshot()) == []


def test_a_salesperson_cannot_merge_another_salespersons_record(owner) -> None:
    mine = account_family(owner, name="Contoso")
    theirs = account_family(UserFactory(), name="CONTOSO")
    before = snapshot()

    with pytest.raises(MergePermissionError) as error:
        accounts_merge(
            master_id=mine.account.pk,
            other_ids=[theirs.account.pk],
            field_sources={},
            acting_user=owner,
        )

    assert error.value.message == MERGE_NOT_ALLOWED.format(
        records="accounts", names=f"CONTOSO (#{theirs.account.pk})"
    )
    assert snapshot_diff(before, snapshot()) == []


def test_it_refuses_a_field_value_from_a_record_not_merged(owner) -> None:
    master, other = AccountFactory(owner=owner), AccountFactory(owner=owner)
    stranger = AccountFactory(owner=owner, name="Stranger")
    before = snapshot()

    with pytest.raises(MergeSourceError) as error:
        accounts_merge(
            master_id=master.pk,
            other_ids=[other.pk],
            field_sources={"name": stranger.pk},
            acting_user=owner,
        )

    assert error.value.message == MERGE_SOURCE_INVALID.format(
        field="Account Name", records="accounts"
    )
    assert snapshot_diff(before, snapshot()) == []


def test_it_refuses_a_field_that_is_not_merged(owner) -> None:
    master, other = AccountFactory(owner=owner), AccountFactory(owner=owner)

    with pytest.raises(TypeError, match="normalized_name"):
        accounts_merge(
            master_id=master.pk,
            other_ids=[other.pk],
            field_sources={"normalized_name": other.pk},
            acting_user=owner,
        )


def test_a_contact_moved_to_another_account_meanwhile_is_a_conflict(owner, monkeypatch) -> None:
    master = ContactFactory(owner=owner, account=AccountFactory(owner=owner))
    other = ContactFactory(owner=owner, account=None)
    moved_to = AccountFactory(owner=owner)
    from crm.services.merge import records as merge_records

    real_lock = merge_records.lock_targets

    def lock_then_move(model, ids):
        locked = real_lock(model, ids)
        # Another transaction moves the contact after its account ids were read and locked.
        Contact.objects.filter(pk=other.pk).update(account=moved_to)
        return locked

    monkeypatch.setattr(merge_records, "lock_targets", lock_then_move)

    with pytest.raises(MergeConflictError) as error:
        contacts_merge(
            master_id=master.pk, other_ids=[other.pk], field_sources={}, acting_user=owner
        )

    assert error.value.message == MERGE_CONFLICT.format(records="contacts")
    assert Contact.objects.filter(pk=other.pk).exists()
