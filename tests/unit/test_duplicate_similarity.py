"""The scorers behind the similar-name rules, without a query: what counts as the same name,
and the false matches the guards prevent."""

from __future__ import annotations

import pytest

from crm.matching import (
    email_domain,
    name_initials,
    normalize_company_name,
    normalize_phone,
    person_name_key,
)
from qualification.duplicates import company_name_reason, person_name_reason


def company(a: str, b: str):
    return company_name_reason(normalize_company_name(a), normalize_company_name(b))


@pytest.mark.parametrize(
    ("typed", "existing"),
    [
        ("Contoso Intl", "Contoso International"),
        ("Fabrikam & Sons", "Fabrikam and Sons"),
        ("Northwind Traders", "Traders Northwind"),
        ("Société Générale S.A.", "Societe Generale"),
        ("O'Neil Foods GmbH", "ONeil Foods"),
    ],
)
def test_it_keys_spelling_variants_of_a_company_alike(typed, existing):
    assert company(typed, existing) is not None
    assert company(typed, existing)[1] == 1.0


def test_it_scores_a_typo_in_a_company_name():
    assert company("Contosso", "Contoso Ltd") == ("similar name 0.93", pytest.approx(0.933, 0.01))


@pytest.mark.parametrize(
    ("typed", "existing"),
    [
        ("Asa Depape", "casa depapel"),  # Odoo's substring bug: a different first letter
        ("Contoso", "Contoso Pharma"),  # another company of the group
        ("Tailspin Toys", "Tailspin Tours"),  # one word unlike the other
        ("Alpine Ski House", "Alpine Ski"),
        ("Litware", "Kitware"),
        ("Ward Group", "Wade Group"),  # surnames one letter apart
        ("Davis Group", "Davidson Group"),
        ("Studio 54", "Studio 45"),  # other digits: another company
        ("Unit 1 Motors", "Unit 18 Motors"),
    ],
)
def test_it_does_not_match_a_different_company(typed, existing):
    assert company(typed, existing) is None


@pytest.mark.parametrize(
    ("typed", "existing", "reason"),
    [
        (("Jon", "Smith"), ("John", "Smith"), "similar name 0.97"),
        (("Bob", "Smith"), ("Robert", "Smith"), "similar name 0.97"),
        (("Michaela", "Neuman"), ("Michaela", "Neumann"), "similar name 0.96"),
        (("J.", "Smith"), ("John", "Smith"), "similar name 0.95"),
        (("Seán", "O\u2019Brien"), ("Sean", "OBrien"), "same name"),
        (("José", "García"), ("Jose", "Garcia"), "same name"),
        (("Anne-Marie", "Smith-Jones"), ("Anne", "Smith Jones"), "same name"),
    ],
)
def test_it_matches_a_person_whatever_the_spelling(typed, existing, reason):
    assert person_name_reason(typed, existing)[0] == reason


@pytest.mark.parametrize("typed", [("", "Smith, John"), ("Smith,", "John"), ("Smith", "John")])
def test_it_reads_a_name_written_last_first_when_the_rule_is_on(typed):
    assert person_name_reason(typed, ("John", "Smith")) == (
        "same name written \u201cLast, First\u201d",
        1.0,
    )
    assert person_name_reason(typed, ("John", "Smith"), reversed_ok=False) is None


@pytest.mark.parametrize(
    ("typed", "existing"),
    [
        (("Asa", "Depape"), ("Casa", "Depapel")),
        (("Asa Depape", ""), ("", "casa depapel")),
        (("John", "Smith"), ("Jane", "Smith")),
        (("Mark", "Smith"), ("Mary", "Smith")),
        (("John", "Smith"), ("John", "Smyth-Wilson")),
        (("Nina", "Novak"), ("Nina", "Kovak")),
        (("Pat1", "Doe"), ("Pat18", "Doe")),  # other digits: numbered test people
    ],
)
def test_it_does_not_match_a_different_person(typed, existing):
    assert person_name_reason(typed, existing) is None


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("+44 20 7946 0958", "020 7946 0958"),
        ("0044 (20) 7946-0958", "+44 20 7946 0958"),
        ("+1 (555) 010-2030", "555.010.2030"),
        ("1-555-010-2030", "5550102030"),
    ],
)
def test_it_keys_a_phone_whatever_its_format_and_country_code(one, other):
    assert normalize_phone(one) == normalize_phone(other) != ""


def test_it_keys_no_phone_for_too_few_digits():
    assert normalize_phone("ext. 12") == normalize_phone("n/a") == ""
    assert normalize_phone("+1 555 010 2030") != normalize_phone("+1 555 010 2031")


def test_it_builds_the_other_match_keys():
    assert (
        person_name_key("José", "O\u2019Brien")
        == person_name_key("jose", "OBRIEN")
        == "jose obrien"
    )
    assert email_domain(" Nina@Contoso.Example ") == "contoso.example"
    assert email_domain("no-at-sign") == ""
    assert name_initials("traders northwind") == name_initials("northwind traders") == "n t"
