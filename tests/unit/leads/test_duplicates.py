"""Lead-to-lead duplicates: the match keys every lead write fills, and the open leads found by
them with the reason each matched."""

from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse

from crm.matching.search import trigram_similar
from leads.duplicates.keys import lead_match_key_values
from leads.duplicates.selectors import lead_duplicates, lead_duplicates_count
from leads.models import Lead
from leads.services import lead_create, lead_disqualify, lead_update
from qualification.models import QualificationSettings
from tests.factories import LeadFactory

pytestmark = pytest.mark.django_db


def keys_of(**fields):
    blank = dict.fromkeys(
        ("email", "business_phone", "mobile_phone", "first_name", "last_name", "company_name"), ""
    )
    return lead_match_key_values(**(blank | fields))


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
        ("+44 20 7946 0958", "020 7946 0958"),  # the country code or the trunk 0
    ],
)
def test_a_phone_written_two_ways_is_one_key(one, other):
    assert keys_of(business_phone=one)["business_phone_key"] != ""
    assert keys_of(business_phone=one) == keys_of(business_phone=other)


def test_a_short_number_is_no_key():
    assert keys_of(business_phone="ext. 12")["business_phone_key"] == ""


def test_email_keys_ignore_case_and_spaces():
    assert keys_of(email=" Jon.Smith@Contoso.COM ") == keys_of(email="jon.smith@contoso.com")
    assert keys_of(email="Jon@Contoso.COM")["email_domain_key"] == "contoso.com"


def test_name_and_company_keys_ignore_case_spacing_accents_and_legal_suffixes():
    one = keys_of(first_name="José", last_name="O\u2019Brien", company_name="Contoso Ltd")
    other = keys_of(first_name="JOSE", last_name="  obrien", company_name="CONTOSO, Inc.")
    assert one == other
    assert (one["name_key"], one["company_key"], one["company_initials"]) == (
        "jose obrien",
        "contoso",
        "c",
    )


def test_no_company_is_no_company_key():
    assert keys_of(first_name="Jon", last_name="Smith")["company_key"] == ""


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
    assert (lead.email_key, lead.business_phone_key) == ("", "255550100")


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
    assert matches[by_email.pk].reasons == ("same email",)
    assert matches[by_email.pk].fields == {"email"}
    assert matches[by_phone.pk].reasons == ("same phone",)
    assert matches[by_phone.pk].fields == {"mobile_phone"}
    assert matches[by_phone.pk].own_fields == {"business_phone"}
    assert matches[by_name.pk].why == "same name + same company"
    assert matches[by_name.pk].fields == {"first_name", "last_name", "company_name"}
    assert lead_duplicates_count(lead=lead) == 3


def test_every_reason_of_one_lead_is_given(salesperson):
    lead = person(email="a@b.org", business_phone="425 555 0100", last_name="A")
    twin = person(email="A@B.org", business_phone="(425) 555-0100", last_name="B")

    [match] = lead_duplicates(lead=lead)

    assert match.lead == twin
    assert match.why == "same email + same phone"


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
    bare = person(first_name="", last_name="")
    with django_assert_num_queries(0):
        assert lead_duplicates_count(lead=bare) == 0


def test_no_name_match_without_a_company_or_a_domain(salesperson):
    lead = person(first_name="Jon", last_name="Smith")
    person(first_name="Jon", last_name="Smith")
    assert lead_duplicates(lead=lead) == []


# The switches, then the candidates: two queries whatever the number of rules and duplicates.
LOOKUP_QUERIES = 2


