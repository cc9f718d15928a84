"""No silent duplicates under concurrency: qualifies of different leads of one company (or one
email) at the same moment, overlapping bulk batches, and bulk against single qualifies.

Each writer locks the match keys of the records it is about to create (PostgreSQL advisory
locks, `match_keys_lock`) and only then runs the duplicate check that decides; the second
writer waits for the first to commit and finds its records.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from functools import partial

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction

from crm.models import Account, Contact
from leads.models import Lead, LeadState
from qualification.duplicates import AccountKeys, ContactKeys, match_key_lock_ids, match_keys_lock
from qualification.engine import (
    LEAD_ALREADY_QUALIFIED,
    BulkOptions,
    BulkQualifyOutcome,
    DuplicatesFoundError,
    bulk,
    lead_qualify,
    leads_bulk_qualify,
)
from qualification.models import (
    CreationMode,
    Experience,
    Qualification,
    QualificationSettings,
)
from qualification.services import qualification_settings_update
from tests.concurrency.tools import run_together
from tests.factories import LeadFactory, UserFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason=(
            "needs PostgreSQL: concurrent write transactions and advisory locks; SQLite "
            "serialises writers (transactions begin IMMEDIATE), so these races cannot happen"
        ),
    ),
    pytest.mark.django_db(transaction=True),
]

THREADS = 8
# Longer than any honest wait for a lock: a thread still running after it is stuck.
THREAD_TIMEOUT = 60.0
ALL = {"create_account": True, "create_contact": True, "create_opportunity": True}
CONTOSO_NAMES = ["Contoso Ltd", "Contoso, Inc.", "CONTOSO"]


@pytest.fixture
def owner() -> User:
    return UserFactory(username="racer")


@pytest.fixture(autouse=True)
def _all_automatic_with_detection() -> None:
    qualification_settings_update(
        qualification_settings=QualificationSettings.load(),
        experience=Experience.NEW,
        account_mode=CreationMode.AUTOMATIC,
        contact_mode=CreationMode.AUTOMATIC,
        opportunity_mode=CreationMode.AUTOMATIC,
        summarize_after_qualify=False,
        detect_duplicates=True,
    )


def contoso_leads(owner: User, count: int = THREADS) -> list[Lead]:
    """Different people of one company, written three ways; no shared email or website."""
    return [
        LeadFactory(
            owner=owner,
            company_name=CONTOSO_NAMES[n % len(CONTOSO_NAMES)],
            website="",
            first_name=f"Person{n}",
            last_name="Racer",
            email=f"person{n}@mail{n}.example",
        )
        for n in range(count)
    ]


def assert_no_duplicate_records() -> None:
    accounts = Counter(Account.objects.values_list("normalized_name", flat=True))
    contacts = Counter(
        Contact.objects.exclude(email_normalized="").values_list("email_normalized", flat=True)
    )
    assert [name for name, count in accounts.items() if count > 1] == []
    assert [email for email, count in contacts.items() if count > 1] == []


def assert_each_lead_qualified_once(leads: list[Lead]) -> None:
    qualified = Counter(Qualification.objects.values_list("lead_id", flat=True))
    assert {lead.pk: qualified[lead.pk] for lead in leads} == {lead.pk: 1 for lead in leads}
    assert not Lead.objects.filter(pk__in=[lead.pk for lead in leads]).exclude(
        state=LeadState.QUALIFIED
    )


# Single qualifies -----------------------------------------------------------------------------


def test_eight_leads_of_one_company_qualified_at_once_make_one_account(owner):
    leads = contoso_leads(owner)

    outcomes = run_together(
        *[partial(lead_qualify, lead_id=lead.pk, acting_user=owner) for lead in leads]
    )

    account = Account.objects.get(normalized_name="contoso")
    winners = [outcome.value for outcome in outcomes if outcome.error is None]
    assert len(winners) == 1, [outcome.error for outcome in outcomes]
    assert winners[0].account == account and winners[0].qualification.account_created
    losers = [outcome.error for outcome in outcomes if outcome.error is not None]
    assert len(losers) == THREADS - 1
    for error in losers:
        assert isinstance(error, DuplicatesFoundError), repr(error)
        assert error.accounts == [account]
        assert error.contacts == []
    assert Lead.objects.filter(state=LeadState.OPEN).count() == THREADS - 1
    assert Qualification.objects.count() == 1
    assert Contact.objects.count() == 1


def test_eight_leads_with_one_email_qualified_at_once_make_one_contact(owner):
    # No Company Name: no account, so the contact's email is the only key in play.
    leads = [
        LeadFactory(
            owner=owner,
            company_name="",
            first_name=f"Ann{n}",
            last_name="Racer",
            email=["ann@contoso.example", "ANN@Contoso.example"][n % 2],
        )
        for n in range(THREADS)
    ]

    outcomes = run_together(
        *[partial(lead_qualify, lead_id=lead.pk, acting_user=owner) for lead in leads]
    )

    contact = Contact.objects.get()
    assert contact.email_normalized == "ann@contoso.example"
    assert sum(outcome.error is None for outcome in outcomes) == 1
    for outcome in outcomes:
        if outcome.error is not None:
            assert isinstance(outcome.error, DuplicatesFoundError), repr(outcome.error)
            assert outcome.error.contacts == [contact]
    assert not Account.objects.exists()
    assert Qualification.objects.count() == 1


# Bulk qualifies -------------------------------------------------------------------------------


def test_eight_bulk_qualifies_of_one_company_link_one_account(owner):
    leads = contoso_leads(owner)

    outcomes = run_together(
        *[
            partial(
                leads_bulk_qualify, lead_ids=[lead.pk], acting_user=owner, options=BulkOptions()
            )
            for lead in leads
        ]
    )

    assert [outcome.error for outcome in outcomes] == [None] * THREADS
    total = BulkQualifyOutcome()
    for outcome in outcomes:
        total.add(outcome.value)
    account = Account.objects.get(normalized_name="contoso")
    assert (total.accounts_created, total.accounts_linked) == (1, THREADS - 1)
    assert total.failures == [] and total.needs_review == []
    assert_each_lead_qualified_once(leads)
    assert set(Lead.objects.values_list("parent_account", flat=True)) == {account.pk}


def test_two_overlapping_bulk_batches_make_no_duplicate_accounts_or_contacts(owner, monkeypatch):
    # Small chunks: each batch runs several transactions, so chunks with no lead in common
    # but the same companies and people run side by side.
    monkeypatch.setattr(bulk, "BULK_QUALIFY_CHUNK_SIZE", 8)
    leads = [
        LeadFactory(
            owner=owner,
            # Twelve companies, each written two ways; twenty people, each email two ways.
            company_name=(f"Company {n % 12} Ltd" if n % 2 else f"COMPANY {n % 12}, Inc."),
            website="",
            first_name=f"Pat{n % 20}",
            last_name="Doe",
            email=(f"pat{n % 20}@people.example" if n % 3 else f"PAT{n % 20}@People.example"),
        )
        for n in range(64)
    ]
    ids = [lead.pk for lead in leads]
    first, second = ids[:40], ids[24:]

    outcomes = run_together(
        *[
            partial(leads_bulk_qualify, lead_ids=batch, acting_user=owner, options=BulkOptions())
            for batch in (first, second)
        ]
    )

    assert [outcome.error for outcome in outcomes] == [None, None]
    assert_no_duplicate_records()
    one, two = (outcome.value for outcome in outcomes)
    assert not set(one.qualified_ids) & set(two.qualified_ids)
    assert sorted(one.qualified_ids + two.qualified_ids) == sorted(ids)
    # A lead in both selections is qualified by one batch and reported by the other.
    for issue in one.failures + two.failures:
        assert issue.lead_id in set(first) & set(second)
        assert issue.reason == LEAD_ALREADY_QUALIFIED
    assert one.needs_review == [] and two.needs_review == []
    assert_each_lead_qualified_once(leads)
    assert Account.objects.count() == 12
    assert Contact.objects.count() == 20


def test_a_bulk_batch_racing_single_qualifies_of_one_company_makes_one_account(owner):
    leads = contoso_leads(owner, count=12)
    batch, singles = leads[:6], leads[6:]

    outcomes = run_together(
        *[
            partial(
                leads_bulk_qualify,
                lead_ids=[lead.pk for lead in batch],
                acting_user=owner,
                options=BulkOptions(),
            )
        ]
        + [partial(lead_qualify, lead_id=lead.pk, acting_user=owner) for lead in singles]
    )

    account = Account.objects.get(normalized_name="contoso")
    bulk_outcome, *single_outcomes = outcomes
    assert bulk_outcome.error is None
    assert bulk_outcome.value.qualified_count == len(batch)
    assert_each_lead_qualified_once(batch)
    # At most one single qualify came first and created the account; the others found it.
    assert sum(outcome.error is None for outcome in single_outcomes) <= 1
    for outcome in single_outcomes:
        if outcome.error is not None:
            assert isinstance(outcome.error, DuplicatesFoundError), repr(outcome.error)
            assert outcome.error.accounts == [account]
    created = bulk_outcome.value.accounts_created + sum(
        outcome.error is None for outcome in single_outcomes
    )
    assert created == 1
    assert_no_duplicate_records()


# The locks themselves -------------------------------------------------------------------------


def _advisory_locks_held() -> set[int]:
    """This session's advisory locks as the bigint ids they were taken with."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT classid::bigint, objid::bigint FROM pg_locks"
            " WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
        )
        held = set()
        for high, low in cursor.fetchall():
            unsigned = (high << 32) | low
            held.add(unsigned - 2**64 if unsigned >= 2**63 else unsigned)
        return held


def test_it_holds_one_advisory_lock_per_key_until_the_commit():
    keys = {
        "accounts": [AccountKeys(name="contoso", domain="contoso.example")],
        "contacts": [ContactKeys(email="ann@contoso.example", full_name="ann lee")],
    }

    with transaction.atomic():
        match_keys_lock(**keys)
        assert _advisory_locks_held() == set(match_key_lock_ids(**keys))

    assert _advisory_locks_held() == set()


def test_a_second_writer_waits_for_the_first_to_commit():
    keys = {"accounts": [AccountKeys(name="contoso")]}
    locked_at: list[float] = []

    def second_writer() -> None:
        try:
            with transaction.atomic():
                match_keys_lock(**keys)
                locked_at.append(time.monotonic())
        finally:
            connection.close()

    with transaction.atomic():
        match_keys_lock(**keys)
        thread = threading.Thread(target=second_writer, daemon=True)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and locked_at == [], "the second writer did not wait"
        committed_at = time.monotonic()
    thread.join(THREAD_TIMEOUT)

    assert not thread.is_alive()
    assert locked_at and locked_at[0] >= committed_at
