"""Linking a lead to an existing account or contact: each mapping's policy (fill empty,
overwrite, never) in a single and in a bulk qualify, the salesperson's per-field choices, the
changes recorded on the qualification, and the queries that stay constant."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.models import Account, Contact, Opportunity
from leads.models import Lead, LeadState
from qualification.engine import (
    BulkOptions,
    Choice,
    QualifyDecisions,
    QualifyValidationError,
    RecordDecision,
    lead_qualify,
    leads_bulk_qualify,
)
from qualification.engine.linked import (
    FILLS,
    KEEPS,
    NEVER,
    NO_LEAD_VALUE,
    REPLACES,
    SAME,
    LinkedChoices,
    linked_fields,
)
from qualification.models import (
    CreationMode,
    FieldMapping,
    LinkedFieldChange,
    LinkedPolicy,
    Qualification,
    RecordType,
)
from tests.factories import AccountFactory, ContactFactory, LeadFactory
from tests.unit.engine.conftest import LOCK_QUERIES, configure

pytestmark = pytest.mark.django_db


def _policy(record_type: str, target_field: str, policy: str) -> None:
    FieldMapping.objects.filter(target=record_type, target_field=target_field).update(
        linked_policy=policy
    )


def _changes(qualification: Qualification) -> set[tuple[str, int, str, object, object]]:
    return {
        (c.record_type, c.record_id, c.field, c.old_value, c.new_value)
        for c in qualification.linked_changes.all()
    }


@pytest.fixture
def account():
    # Phone differs from the lead's, city is empty, the name matches.
    return AccountFactory(
        name="Fabrikam, Inc.", website="", phone="+1 555 999 0000", city="", country="Norway"
    )


@pytest.fixture
def linked_lead(lead, account):
    lead.existing_account = account
    lead.save()
    return lead


# Single qualify: the policy -------------------------------------------------------------


def test_fill_empty_fills_only_the_empty_fields(linked_lead, user, account):
    result = lead_qualify(lead_id=linked_lead.pk, acting_user=user)

    account.refresh_from_db()
    assert account.city == "Springfield"  # was empty
    assert account.website == "https://www.fabrikam.example"  # was empty
    assert account.website_domain == "fabrikam.example"  # its match key follows
    assert account.phone == "+1 555 999 0000"  # kept
    assert account.name == "Fabrikam, Inc."
    assert _changes(result.qualification) == {
        ("account", account.pk, "website", "", "https://www.fabrikam.example"),
        ("account", account.pk, "city", "", "Springfield"),
    }


def test_overwrite_replaces_the_existing_values(linked_lead, user, account):
    for name in ("phone", "name"):
        _policy(RecordType.ACCOUNT, name, LinkedPolicy.OVERWRITE)
    linked_lead.company_name = "Fabrikam Europe"
    linked_lead.save()

    result = lead_qualify(lead_id=linked_lead.pk, acting_user=user)

    account.refresh_from_db()
    assert account.phone == "+1 555 100 2000"
    assert account.name == "Fabrikam Europe"
    assert account.normalized_name == "fabrikam europe"
    assert account.city == "Springfield"  # still fill empty
    assert ("account", account.pk, "phone", "+1 555 999 0000", "+1 555 100 2000") in _changes(
        result.qualification
    )
    assert ("account", account.pk, "name", "Fabrikam, Inc.", "Fabrikam Europe") in _changes(
        result.qualification
    )


def test_never_leaves_the_field_alone(linked_lead, user, account):
    FieldMapping.objects.filter(target=RecordType.ACCOUNT).update(linked_policy=LinkedPolicy.NEVER)

    result = lead_qualify(lead_id=linked_lead.pk, acting_user=user)

    account.refresh_from_db()
    assert (account.city, account.website, account.phone) == ("", "", "+1 555 999 0000")
    assert not result.qualification.linked_changes.exists()


def test_a_lead_without_a_value_never_blanks_a_field(linked_lead, user, account):
    _policy(RecordType.ACCOUNT, "phone", LinkedPolicy.OVERWRITE)
    linked_lead.business_phone = ""
    linked_lead.save()

    lead_qualify(lead_id=linked_lead.pk, acting_user=user)

    account.refresh_from_db()
    assert account.phone == "+1 555 999 0000"


def test_it_fills_an_existing_contact_of_the_lead(lead, user):
    contact = ContactFactory(
        first_name="Nina", last_name="Novak", job_title="", mobile_phone="", email="n@x.example"
    )
    lead.existing_contact = contact
    lead.save()

    result = lead_qualify(lead_id=lead.pk, acting_user=user)

    contact.refresh_from_db()
    assert contact.job_title == "Buyer"
    assert contact.mobile_phone == "+1 555 100 3000"
    assert contact.mobile_phone_normalized == "551003000"  # its match key follows
    assert contact.email == "n@x.example"  # kept: fill empty
    assert ("contact", contact.pk, "job_title", "", "Buyer") in _changes(result.qualification)


def test_it_applies_the_policy_to_an_account_the_salesperson_picked(lead, user, account):
    configure(account_mode=CreationMode.SALESPERSON)

    lead_qualify(
        lead_id=lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(
            account=RecordDecision(choice=Choice.EXISTING, existing_id=account.pk)
        ),
    )

    account.refresh_from_db()
    assert account.city == "Springfield"


# Single qualify: the salesperson's per-field choices ------------------------------------------


def test_the_salespersons_choices_override_the_policy_per_field(linked_lead, user, account):
    choices = LinkedChoices(record_id=account.pk, fields={"phone": "take", "city": "keep"})

    result = lead_qualify(
        lead_id=linked_lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(linked={RecordType.ACCOUNT: choices}),
    )

    account.refresh_from_db()
    assert account.phone == "+1 555 100 2000"  # taken although fill empty would keep it
    assert account.city == ""  # kept although fill empty would fill it
    assert account.website == "https://www.fabrikam.example"  # no choice: the policy
    assert _changes(result.qualification) == {
        ("account", account.pk, "phone", "+1 555 999 0000", "+1 555 100 2000"),
        ("account", account.pk, "website", "", "https://www.fabrikam.example"),
    }


def test_choices_made_for_another_record_are_not_applied(linked_lead, user, account):
    choices = LinkedChoices(record_id=account.pk + 1000, fields={"city": "keep"})

    lead_qualify(
        lead_id=linked_lead.pk,
        acting_user=user,
        decisions=QualifyDecisions(linked={RecordType.ACCOUNT: choices}),
    )

    account.refresh_from_db()
    assert account.city == "Springfield"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"owner": "take"}, "“owner” is not a field the lead's mappings write on the account."),
        ({"city": "both"}, "Choose Keep existing or Take the lead's for “City”."),
    ],
)
def test_a_bad_choice_is_refused_and_nothing_is_written(
    linked_lead, user, account, fields, message
):
    choices = LinkedChoices(record_id=account.pk, fields=fields)

    with pytest.raises(QualifyValidationError) as refused:
        lead_qualify(
            lead_id=linked_lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(linked={RecordType.ACCOUNT: choices}),
        )

    assert [p.message for p in refused.value.problems] == [message]
    account.refresh_from_db()
    assert account.city == ""
    linked_lead.refresh_from_db()
    assert linked_lead.state == LeadState.OPEN
    assert not Qualification.objects.exists() and not LinkedFieldChange.objects.exists()


def test_taking_a_field_the_policy_never_updates_is_refused(linked_lead, user, account):
    _policy(RecordType.ACCOUNT, "phone", LinkedPolicy.NEVER)
    choices = LinkedChoices(record_id=account.pk, fields={"phone": "take"})

    with pytest.raises(QualifyValidationError) as refused:
        lead_qualify(
            lead_id=linked_lead.pk,
            acting_user=user,
            decisions=QualifyDecisions(linked={RecordType.ACCOUNT: choices}),
        )

    assert refused.value.problems[0].message == (
        "“Main Phone” is never updated from a lead (the administrator's policy)."
    )
    account.refresh_from_db()
    assert account.phone == "+1 555 999 0000"


# The preview rows ---------------------------------------------------------------------------


def test_the_preview_says_what_happens_to_each_field(lead, account):
    _policy(RecordType.ACCOUNT, "country", LinkedPolicy.NEVER)
    _policy(RecordType.ACCOUNT, "street1", LinkedPolicy.OVERWRITE)
    account.street1, account.industry = "1 Old Road", ""
    lead.street1, lead.country, lead.industry = "2 New Road", "France", ""
    mappings = list(FieldMapping.objects.filter(target=RecordType.ACCOUNT).order_by("id"))
    values = {m.target_field: getattr(lead, m.source_field) for m in mappings}

    rows = {
        row.name: row
        for row in linked_fields(
            model=Account,
            record=account,
            mappings=mappings,
            lead_values=values,
            choices=LinkedChoices(record_id=account.pk, fields={"street1": "keep"}),
        )
    }

    assert rows["city"].outcome == FILLS and rows["city"].choosable
    assert rows["phone"].outcome == KEEPS and rows["phone"].choice == "keep"
    assert rows["street1"].outcome == KEEPS  # overwrite, but the salesperson keeps it
    assert rows["name"].outcome == SAME and not rows["name"].choosable
    assert rows["industry"].outcome == NO_LEAD_VALUE
    assert rows["country"].outcome == NEVER and not rows["country"].choosable
    assert list(rows) == [m.target_field for m in mappings]  # the mappings' order
    by_policy = linked_fields(model=Account, record=account, mappings=mappings, lead_values=values)
    assert {row.name: row.outcome for row in by_policy}["street1"] == REPLACES


# Bulk qualify: the policy without asking ------------------------------------------------------


def _bulk(user, leads):
    return leads_bulk_qualify(
        lead_ids=[lead.pk for lead in leads], acting_user=user, options=BulkOptions()
    )


def test_bulk_fills_empty_fields_of_a_single_clear_match(user):
    account = AccountFactory(name="Northwind Traders", website="", city="", phone="+1 1")
    lead = LeadFactory(
        owner=user, company_name="Northwind Traders", website="", city="Oslo", business_phone="+2"
    )

    outcome = _bulk(user, [lead])

    assert outcome.qualified_ids == [lead.pk]
    account.refresh_from_db()
    assert (account.city, account.phone) == ("Oslo", "+1 1")
    assert _changes(Qualification.objects.get(lead=lead)) == {
        ("account", account.pk, "city", "", "Oslo")
    }


def test_bulk_keeps_every_match_key_of_a_filled_record(user):
    account = AccountFactory(name="Northwind Traders", website="", phone="")
    lead = LeadFactory(
        owner=user, company_name="Northwind Traders", business_phone="+1 555 0100 200"
    )

    _bulk(user, [lead])

    account.refresh_from_db()
    # The phone filled in is found by the phone rule from now on.
    assert (account.phone, account.phone_normalized) == ("+1 555 0100 200", "550100200")


def test_bulk_two_leads_linking_one_record_fill_it_once(user):
    account = AccountFactory(name="Contoso", website="", city="")
    first = LeadFactory(owner=user, existing_account=account, city="Lyon", company_name="")
    second = LeadFactory(owner=user, existing_account=account, city="Nice", company_name="")

    _bulk(user, [first, second])

    account.refresh_from_db()
    assert account.city == "Lyon"
    assert _changes(Qualification.objects.get(lead=first)) == {
        ("account", account.pk, "city", "", "Lyon")
    }
    assert not Qualification.objects.get(lead=second).linked_changes.filter(field="city").exists()


def test_bulk_overwrite_records_each_leads_change_in_turn(user):
    _policy(RecordType.ACCOUNT, "city", LinkedPolicy.OVERWRITE)
    account = AccountFactory(name="Contoso", website="", city="Paris")
    first = LeadFactory(owner=user, existing_account=account, city="Lyon", company_name="")
    second = LeadFactory(owner=user, existing_account=account, city="Nice", company_name="")

    _bulk(user, [first, second])

    account.refresh_from_db()
    assert account.city == "Nice"
    # Undone in reverse order, the changes give Paris back.
    assert _changes(Qualification.objects.get(lead=first)) == {
        ("account", account.pk, "city", "Paris", "Lyon")
    }
    assert _changes(Qualification.objects.get(lead=second)) == {
        ("account", account.pk, "city", "Lyon", "Nice")
    }


def test_bulk_never_writes_nothing_on_linked_records(user):
    FieldMapping.objects.filter(target__in=["account", "contact"]).update(
        linked_policy=LinkedPolicy.NEVER
    )
    account = AccountFactory(name="Contoso", website="", city="")
    contact = ContactFactory(account=account, job_title="")
    lead = LeadFactory(owner=user, existing_account=account, existing_contact=contact, city="Lyon")

    _bulk(user, [lead])

    account.refresh_from_db()
    contact.refresh_from_db()
    assert (account.city, contact.job_title) == ("", "")
    assert not LinkedFieldChange.objects.exists()


# Query counts ---------------------------------------------------------------------------------


def _linked_leads(owner, count: int) -> list[int]:
    accounts = Account.objects.bulk_create(
        [
            Account(name=f"Linked {n}", normalized_name=f"linked {n}", owner=owner)
            for n in range(count)
        ]
    )
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                last_name=f"Person {n}", full_name_normalized=f"person {n}", account=a, owner=owner
            )
            for n, a in enumerate(accounts)
        ]
    )
    leads = Lead.objects.bulk_create(
        [
            Lead(
                topic=f"Deal {n}",
                last_name=f"Person {n}",
                job_title="Buyer",
                city="Bergen",
                existing_account=account,
                existing_contact=contact,
                owner=owner,
            )
            for n, (account, contact) in enumerate(zip(accounts, contacts, strict=True))
        ]
    )
    return [lead.pk for lead in leads]


def _bulk_queries(owner, count: int) -> int:
    ids = _linked_leads(owner, count)
    ContentType.objects.get_for_models(Lead, Opportunity)
    with CaptureQueriesContext(connection) as captured:
        outcome = leads_bulk_qualify(lead_ids=ids, acting_user=owner, options=BulkOptions())
    assert outcome.qualified_count == count
    assert LinkedFieldChange.objects.filter(field="city").count() == 2 * count
    return len(captured.captured_queries)


def test_bulk_writes_linked_records_in_queries_that_do_not_grow_with_the_batch(salesperson):
    five = _bulk_queries(salesperson, 5)
    LinkedFieldChange.objects.all().delete()

    two_hundred = _bulk_queries(salesperson, 200)

    assert two_hundred == five


def test_it_pins_the_queries_of_a_chunk_that_links_existing_records(
    salesperson, django_assert_num_queries
):
    ids = _linked_leads(salesperson, 20)
    ContentType.objects.get_for_models(Lead, Opportunity)
    # Settings, mappings, savepoint and release, the leads locked, the linked accounts and
    # contacts locked (2), 1 UPDATE of the accounts and 1 of the contacts (their empty
    # fields filled), opportunities, origins, qualifications, their opportunity links, the
    # linked-field changes, timeline, the leads' update. No match keys to lock: nothing new.
    with django_assert_num_queries(16):
        leads_bulk_qualify(lead_ids=ids, acting_user=salesperson, options=BulkOptions())
    assert Account.objects.filter(city="Bergen").count() == 20
    assert Contact.objects.filter(job_title="Buyer", city="Bergen").count() == 20


def test_a_single_qualify_linking_records_pins_its_queries(
    linked_lead, user, django_assert_num_queries
):
    ContentType.objects.get_for_models(Lead, Opportunity)
    # settings, mappings, savepoint, lead locked, [PostgreSQL: match keys], account and
    # contact lookups, the account's UPDATE, contact, opportunity, origins, lead,
    # qualification, its opportunity link, the linked-field changes, timeline, release.
    with django_assert_num_queries(16 + LOCK_QUERIES):
        lead_qualify(lead_id=linked_lead.pk, acting_user=user)
