"""Duplicate detection: indexed lookups on the normalised match columns, and the match-key
locks that serialise the writers that would otherwise miss each other's new records."""

from __future__ import annotations

import re

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from crm.matching import normalize_company_name, normalize_full_name
from qualification.duplicates import (
    LOCK_OUTSIDE_TRANSACTION,
    AccountKeys,
    ContactKeys,
    DuplicateRules,
    MatchKeyKind,
    account_keys_of,
    accounts_find,
    contact_keys_of,
    contacts_find,
    match_key_lock_id,
    match_key_lock_ids,
    match_keys_lock,
)
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

# SQLite serialises writers itself: there the lock makes no query.
LOCK_QUERIES = 1 if connection.vendor == "postgresql" else 0
BIGINT = range(-(2**63), 2**63)
ALL_RULES = DuplicateRules()


def account_duplicates(*, name: str, website: str = "", rules: DuplicateRules = ALL_RULES):
    """The duplicates one new account would have (the engine asks for many at once)."""
    keys = account_keys_of(name=name, website=website, rules=rules)
    matches, _ = accounts_find(names={keys.name}, domains={keys.domain}, rules=rules)
    return matches.for_candidate(name=keys.name, domain=keys.domain)


def contact_duplicates(
    *,
    first_name: str,
    last_name: str,
    email: str = "",
    account_id: int | None = None,
    company_name: str = "",
    rules: DuplicateRules = ALL_RULES,
):
    """The duplicates one new contact would have, under an existing account or a company."""
    keys = contact_keys_of(first_name=first_name, last_name=last_name, email=email, rules=rules)
    full_name = normalize_full_name(first_name, last_name)
    company = normalize_company_name(company_name) if company_name.strip() else ""
    matches, _ = contacts_find(
        emails={keys.email},
        names_in_accounts={(account_id, full_name)} if account_id else set(),
        names_in_companies={(company, full_name)} if company else set(),
        rules=rules,
    )
    return matches.for_candidate(
        email=keys.email, full_name=full_name, account_id=account_id, company=company
    )


@pytest.mark.parametrize(
    "name", ["contoso", "CONTOSO", "Contoso Ltd", "Contoso, Inc.", "contoso gmbh"]
)
def test_it_matches_an_account_by_name_ignoring_case_punctuation_and_legal_suffixes(name):
    contoso = AccountFactory(name="Contoso, Ltd.", website="")

    assert account_duplicates(name=name) == [contoso]


def test_it_does_not_match_a_different_company():
    AccountFactory(name="Contoso, Ltd.", website="")

    assert account_duplicates(name="Contoso Pharma") == []
    assert account_duplicates(name="") == []


def test_it_matches_an_account_by_website_domain():
    contoso = AccountFactory(name="Contoso", website="https://contoso.example/about")

    assert account_duplicates(name="Something Else", website="www.CONTOSO.example") == [contoso]
    assert account_duplicates(name="Something Else", website="https://other.example") == []


def test_it_lists_an_account_matching_both_ways_once():
    contoso = AccountFactory(name="Contoso", website="https://contoso.example")

    assert account_duplicates(name="Contoso Inc", website="http://contoso.example") == [contoso]


def test_it_follows_the_account_rules():
    AccountFactory(name="Contoso", website="https://contoso.example")
    by_domain_only = DuplicateRules(account_by_name=False)
    by_name_only = DuplicateRules(account_by_domain=False)

    assert account_duplicates(name="Contoso", website="", rules=by_domain_only) == []
    assert account_duplicates(name="Other", website="contoso.example", rules=by_name_only) == []


def test_it_matches_a_contact_by_email_ignoring_case():
    nina = ContactFactory(email="Nina.Novak@Fabrikam.example")

    assert contact_duplicates(
        first_name="X", last_name="Y", email="NINA.NOVAK@fabrikam.EXAMPLE"
    ) == [nina]


def test_it_matches_a_contact_by_full_name_within_the_same_account_only():
    contoso, fabrikam = AccountFactory(name="Contoso"), AccountFactory(name="Fabrikam")
    nina = ContactFactory(first_name="Nina", last_name="Novak", email="", account=contoso)
    ContactFactory(first_name="Nina", last_name="Novak", email="", account=fabrikam)
    ContactFactory(first_name="Nina", last_name="Novak", email="", account=None)

    found = contact_duplicates(first_name="NINA", last_name="novak", account_id=contoso.pk)

    assert found == [nina]


