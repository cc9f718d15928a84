"""The merge page's reads: which value each field keeps by default, and what points at each
record."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType

from crm.models import Account
from crm.selectors.merge import merge_link_counts, merge_records, merge_rows, merge_sources_default
from tests.factories import AccountFactory, ContactFactory, OpportunityFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_the_master_wins_unless_its_value_is_empty() -> None:
    owner = UserFactory()
    master = AccountFactory(owner=owner, phone="", city="   ", email="a@contoso.example")
    first = AccountFactory(owner=owner, phone="", city="Oslo", email="b@contoso.example")
    second = AccountFactory(owner=owner, phone="+1 555 0100", city="Bergen")
    records = merge_records(model=Account, ids=[master.pk, first.pk, second.pk])

    sources = merge_sources_default(model=Account, records=records, master_id=master.pk)

    assert sources["email"] == master.pk
    assert sources["city"] == first.pk  # blank counts as empty; the first other one wins
    assert sources["phone"] == second.pk
    assert sources["industry"] == master.pk  # empty everywhere: the master's


def test_the_rows_show_each_value_and_which_one_is_chosen() -> None:
    master = AccountFactory(name="Contoso", industry="")
    other = AccountFactory(name="CONTOSO", industry="Retail")
    records = merge_records(model=Account, ids=[master.pk, other.pk])
    sources = merge_sources_default(model=Account, records=records, master_id=master.pk)

    rows = {row.name: row for row in merge_rows(model=Account, records=records, sources=sources)}

    assert [(c.value, c.chosen) for c in rows["name"].cells] == [
        ("Contoso", True),
        ("CONTOSO", False),
    ]
    assert [(c.value, c.chosen) for c in rows["industry"].cells] == [("", False), ("Retail", True)]
    assert rows["owner"].label == "Owner"
    assert rows["name"].differs and not rows["country"].differs


def test_it_counts_what_points_at_each_record_in_one_query_per_link(
    django_assert_num_queries,
) -> None:
    account, other = AccountFactory(), AccountFactory()
    ContactFactory.create_batch(3, account=account)
    OpportunityFactory(customer_account=account, account=account)
    ContentType.objects.get_for_model(Account)  # cached per process after the first request

    with django_assert_num_queries(8):  # one per kind of link (crm.links.record_links)
        counts = merge_link_counts(model=Account, ids=[account.pk, other.pk])

    assert counts[account.pk] == [
        ("contacts (Account Name)", 3),
        ("opportunity (Account)", 1),
        ("opportunity (Potential Customer (account))", 1),
    ]
    assert counts[other.pk] == []


def test_it_keeps_the_order_given_and_skips_what_is_gone() -> None:
    first, second = AccountFactory(), AccountFactory()

    records = merge_records(model=Account, ids=[second.pk, 999999, first.pk])

    assert records == [second, first]