@pytest.mark.parametrize("twins", [1, 3])
def test_the_lookup_is_two_queries_whatever_the_number_of_duplicates(
    twins, django_assert_num_queries
):
    lead = person(
        email="jon@contoso.com",
        business_phone="425 555 0100",
        first_name="Jon",
        last_name="Smith",
        company_name="Contoso",
    )
    for number in range(twins):
        person(email="jon@contoso.com", last_name=f"B{number}")
        person(mobile_phone="425 555 0100", last_name=f"C{number}")
        person(first_name="John", last_name="Smith", company_name="Contosso Ltd")
    with django_assert_num_queries(LOOKUP_QUERIES):
        assert lead_duplicates_count(lead=lead) == 3 * twins
    with django_assert_num_queries(LOOKUP_QUERIES):
        assert len(lead_duplicates(lead=lead)) == min(3 * twins, 4)


def test_the_migration_fills_the_keys_of_the_leads_that_exist():
    lead = person(
        email="Jon@Contoso.com",
        mobile_phone="+1 425 555 0100",
        first_name="Jon",
        last_name="Smith",
        company_name="Contoso Ltd",
    )
    Lead.objects.filter(pk=lead.pk).update(
        email_key="", email_domain_key="", mobile_phone_key="", name_key="", company_key=""
    )
    migration = import_module("leads.migrations.0010_lead_duplicates_similar")

    migration.fill_match_keys(apps, None)

    lead.refresh_from_db()
    assert (
        lead.email_key,
        lead.email_domain_key,
        lead.mobile_phone_key,
        lead.name_key,
        lead.company_key,
    ) == ("jon@contoso.com", "contoso.com", "255550100", "jon smith", "contoso")


# The similarity rules, as the qualify engine applies them to contacts --------------------------


def at_contoso(first_name: str, last_name: str, company_name: str = "Contoso", **fields) -> Lead:
    return person(first_name=first_name, last_name=last_name, company_name=company_name, **fields)


def why(lead: Lead) -> list[str]:
    return [match.why for match in lead_duplicates(lead=lead)]


def test_a_similar_name_at_the_same_company_matches_with_its_score():
    lead = at_contoso("Jon", "Smith")
    other = at_contoso("John", "Smith", "CONTOSO Ltd")
    [match] = lead_duplicates(lead=lead)
    assert match.lead == other
    assert match.why == "similar name 0.97 + same company"
    assert match.fields == match.own_fields == {"first_name", "last_name", "company_name"}


def test_the_same_name_at_a_similar_company_matches():
    lead = at_contoso("Jon", "Smith", "Contosso")
    at_contoso("Jon", "Smith", "Contoso Ltd")
    assert why(lead) == ["same name + same company"]


def test_a_similar_name_in_the_same_email_domain_matches_but_not_in_free_mail():
    lead = person(first_name="Jon", last_name="Smith", email="jon@fabrikam.com")
    other = person(first_name="John", last_name="Smith", email="j.smith@Fabrikam.com")
    lead_gmail = person(first_name="Ann", last_name="Lee", email="ann.lee@gmail.com")
    person(first_name="Ann", last_name="Lee", email="annlee1980@gmail.com")
    [match] = lead_duplicates(lead=lead)
    assert (match.lead, match.why) == (other, "similar name 0.97 + same email domain")
    assert match.fields == {"first_name", "last_name", "email"}
    assert lead_duplicates(lead=lead_gmail) == []


def test_a_name_written_last_first_matches():
    lead = at_contoso("", "Smith, John")
    at_contoso("John", "Smith")
    assert why(lead) == ["same name written \u201cLast, First\u201d + same company"]


def test_swapped_first_and_last_names_match():
    lead = at_contoso("Smith", "John")
    at_contoso("John", "Smith")
    assert why(lead) == ["same name written \u201cLast, First\u201d + same company"]


def test_the_last_first_rule_follows_its_switch():
    lead = at_contoso("Smith", "John")
    at_contoso("John", "Smith")
    switches(match_contact_by_reversed_name=False)
    assert lead_duplicates(lead=lead) == []


def test_an_apostrophe_or_an_accent_never_prevents_a_match():
    lead = at_contoso("José", "O\u2019Brien")
    at_contoso("Jose", "OBrien")
    at_contoso("JOSÉ", "o'brien")
    assert why(lead) == ["same name + same company", "same name + same company"]


