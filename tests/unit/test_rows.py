"""crm.rows: many rows in one statement, the values stored as the model's fields store them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from crm.models import Account, Opportunity
from crm.rows import instances_insert, rows_insert
from qualification.models import Qualification
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_it_inserts_every_row_in_one_statement_and_returns_the_ids_in_order(
    django_assert_num_queries,
):
    owner = UserFactory()
    names = [f"Company {n}" for n in range(30)]

    with django_assert_num_queries(1):
        ids = rows_insert(
            model=Account,
            attnames=("name", "normalized_name", "owner_id", "created_at", "updated_at"),
            rows=[(name, name.lower(), owner.pk, timezone.now(), timezone.now()) for name in names],
        )

    assert [Account.objects.get(pk=pk).name for pk in ids] == names


def test_it_stores_decimals_dates_booleans_nulls_and_json_as_the_fields_do():
    account = AccountFactory()
    opportunity = Opportunity(
        topic="Chairs",
        customer_account=account,
        account=account,
        owner=account.owner,
        budget_amount=Decimal("12500.50"),
        estimated_close_date=date(2027, 3, 31),
        decision_maker=True,
        description="Line one\nline \"two\" 'three' \\ % {}",
    )

    instances_insert(model=Opportunity, objs=[opportunity], now=timezone.now())

    stored = Opportunity.objects.get(pk=opportunity.pk)
    assert stored.budget_amount == Decimal("12500.50")
    assert stored.estimated_close_date == date(2027, 3, 31)
    assert stored.decision_maker is True
    assert stored.contact_id is None
    assert stored.description == opportunity.description
    assert (stored.created_at, stored.updated_at) == (
        opportunity.created_at,
        opportunity.updated_at,
    )

    lead = LeadFactory()
    matches = {"account": [{"id": account.pk, "label": "Contoso \u201cLtd\u201d"}]}
    [pk] = rows_insert(
        model=Qualification,
        attnames=("lead_id", "lead_label", "qualified_by_id", "experience", "bulk",
                  "account_created", "contact_created", "account_duplicates",
                  "contact_duplicates", "duplicate_matches", "summary", "created_at"),
        rows=[(lead.pk, str(lead), lead.owner_id, "new", True, False, False, "linked", "",
               matches, "", timezone.now())],
    )  # fmt: skip
    assert Qualification.objects.get(pk=pk).duplicate_matches == matches


def test_a_column_the_rows_do_not_name_gets_the_fields_default():
    """A field added to a model later (the undo's record list) is never sent as NULL."""
    lead = LeadFactory()

    [pk] = rows_insert(
        model=Qualification,
        attnames=("lead_id", "lead_label", "qualified_by_id", "experience", "created_at"),
        rows=[(lead.pk, str(lead), lead.owner_id, "new", timezone.now())],
    )

    stored = Qualification.objects.get(pk=pk)
    assert stored.undone_records == []
    assert stored.undone_at is None
    assert stored.duplicate_matches == {}
    assert stored.summary == ""


def test_an_unsaved_related_record_is_refused_before_anything_is_written():
    owner = UserFactory()
    opportunity = Opportunity(topic="Chairs", owner=owner, customer_account=Account(name="New"))

    with pytest.raises(ValueError, match="customer_account"):
        instances_insert(model=Opportunity, objs=[opportunity], now=timezone.now())

    assert not Opportunity.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ignores varchar lengths")
def test_a_value_too_long_for_its_column_fails_as_an_insert_would():
    owner = UserFactory()

    with pytest.raises(DatabaseError), transaction.atomic():
        rows_insert(
            model=Account,
            attnames=("name", "normalized_name", "owner_id", "created_at", "updated_at"),
            rows=[("x" * 161, "x", owner.pk, timezone.now(), timezone.now())],
        )

    assert not Account.objects.exists()


def test_no_rows_make_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_insert(model=Account, attnames=("name",), rows=[]) == []
        instances_insert(model=Account, objs=[], now=timezone.now())
