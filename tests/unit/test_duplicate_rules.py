"""Each duplicate rule against the database, through the public `candidates_for_values`:
what it matches, why it says it matched, that its switch turns it off, the false matches it
never makes, and that any number of values costs the same two queries."""

from __future__ import annotations

import dataclasses

import pytest

from qualification.duplicates import DuplicateRules, LeadValues, candidates_for_values
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

ALL_RULES = DuplicateRules()


def off(*names: str) -> DuplicateRules:
    return dataclasses.replace(ALL_RULES, **dict.fromkeys(names, False))


def accounts(rules: DuplicateRules = ALL_RULES, **values: str) -> list[tuple[str, str]]:
    [found] = candidates_for_values(values=[LeadValues(**values)], rules=rules)
    return [(match.record.name, match.why) for match in found.accounts]


def contacts(rules: DuplicateRules = ALL_RULES, **values: str) -> list[tuple[str, str]]:
    [found] = candidates_for_values(values=[LeadValues(**values)], rules=rules)
    return [(match.record.full_name, match.why) for match in found.contacts]


# Accounts ------------------------------------------------------------------------------------


def test_it_matches_an_account_by_its_normalised_name():
    AccountFactory(name="Contoso, Ltd.", website="", phone="")

    assert accounts(company_name="CONTOSO Inc") == [("Contoso, Ltd.", "same name")]
    assert accounts(off("account_by_name", "account_by_similar_name"), company_name="Contoso") == []


def test_it_matches_an_account_by_a_similar_name():
    AccountFactory(name="Contoso, Ltd.", website="", phone="")
    AccountFactory(name="Northwind Traders", website="", phone="")

    assert accounts(company_name="Contosso") == [("Contoso, Ltd.", "similar name 0.93")]
    assert accounts(company_name="Traders Northwind") == [
        ("Northwind Traders", "similar name 1.00")
    ]
    assert accounts(off("account_by_similar_name"), company_name="Contosso") == []


def test_it_says_every_rule_an_account_matched_by():
    AccountFactory(name="Contoso", website="https://contoso.example", phone="+1 555 010 2030")

    found = accounts(company_name="Contosso", website="www.contoso.example")

    assert found == [("Contoso", "same domain + similar name 0.93")]


def test_it_matches_an_account_by_its_phone_whatever_the_format():
    AccountFactory(name="Adatum", website="", phone="+1 (555) 010-2030")

    assert accounts(company_name="Other", business_phone="555.010.2030") == [
        ("Adatum", "same phone")
    ]
    assert accounts(off("account_by_phone"), business_phone="555 010 2030") == []


def test_it_matches_an_account_by_its_website_domain():
    AccountFactory(name="Adatum", website="https://adatum.example/about", phone="")

    assert accounts(company_name="Other", website="http://www.adatum.example") == [
        ("Adatum", "same domain")
    ]
    assert accounts(off("account_by_domain"), website="adatum.example") == []


def test_it_never_matches_asa_depape_to_casa_depapel():
    AccountFactory(name="Casa Depapel", website="", phone="")

    assert accounts(company_name="Asa Depape") == []


# Contacts ------------------------------------------------------------------------------------


def test_it_matches_a_contact_by_email():
    ContactFactory(first_name="Nina", last_name="Novak", email="Nina@Fabrikam.example")

    assert contacts(last_name="Other", email="NINA@fabrikam.example") == [
        ("Nina Novak", "same email")
    ]
    assert contacts(off("contact_by_email"), last_name="X", email="nina@fabrikam.example") == []


def test_it_matches_a_contact_by_business_or_mobile_phone_country_code_tolerant():
    ContactFactory(
        first_name="Nina", last_name="Novak", business_phone="", mobile_phone="+44 7700 900123"
    )

    assert contacts(last_name="Other", email="", business_phone="07700 900123") == [
        ("Nina Novak", "same phone")
    ]
    assert contacts(off("contact_by_phone"), last_name="X", mobile_phone="07700900123") == []


