"""Existing records and duplicates: the records a qualify links are found and locked with the
duplicates of what it creates, under the match-key locks, in one query per record type; the
screens' policy asks (the duplicate dialog), and the audit record says what came of it."""

from __future__ import annotations

import pytest
from django.db import transaction

from crm.models import Account, Contact
from qualification import duplicates
from qualification.engine import (
    CONTACT_UNDER_OTHER_ACCOUNT,
    EXISTING_NOT_FOUND,
    Choice,
    DuplicatesFoundError,
    QualifyDecisions,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
)
from qualification.models import CreationMode, DuplicateDecision, Experience
from tests.factories import AccountFactory, ContactFactory, LeadFactory
from tests.unit.engine.conftest import assert_nothing_written, configure, problems_of, record_counts

pytestmark = pytest.mark.django_db

CREATE = RecordDecision(choice=Choice.CREATE)
SKIP = RecordDecision(choice=Choice.SKIP)


def test_it_refuses_an_existing_record_that_is_gone(lead, user):
    configure(account_mode=CreationMode.SALESPERSON)
    gone = AccountFactory()
    gone_id = gone.pk
    gone.delete()
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                account=RecordDecision(choice=Choice.EXISTING, existing_id=gone_id)
            ),
        )

    message = EXISTING_NOT_FOUND.format(record="account")
    assert problems_of(raised.value) == {("account", None, "existing", message)}
    assert_nothing_written(lead, before)


# Duplicates ----------------------------------------------------------------------------------


def test_it_stops_on_duplicates_before_writing_anything(lead, user):
    existing_account = AccountFactory(name="FABRIKAM LTD", website="")
    existing_contact = ContactFactory(email="nina.novak@FABRIKAM.example")
    before = record_counts()

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert raised.value.accounts == [existing_account]
    assert raised.value.contacts == [existing_contact]
    assert_nothing_written(lead, before)


def test_it_uses_the_duplicate_the_salesperson_picked(lead, user):
    existing_account = AccountFactory(name="Fabrikam", website="")
    with pytest.raises(DuplicatesFoundError):
        lead_qualify(lead_id=lead.pk, acting_user=user)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=existing_account.pk)
        ),
    )

    assert result.account == existing_account
    assert Account.objects.count() == 1
    assert result.contact.account == existing_account


def test_it_creates_a_new_record_anyway_when_asked(lead, user):
    AccountFactory(name="Fabrikam", website="")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.CREATE, create_anyway=True)
        ),
    )

    assert result.qualification.account_created
    assert Account.objects.count() == 2


def test_it_matches_a_contact_by_full_name_within_the_picked_account(user):
    account = AccountFactory(name="Contoso")
    twin = ContactFactory(first_name="Nina", last_name="NOVAK", email="", account=account)
    lead = LeadFactory(owner=user, first_name="nina", last_name="novak", existing_account=account)

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=lead.pk, acting_user=user)

    assert raised.value.accounts == []
    assert raised.value.contacts == [twin]


def _calls_in_order(monkeypatch) -> list[tuple[str, bool]]:
    """Record each match-key lock and duplicate lookup of the engine, in order, with whether
    it ran inside a transaction."""
    calls: list[tuple[str, bool]] = []

    def recorded(name, function):
        def call(**kwargs):
            calls.append((name, transaction.get_connection().in_atomic_block))
            return function(**kwargs)

        return call

    monkeypatch.setattr(duplicates, "match_keys_lock", recorded("lock", duplicates.match_keys_lock))
    monkeypatch.setattr(duplicates, "accounts_find", recorded("accounts", duplicates.accounts_find))
    monkeypatch.setattr(duplicates, "contacts_find", recorded("contacts", duplicates.contacts_find))
    return calls


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(("summary", "early"), [(False, []), (True, ["accounts", "contacts"])])
def test_it_decides_on_duplicates_inside_the_transaction_after_the_lock(
    lead, user, monkeypatch, summary, early
):
    configure(experience=Experience.NEW, summarize_after_qualify=summary)
    calls = _calls_in_order(monkeypatch)

    lead_qualify(lead_id=lead.pk, acting_user=user)

    # With a summary, an early check (outside the transaction, no lock) gives quick feedback;
    # the one that decides always follows the lock, inside the transaction.
    assert calls == [(name, False) for name in early] + [
        ("lock", True),
        ("accounts", True),
        ("contacts", True),
    ]


@pytest.mark.parametrize(
    ("decisions", "accounts", "contacts"),
    [
        (None, [("fabrikam", "fabrikam.example")], [("nina.novak@fabrikam.example", "nina novak")]),
        (
            QualifyDecisions(account=SKIP, contact=CREATE),
            [],
            [("nina.novak@fabrikam.example", "nina novak")],
        ),
        # A record created anyway is locked too: a qualify checking at the same moment must
        # find it.
        (
            QualifyDecisions(
                account=RecordDecision(choice=Choice.CREATE, create_anyway=True), contact=SKIP
            ),
            [("fabrikam", "fabrikam.example")],
            [],
        ),
    ],
)
def test_it_locks_the_match_keys_of_the_records_it_creates(
    lead, user, monkeypatch, decisions, accounts, contacts
):
    configure(experience=Experience.NEW, account_mode=CreationMode.SALESPERSON)
    locked = []
    monkeypatch.setattr(duplicates, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user, decisions=decisions)

    [keys] = locked
    assert [(key.name, key.domain) for key in keys["accounts"]] == accounts
    assert [(key.email, key.full_name) for key in keys["contacts"]] == contacts


