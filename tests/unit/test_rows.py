"""crm.rows: many rows in one statement, the values stored as the model's fields store them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, models, transaction
from django.db.models import signals
from django.test.utils import isolate_apps
from django.utils import timezone

from crm.models import Account, Contact, Opportunity
from crm.rows import instance_new, instances_insert, instances_update, rows_insert
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


def test_saved_records_get_each_their_own_values_in_one_statement(django_assert_num_queries):
    account = AccountFactory()
    opportunities = [
        Opportunity.objects.create(
            topic=f"Deal {n}",
            customer_account=account,
            owner=account.owner,
            estimated_close_date=date(2027, 1, 1),
        )
        for n in range(4)
    ]
    changed, untouched = opportunities[:3], opportunities[3]
    stamp = timezone.now()
    for n, opportunity in enumerate(changed):
        opportunity.topic = f"Renamed {n}"
        opportunity.budget_amount = Decimal(f"{n}000.50")
        opportunity.estimated_close_date = date(2027, 3, n + 1) if n else None
        opportunity.updated_at = stamp

    with django_assert_num_queries(1):
        instances_update(
            model=Opportunity,
            objs=changed,
            fields=["topic", "budget_amount", "estimated_close_date", "updated_at"],
        )

    stored = {o.pk: o for o in Opportunity.objects.all()}
    assert [
        (stored[o.pk].topic, stored[o.pk].budget_amount, stored[o.pk].estimated_close_date)
        for o in changed
    ] == [
        ("Renamed 0", Decimal("0.50"), None),
        ("Renamed 1", Decimal("1000.50"), date(2027, 3, 2)),
        ("Renamed 2", Decimal("2000.50"), date(2027, 3, 3)),
    ]
    assert {stored[o.pk].updated_at for o in changed} == {stamp}
    assert stored[untouched.pk].topic == "Deal 3"
    assert stored[untouched.pk].estimated_close_date == date(2027, 1, 1)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite ignores varchar lengths")
def test_a_value_too_long_for_its_column_fails_as_an_update_would():
    account = AccountFactory(name="Contoso")
    account.name = "x" * 161

    with pytest.raises(DatabaseError), transaction.atomic():
        instances_update(model=Account, objs=[account], fields=["name"])

    assert Account.objects.get(pk=account.pk).name == "Contoso"


def test_no_rows_make_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert rows_insert(model=Account, attnames=("name",), rows=[]) == []
        instances_insert(model=Account, objs=[], now=timezone.now())
        instances_update(model=Account, objs=[], fields=["name"])


@pytest.mark.parametrize("model", [Account, Contact, Opportunity])
def test_a_new_instance_is_the_one_the_model_builds_from_the_same_values(model):
    owner = UserFactory()
    values = {"owner_id": owner.pk}
    if model is Opportunity:
        values |= {"topic": "Chairs", "customer_account_id": AccountFactory().pk}
    elif model is Contact:
        values["last_name"] = "Okafor"
    else:
        values["name"] = "Contoso"
    received = []

    def record(sender, **kwargs):
        received.append((sender, "instance" in kwargs))

    signals.pre_init.connect(record, sender=model)
    signals.post_init.connect(record, sender=model)
    try:
        built = instance_new(model=model, values=values)
    finally:
        signals.pre_init.disconnect(record, sender=model)
        signals.post_init.disconnect(record, sender=model)
    expected = model(**values)

    assert received == [(model, False), (model, True)]
    assert built._state.adding and built._state.db is None and built.pk is None
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            assert type(getattr(built, field.attname)) is type(getattr(expected, field.attname))
        else:
            assert getattr(built, field.attname) == getattr(expected, field.attname), field.name
    assert built.owner == owner
    built.save()
    assert model.objects.get(pk=built.pk).owner_id == owner.pk


def test_a_field_unknown_to_the_model_is_refused():
    with pytest.raises(TypeError, match="Account has no field colour"):
        instance_new(model=Account, values={"name": "Contoso", "colour": "red"})


@isolate_apps("crm")
def test_a_model_with_a_descriptor_of_its_own_is_built_by_the_model():
    class Stamp(models.Model):
        label = models.CharField(max_length=20, default="none")
        picture = models.FileField(blank=True)

        class Meta:
            app_label = "crm"

        def __str__(self) -> str:
            return self.label

    built = instance_new(model=Stamp, values={"label": "Blue"})

    assert built.label == "Blue"
    assert built.picture.name == ""
