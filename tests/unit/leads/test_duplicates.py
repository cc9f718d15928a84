"""Lead-to-lead duplicates: the match keys every lead write fills, and the open leads found by
them with the reason each matched."""

from importlib import import_module

import pytest
from django.apps import apps
from django.urls import reverse

from leads.duplicates.keys import email_key, name_company_key, phone_key
from leads.duplicates.selectors import (
    MatchReason,
    lead_duplicates,
    lead_duplicates_count,
)
from leads.models import Lead
from leads.services import lead_create, lead_disqualify, lead_update
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def person(**fields):
    """A lead sharing nothing with the others unless told."""
    defaults = {
        "email": "",
        "business_phone": "",
        "mobile_phone": "",
        "company_name": "",
        "first_name": "",
    }
    return LeadFactory(**(defaults | fields))


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("+1 (425) 555-0100", "1 425 555 0100"),
        ("425.555.0100", "4255550100"),
    ],
)
def test_a_phone_written_two_ways_is_one_key(one, other):
    assert phone_key(one) == phone_key(other) != ""


def test_a_short_number_is_no_key():
    assert phone_key("ext. 12") == ""


def test_email_keys_ignore_case_and_spaces():
    assert email_key(" Jon.Smith@Contoso.COM ") == email_key("jon.smith@contoso.com")


def test_name_and_company_keys_ignore_case_spacing_and_legal_suffixes():
    key = name_company_key("Jon", "Smith", "Contoso Ltd")
    assert key == name_company_key("JON", "  smith", "CONTOSO, Inc.")
    assert key != name_company_key("Jon", "Smith", "Fabrikam")


def test_a_name_without_a_company_is_no_key():
    assert name_company_key("Jon", "Smith", "") == ""


def test_the_services_fill_and_refill_the_keys(salesperson):
    lead = lead_create(
        acting_user=salesperson,
        data={"topic": "Laptops", "last_name": "Smith", "email": "JS@Contoso.com"},
    )
    assert lead.email_key == "js@contoso.com"
    lead = lead_update(
        lead=lead, acting_user=salesperson, data={"email": "", "business_phone": "425 555 0100"}
    )
    lead.refresh_from_db()
    assert (lead.email_key, lead.business_phone_key) == ("", "4255550100")


def test_it_finds_open_leads_by_email_phone_and_name_with_company(salesperson):
    lead = person(
        owner=salesperson,
        email="jon@contoso.com",
        business_phone="+1 425 555 0100",
        first_name="Jon",
        last_name="Smith",
        company_name="Contoso Ltd",
    )
    by_email = person(email="JON@contoso.com", last_name="Other")
    by_phone = person(mobile_phone="1-425-555-0100", last_name="Else")
    by_name = person(first_name="jon", last_name="SMITH", company_name="CONTOSO Inc.")
    person(last_name="Smith", first_name="Jon", company_name="Fabrikam")
    person(email="jon@contoso.com", disqualified=True, last_name="Closed")

    matches = {match.lead.pk: match for match in lead_duplicates(lead=lead)}

    assert set(matches) == {by_email.pk, by_phone.pk, by_name.pk}
    assert matches[by_email.pk].reasons == (MatchReason.EMAIL,)
    assert matches[by_email.pk].fields == {"email"}
    assert matches[by_phone.pk].reasons == (MatchReason.PHONE,)
    assert matches[by_phone.pk].fields == {"mobile_phone"}
    assert matches[by_phone.pk].own_fields == {"business_phone"}
    assert matches[by_name.pk].reason_labels == "same name and company"
    assert matches[by_name.pk].fields == {"first_name", "last_name", "company_name"}
    assert lead_duplicates_count(lead=lead) == 3


def test_every_reason_of_one_lead_is_given(salesperson):
    lead = person(email="a@b.org", business_phone="425 555 0100", last_name="A")
    twin = person(email="A@B.org", business_phone="(425) 555-0100", last_name="B")

    [match] = lead_duplicates(lead=lead)

    assert match.lead == twin
    assert match.reason_labels == "same email, same phone"


def test_the_newest_duplicates_come_first_and_at_most_four(salesperson):
    lead = person(email="a@b.org", last_name="A")
    twins = [person(email="a@b.org", last_name=f"Twin {n}") for n in range(5)]

    found = [match.lead for match in lead_duplicates(lead=lead)]

    assert found == twins[:0:-1]


def test_a_closed_lead_or_one_without_keys_has_no_duplicates(salesperson):
    lead = person(owner=salesperson, email="a@b.org", last_name="A")
    person(email="a@b.org", last_name="B")
    bare = person(last_name="Nobody")
    lead_disqualify(lead=lead, reason="lost", acting_user=salesperson)
    lead.refresh_from_db()

    assert lead_duplicates(lead=lead) == []
    assert lead_duplicates_count(lead=bare) == 0


def test_no_key_costs_no_query(django_assert_num_queries):
    bare = person(last_name="Nobody")
    with django_assert_num_queries(0):
        assert lead_duplicates_count(lead=bare) == 0


def test_the_count_is_one_query_whatever_the_number_of_duplicates(django_assert_num_queries):
    lead = person(email="a@b.org", business_phone="425 555 0100", last_name="A")
    for number in range(3):
        person(email="a@b.org", last_name=f"B{number}")
    with django_assert_num_queries(1):
        assert lead_duplicates_count(lead=lead) == 3
    with django_assert_num_queries(1):
        assert len(lead_duplicates(lead=lead)) == 3


def test_the_migration_fills_the_keys_of_the_leads_that_exist():
    lead = person(email="Jon@Contoso.com", mobile_phone="+1 425 555 0100", last_name="Smith")
    Lead.objects.filter(pk=lead.pk).update(email_key="", mobile_phone_key="")
    migration = import_module("leads.migrations.0007_lead_duplicates")

    migration.fill_match_keys(apps, None)

    lead.refresh_from_db()
    assert (lead.email_key, lead.mobile_phone_key) == ("jon@contoso.com", "14255550100")


def test_the_admin_fills_the_keys(admin_client):
    lead = person(last_name="Smith")
    url = reverse("admin:leads_lead_change", args=[lead.pk])
    form = admin_client.get(url).context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None}
    data |= {"email": "NEW@contoso.com", "owner": lead.owner_id}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    lead.refresh_from_db()
    assert lead.email_key == "new@contoso.com"