def test_it_matches_a_similar_name_within_the_same_company():
    fabrikam = AccountFactory(name="Fabrikam Inc", website="", phone="")
    ContactFactory(first_name="John", last_name="Smith", email="", account=fabrikam)
    ContactFactory(first_name="John", last_name="Smith", email="")  # no company: no match

    assert contacts(first_name="Jon", last_name="Smith", company_name="Fabrikam") == [
        ("John Smith", "similar name 0.97 + same company")
    ]
    assert contacts(first_name="Jon", last_name="Smith", company_name="Other Co") == []
    assert contacts(first_name="Jon", last_name="Smith") == []
    assert contacts(off("contact_by_name"), last_name="Smith", company_name="Fabrikam") == []


def test_it_matches_a_similar_name_at_the_company_written_another_way():
    fabrikam = AccountFactory(name="Fabrikam Ltd", website="", phone="")
    ContactFactory(first_name="John", last_name="Smith", email="", account=fabrikam)

    assert contacts(first_name="Jon", last_name="Smith", company_name="Fabrikamm Inc") == [
        ("John Smith", "similar name 0.97 + same company")
    ]


def test_it_matches_a_similar_name_within_the_same_email_domain_but_not_free_mail():
    ContactFactory(first_name="Robert", last_name="Smith", email="rsmith@fabrikam.example")
    ContactFactory(first_name="Robert", last_name="Smith", email="robert.smith@gmail.com")

    assert contacts(first_name="Bob", last_name="Smith", email="bob@fabrikam.example") == [
        ("Robert Smith", "similar name 0.97 + same email domain")
    ]
    assert contacts(first_name="Bob", last_name="Smith", email="bob.s@gmail.com") == []


def test_it_matches_a_name_written_last_first():
    fabrikam = AccountFactory(name="Fabrikam", website="", phone="")
    ContactFactory(first_name="John", last_name="Smith", email="", account=fabrikam)

    assert contacts(first_name="", last_name="Smith, John", company_name="Fabrikam") == [
        ("John Smith", "same name written \u201cLast, First\u201d + same company")
    ]
    assert (
        contacts(off("contact_by_reversed_name"), last_name="Smith, John", company_name="Fabrikam")
        == []
    )


def test_an_apostrophe_or_an_accent_never_prevents_a_match():
    fabrikam = AccountFactory(name="Fabrikam", website="", phone="")
    ContactFactory(first_name="Seán", last_name="O\u2019Brien", email="", account=fabrikam)
    ContactFactory(first_name="Jose", last_name="Garcia", email="", account=fabrikam)

    assert contacts(first_name="Sean", last_name="OBrien", company_name="Fabrikam") == [
        ("Seán O\u2019Brien", "same name + same company")
    ]
    assert contacts(first_name="JOSÉ", last_name="García", company_name="Fabrikam") == [
        ("Jose Garcia", "same name + same company")
    ]


def test_it_never_matches_asa_depape_to_casa_depapel_in_one_company():
    depapel = AccountFactory(name="Depapel", website="", phone="")
    ContactFactory(first_name="Casa", last_name="Depapel", email="", account=depapel)

    assert contacts(first_name="Asa", last_name="Depape", company_name="Depapel") == []


def test_a_name_alone_never_matches():
    ContactFactory(first_name="Nina", last_name="Novak", email="")

    assert contacts(first_name="Nina", last_name="Novak") == []


# Set-based -----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 40])
def test_it_looks_up_any_number_of_values_in_two_queries(count, django_assert_num_queries):
    fabrikam = AccountFactory(name="Fabrikam", website="https://fabrikam.example")
    ContactFactory(first_name="John", last_name="Smith", account=fabrikam)
    values = [
        LeadValues(
            first_name="Jon",
            last_name=f"Smith{n}",
            email=f"j{n}@fabrikam.example",
            business_phone=f"+1 555 010 {n:04}",
            company_name=f"Fabrikam {n}",
            website=f"https://c{n}.example",
        )
        for n in range(count)
    ]

    with django_assert_num_queries(2):
        found = candidates_for_values(values=values, rules=ALL_RULES)

    assert len(found) == count


def test_it_makes_no_query_when_detection_is_off(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert (
            candidates_for_values(values=[LeadValues(last_name="X")], rules=None)[0].accounts == []
        )
