"""A batch's candidates are scored only against the records of their own block (a person's
last-name initial and digits, a company's initials and digits), not against everyone the batch
found in one place: with many people at one email domain or many companies of one initial, a
bulk chunk otherwise scored every lead against every one of them (5,000 leads at one domain
took 547 s of CPU)."""

from __future__ import annotations

import pytest

from crm.matching import similarity
from qualification.duplicates import DuplicateRules, LeadValues, candidates_for_values
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db

PEOPLE = 30


@pytest.fixture
def scored(monkeypatch) -> list[tuple]:
    """The (candidate, existing) pairs the scorers were asked about."""
    pairs: list[tuple] = []
    for module, name in (("contacts", "person_name_reason"), ("accounts", "company_name_reason")):
        scorer = getattr(similarity, name)

        def counting(candidate, existing, *args, _scorer=scorer, **kwargs):
            pairs.append((candidate, existing))
            return _scorer(candidate, existing, *args, **kwargs)

        monkeypatch.setattr(f"qualification.duplicates.{module}.{name}", counting)
    return pairs


def test_people_at_one_domain_are_scored_against_their_own_block(scored):
    for n in range(PEOPLE):
        ContactFactory(first_name="Pat", last_name=f"Buyer {n}", email=f"b{n}@contoso.example")
    ContactFactory(first_name="Jon", last_name="Smith", email="j@contoso.example")
    values = [
        LeadValues(first_name="Pat", last_name=f"Buyer {n}", email=f"new{n}@contoso.example")
        for n in range(PEOPLE)
    ]

    found = candidates_for_values(
        values=[
            *values,
            LeadValues(first_name="John", last_name="Smith", email="x@contoso.example"),
        ],
        rules=DuplicateRules(),
    )

    # Each numbered buyer is its namesake's duplicate, and no other's ...
    for n, candidates in enumerate(found[:PEOPLE]):
        assert [(m.record.last_name, m.why) for m in candidates.contacts] == [
            (f"Buyer {n}", "same name + same email domain")
        ]
    assert [m.why for m in found[PEOPLE].contacts] == ["similar name 0.97 + same email domain"]
    # ... and was compared with it alone, not with the 30 others at the domain.
    people = [pair for pair in scored if isinstance(pair[0], tuple)]
    assert len(people) <= PEOPLE + 2


def test_companies_of_one_initial_are_scored_against_their_own_block(scored):
    for n in range(PEOPLE):
        AccountFactory(name=f"Company {n}", website="", phone="")
    AccountFactory(name="Contoso Traders", website="", phone="")

    found = candidates_for_values(
        values=[
            *(LeadValues(company_name=f"Company {n}") for n in range(PEOPLE)),
            LeadValues(company_name="Contosso Traders"),
        ],
        rules=DuplicateRules(),
    )

    for n, candidates in enumerate(found[:PEOPLE]):
        assert [(m.record.name, m.why) for m in candidates.accounts] == [
            (f"Company {n}", "same name")
        ]
    assert [m.why for m in found[PEOPLE].accounts] == ["similar name 0.97"]
    companies = [pair for pair in scored if isinstance(pair[0], str)]
    assert len(companies) <= PEOPLE + 2