def test_it_matches_a_contact_by_full_name_within_the_same_company_for_a_new_account():
    contoso = AccountFactory(name="Contoso Ltd")
    nina = ContactFactory(first_name="Nina", last_name="Novak", email="", account=contoso)

    assert contact_duplicates(
        first_name="Nina", last_name="Novak", company_name="CONTOSO, INC."
    ) == [nina]
    assert contact_duplicates(first_name="Nina", last_name="Novak", company_name="Other") == []


def test_it_does_not_match_a_contact_by_name_alone():
    ContactFactory(first_name="Nina", last_name="Novak", email="", account=None)

    assert contact_duplicates(first_name="Nina", last_name="Novak") == []


def test_it_follows_the_contact_rules():
    contoso = AccountFactory(name="Contoso")
    ContactFactory(first_name="Nina", last_name="Novak", email="nina@x.example", account=contoso)

    no_email = DuplicateRules(contact_by_email=False)
    no_name = DuplicateRules(contact_by_name=False)
    assert (
        contact_duplicates(first_name="A", last_name="B", email="nina@x.example", rules=no_email)
        == []
    )
    assert (
        contact_duplicates(
            first_name="Nina", last_name="Novak", account_id=contoso.pk, rules=no_name
        )
        == []
    )


def test_it_looks_up_many_account_candidates_in_one_query(django_assert_num_queries):
    contoso = AccountFactory(name="Contoso Ltd", website="https://contoso.example")
    fabrikam = AccountFactory(name="Fabrikam", website="https://fabrikam.example")
    northwind = AccountFactory(name="Northwind", website="https://northwind.example")

    with django_assert_num_queries(1):
        matches, by_id = accounts_find(
            names={"contoso", "tailspin", normalize_company_name("Fabrikam Inc")},
            domains={"fabrikam.example", "adatum.example"},
            ids={northwind.pk},
            rules=ALL_RULES,
        )

    assert matches.by_name == {"contoso": [contoso], "fabrikam": [fabrikam]}
    assert matches.by_domain == {"fabrikam.example": [fabrikam]}
    assert matches.for_candidate(name="fabrikam", domain="fabrikam.example") == [fabrikam]
    assert matches.for_candidate(name="tailspin", domain="adatum.example") == []
    # The record the qualify links comes in the same query, and is no match.
    assert by_id == {northwind.pk: northwind}


def test_it_looks_up_many_contact_candidates_in_one_query(django_assert_num_queries):
    contoso = AccountFactory(name="Contoso")
    fabrikam = AccountFactory(name="Fabrikam")
    by_email = ContactFactory(email="ann@contoso.example", account=None)
    by_account = ContactFactory(first_name="Bo", last_name="Berg", email="", account=contoso)
    by_company = ContactFactory(first_name="Cy", last_name="Chan", email="", account=fabrikam)
    # Same name, other account: a pair that the IN lookups find but that does not match.
    ContactFactory(first_name="Bo", last_name="Berg", email="", account=fabrikam)

    with django_assert_num_queries(1):
        matches, _ = contacts_find(
            emails={"ann@contoso.example", "nobody@example.com"},
            names_in_accounts={(contoso.pk, normalize_full_name("Bo", "Berg"))},
            names_in_companies={("fabrikam", normalize_full_name("Cy", "Chan"))},
            rules=ALL_RULES,
        )

    assert matches.by_email == {"ann@contoso.example": [by_email]}
    assert matches.by_account_name == {(contoso.pk, "bo berg"): [by_account]}
    assert matches.by_company_name == {("fabrikam", "cy chan"): [by_company]}