def test_it_locks_only_the_keys_of_the_match_rules_in_force(lead, user, monkeypatch):
    configure(match_account_by_domain=False, match_contact_by_name=False)
    locked = []
    monkeypatch.setattr(duplicates, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user)

    [keys] = locked
    assert [(key.name, key.domain) for key in keys["accounts"]] == [("fabrikam", "")]
    assert [(key.email, key.full_name) for key in keys["contacts"]] == [
        ("nina.novak@fabrikam.example", "")
    ]


def test_it_locks_nothing_when_detection_is_off(lead, user, monkeypatch):
    configure(detect_duplicates=False)
    locked = []
    monkeypatch.setattr(duplicates, "match_keys_lock", lambda **keys: locked.append(keys))

    lead_qualify(lead_id=lead.pk, acting_user=user)

    assert locked == []


def test_it_creates_duplicates_silently_when_detection_is_off(lead, user):
    AccountFactory(name="Fabrikam", website="")
    ContactFactory(email="nina.novak@fabrikam.example")
    configure(detect_duplicates=False)

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    assert result.qualification.account_created
    assert Account.objects.count() == 2
    assert Contact.objects.count() == 2


# The duplicate decisions on the audit record -------------------------------------------------


def test_it_records_a_record_created_anyway_over_its_matches(lead, user):
    match = AccountFactory(name="Fabrikam Ltd", website="")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.CREATE, create_anyway=True)
        ),
    )

    qualification = result.qualification
    assert qualification.account_created
    assert qualification.account_duplicates == DuplicateDecision.CREATED_ANYWAY
    assert qualification.duplicate_matches == {
        "account": [{"id": match.pk, "label": "Fabrikam Ltd"}]
    }
    assert qualification.contact_duplicates == DuplicateDecision.NONE


def test_it_records_the_match_picked_in_the_duplicate_dialog(lead, user):
    match = ContactFactory(
        first_name="Nina", last_name="Novak", email="nina.novak@fabrikam.example"
    )
    picked = RecordDecision(choice=Choice.EXISTING, existing_id=match.pk, matched=True)

    result = lead_qualify(
        lead_id=lead.pk, acting_user=user, decisions=QualifyDecisions(contact=picked)
    )

    qualification = result.qualification
    assert qualification.contact == match and not qualification.contact_created
    assert qualification.contact_duplicates == DuplicateDecision.LINKED
    assert qualification.duplicate_matches == {"contact": [{"id": match.pk, "label": "Nina Novak"}]}


def test_it_records_no_duplicate_decision_for_a_record_picked_by_hand(lead, user):
    configure(account_mode=CreationMode.SALESPERSON)
    picked = AccountFactory(name="Northwind")

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=picked.pk)
        ),
    )

    assert result.qualification.account_duplicates == DuplicateDecision.NONE
    assert result.qualification.duplicate_matches == {}


# Holes closed --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["★★★", "+++", "🚀🚀"])
def test_a_company_name_of_symbols_still_finds_its_duplicate(user, name):
    first = LeadFactory(owner=user, company_name=name, email="", website="")
    second = LeadFactory(owner=user, company_name=f" {name} ", email="", website="")
    created = lead_qualify(lead_id=first.pk, acting_user=user).account

    with pytest.raises(DuplicatesFoundError) as raised:
        lead_qualify(lead_id=second.pk, acting_user=user)

    assert raised.value.accounts == [created]
    assert Account.objects.count() == 1


def test_it_refuses_an_existing_contact_of_another_account(lead, user):
    configure(account_mode=CreationMode.SALESPERSON, contact_mode=CreationMode.SALESPERSON)
    contoso = AccountFactory(name="Contoso")
    fabrikam = AccountFactory(name="Fabrikam")
    ana = ContactFactory(first_name="Ana", last_name="Ruiz", account=fabrikam)
    before = record_counts()

    with pytest.raises(QualifyValidationError) as raised:
        lead_qualify(
            lead_id=lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(
                account=RecordDecision(choice=Choice.EXISTING, existing_id=contoso.pk),
                contact=RecordDecision(choice=Choice.EXISTING, existing_id=ana.pk),
            ),
        )

    message = CONTACT_UNDER_OTHER_ACCOUNT.format(contact=ana, other=fabrikam, account=contoso)
    assert problems_of(raised.value) == {("contact", None, "existing", message)}
    assert message.startswith("Ana Ruiz belongs to Fabrikam, not to Contoso")
    assert_nothing_written(lead, before)


def test_it_links_an_existing_contact_of_the_same_account(lead, user):
    configure(account_mode=CreationMode.SALESPERSON, contact_mode=CreationMode.SALESPERSON)
    contoso = AccountFactory(name="Contoso")
    ana = ContactFactory(account=contoso)

    result = lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=contoso.pk),
            contact=RecordDecision(choice=Choice.EXISTING, existing_id=ana.pk),
        ),
    )

    assert (result.account, result.contact) == (contoso, ana)


def test_it_finds_the_records_it_links_with_the_duplicates_and_locks_them(lead, user, monkeypatch):
    configure(account_mode=CreationMode.SALESPERSON)
    picked = AccountFactory(name="Northwind")
    lookups = []
    accounts_find = duplicates.accounts_find

    def recorded(**kwargs):
        lookups.append(kwargs)
        return accounts_find(**kwargs)

    monkeypatch.setattr(duplicates, "accounts_find", recorded)
    lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=picked.pk)
        ),
    )

    [lookup] = lookups
    assert lookup["ids"] == {picked.pk}
    assert lookup["lock"] is True