@pytest.mark.parametrize(
    ("typed", "existing"),
    [
        (("Asa", "Depape"), ("casa", "depapel")),  # Odoo's substring false match
        (("Pat1", "Doe"), ("Pat18", "Doe")),  # other digits: another person
        (("Mark", "Smith"), ("Mary", "Smith")),
        (("Jon", "Smith"), ("Jon", "Smyth-Jones")),
    ],
)
def test_different_people_at_one_company_do_not_match(typed, existing):
    lead = at_contoso(*typed)
    at_contoso(*existing)
    assert lead_duplicates(lead=lead) == []


def test_different_companies_do_not_make_the_same_company():
    lead = at_contoso("Jon", "Smith", "Tailspin Toys")
    at_contoso("Jon", "Smith", "Tailspin Tours")
    at_contoso("Jon", "Smith", "Studio 45")
    assert lead_duplicates(lead=lead) == []


def test_a_phone_with_or_without_the_country_code_matches():
    lead = person(last_name="A", business_phone="+44 20 7946 0958")
    other = person(last_name="B", mobile_phone="020 7946 0958")
    [match] = lead_duplicates(lead=lead)
    assert (match.lead, match.why, match.fields) == (other, "same phone", {"mobile_phone"})


def switches(**values) -> None:
    qualification_settings = QualificationSettings.load()
    for name, value in values.items():
        setattr(qualification_settings, name, value)
    qualification_settings.save()


def test_each_rule_follows_its_admin_switch():
    lead = at_contoso("Jon", "Smith", email="jon@contoso.com", business_phone="425 555 0100")
    by_email = person(last_name="A", email="JON@contoso.com")
    by_phone = person(last_name="B", mobile_phone="(425) 555-0100")
    by_name = at_contoso("John", "Smith")
    by_similar_company = at_contoso("Jon", "Smith", "Contosso")

    def found() -> set[int]:
        return {match.lead.pk for match in lead_duplicates(lead=lead)}

    assert found() == {by_email.pk, by_phone.pk, by_name.pk, by_similar_company.pk}
    switches(match_account_by_similar_name=False)
    assert found() == {by_email.pk, by_phone.pk, by_name.pk}
    switches(match_contact_by_name=False)
    assert found() == {by_email.pk, by_phone.pk}
    switches(match_contact_by_phone=False)
    assert found() == {by_email.pk}
    switches(match_contact_by_email=False, match_contact_by_name=True)
    assert found() == {by_name.pk}
    switches(detect_duplicates=False)
    assert found() == set()
    assert lead_duplicates_count(lead=lead) == 0


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


@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="pg_trgm and its threshold exist on PostgreSQL only; SQLite has no similarity test",
)
def test_the_similar_name_threshold_is_0_3_whatever_the_servers_setting():
    """The place's trigram index answers `%`, whose threshold is a server setting; the search
    still keeps exactly the names whose similarity is above 0.3."""
    names = ["tracy williams", "tracey williams", "tracy wills", "stacy william", "troy wall"]
    leads = [
        person(first_name=first, last_name=last, company_name="Brown Gardner")
        for first, last in (name.split(" ") for name in names)
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id FROM leads_lead WHERE id = ANY(%s) AND similarity(name_key, %s) > 0.3",
            [[lead.pk for lead in leads], "tracy williams"],
        )
        expected = {row[0] for row in cursor.fetchall()}
        assert 1 < len(expected) < len(leads)  # some in, some out
        for limit in ("0.3", "0.1"):
            # For this transaction only: the setting ends with the test.
            cursor.execute("SELECT set_config('pg_trgm.similarity_threshold', %s, true)", [limit])
            found = Lead.objects.filter(trigram_similar("name_key", "tracy williams"))
            assert set(found.values_list("pk", flat=True)) == expected