def test_it_makes_no_query_without_keys(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert accounts_find(names={""}, domains=set(), rules=ALL_RULES) == (
            accounts_find(rules=None)
        )
        assert contacts_find(emails={""}, rules=ALL_RULES)[0].by_email == {}


def test_it_finds_only_the_linked_records_when_detection_is_off(django_assert_num_queries):
    contoso = AccountFactory(name="Contoso")
    AccountFactory(name="Contoso Ltd")

    with django_assert_num_queries(1):
        matches, by_id = accounts_find(names={"contoso"}, ids={contoso.pk}, rules=None)

    assert matches.by_name == {}
    assert by_id == {contoso.pk: contoso}


def _query_plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
        return " | ".join(str(row[-1]) for row in cursor.fetchall())


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_it_uses_indexes_not_table_scans():
    account = AccountFactory(name="Contoso")
    ContactFactory(first_name="Nina", last_name="Novak", account=account)

    with CaptureQueriesContext(connection) as queries:
        account_duplicates(name="Contoso", website="contoso.example")
        contact_duplicates(
            first_name="Nina",
            last_name="Novak",
            email="nina@contoso.example",
            account_id=account.pk,
            company_name="Contoso",
        )

    plans = [_query_plan(query["sql"]) for query in queries.captured_queries]
    assert len(plans) == 2
    for plan in plans:
        assert "INDEX" in plan
        assert "SCAN crm_account " not in f"{plan} "
        assert "SCAN crm_contact " not in f"{plan} "


# Match-key locks ------------------------------------------------------------------------------


def test_it_gives_a_match_key_the_same_lock_in_every_process():
    # Pinned values: a lock id that changed between processes (like `hash()` of a str does)
    # would let two workers lock different ids for one company.
    assert match_key_lock_id(kind=MatchKeyKind.ACCOUNT_NAME, key="contoso") == (
        -2583869539934506665
    )
    assert match_key_lock_id(kind=MatchKeyKind.CONTACT_EMAIL, key="ann@contoso.example") == (
        -740961685547299376
    )


def test_it_keeps_each_key_kind_in_its_own_lock_namespace():
    ids = {match_key_lock_id(kind=kind, key="contoso") for kind in MatchKeyKind}

    assert len(ids) == len(MatchKeyKind)
    assert all(lock_id in BIGINT for lock_id in ids)


def test_it_locks_each_key_once_in_ascending_order_and_skips_empty_keys():
    ids = match_key_lock_ids(
        accounts=[
            AccountKeys(name="contoso", domain="contoso.example"),
            AccountKeys(name="contoso"),
            AccountKeys(),
        ],
        contacts=[
            ContactKeys(email="ann@contoso.example", full_name="ann lee"),
            ContactKeys(full_name="ann lee"),
        ],
    )

    assert ids == sorted(ids)
    assert len(ids) == 4
    assert match_key_lock_id(kind=MatchKeyKind.ACCOUNT_DOMAIN, key="contoso.example") in ids
    assert match_key_lock_ids(accounts=[AccountKeys()], contacts=[ContactKeys()]) == []


def test_it_builds_the_keys_the_match_rules_look_up():
    rules = DuplicateRules()

    assert account_keys_of(
        name="Contoso, Inc.", website="https://www.Contoso.example/about", rules=rules
    ) == AccountKeys(name="contoso", domain="contoso.example")
    assert contact_keys_of(
        first_name="Ann", last_name="LEE", email=" Ann@Contoso.example ", rules=rules
    ) == ContactKeys(email="ann@contoso.example", full_name="ann lee")
    assert account_keys_of(name=" ", website="", rules=rules) == AccountKeys()


def test_it_builds_no_key_for_a_rule_that_is_off():
    rules = DuplicateRules(
        account_by_name=False,
        account_by_similar_name=False,
        account_by_domain=False,
        account_by_phone=False,
        contact_by_email=False,
        contact_by_phone=False,
        contact_by_name=False,
    )

    assert account_keys_of(name="Contoso", website="contoso.example", rules=rules) == (
        AccountKeys()
    )
    assert (
        contact_keys_of(first_name="Ann", last_name="Lee", email="ann@contoso.example", rules=rules)
        == ContactKeys()
    )


def test_it_takes_every_lock_in_one_statement(django_assert_num_queries):
    accounts = [AccountKeys(name=f"company {n}", domain=f"c{n}.example") for n in range(300)]
    contacts = [ContactKeys(email=f"p{n}@example.com", full_name=f"p {n}") for n in range(300)]

    with django_assert_num_queries(LOCK_QUERIES):
        match_keys_lock(accounts=accounts, contacts=contacts)


def test_it_makes_no_lock_query_without_keys(django_assert_num_queries):
    with django_assert_num_queries(0):
        match_keys_lock(accounts=[AccountKeys()], contacts=[])


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_lock_outside_a_transaction():
    # A transaction-scoped lock taken in autocommit would be released at once.
    with pytest.raises(RuntimeError, match=re.escape(LOCK_OUTSIDE_TRANSACTION)):
        match_keys_lock(accounts=[AccountKeys(name="contoso")])

    with transaction.atomic():
        match_keys_lock(accounts=[AccountKeys(name="contoso")])


@pytest.mark.parametrize(
    ("name", "key"),
    [("★★★", "★★★"), (" +++ ", "+++"), ("🚀  🚀", "🚀 🚀"), ("The Company", "the company")],
)
def test_a_name_without_words_keeps_a_match_key(name, key):
    # A name of symbols only would otherwise normalise to "" and escape detection.
    assert normalize_company_name(name) == key
    assert normalize_company_name(name.upper()) == key
