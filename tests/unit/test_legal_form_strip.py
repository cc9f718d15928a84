"""crm.matching.legal_form_strip gives what cleanco's basename gives, for every name: it only
finds the legal terms faster."""

from __future__ import annotations

import itertools

import pytest
from cleanco import basename
from cleanco.clean import prepare_default_terms
from faker import Faker
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.matching.keys import legal_form_strip

TERMS = [" ".join(parts) for _, parts in prepare_default_terms()]
# The spellings people type around a legal form: case, dots, commas, dashes, ampersands.
SPELLINGS = [
    "Contoso, Ltd.",
    "CONTOSO LTD",
    "Contoso Ltd Ltd",
    "Contoso Co. Ltd.",
    "Contoso Ltd. Co.",
    "Contoso GmbH & Co. KG",
    "Contoso mbH & Co KG",
    "Contoso S.A. de C.V.",
    "Contoso s.r.o.",
    "Contoso Pty. Ltd.",
    "Contoso Inc.,",
    "Contoso Inc.!!",
    "Contoso (Holdings) Ltd",
    "Contoso - Ltd",
    "Ltd",
    "Ltd Ltd",
    "The Company",
    "Société Générale S.A.",
    "Aktiebolaget Contoso AB",
    "\u041e\u041e\u041e \u0420\u043e\u043c\u0430\u0448\u043a\u0430",  # a Russian legal form first
    "\u0420\u043e\u043c\u0430\u0448\u043a\u0430 \u041e\u041e\u041e",  # and last
    "Contoso\u00a0Ltd",
    "Contoso \u2013 Limited",
    "ﬁne Ltd",
    "",
    "   ",
    "...",
    "★★★",
    "Company 12 Ltd",
]


def names() -> list[str]:
    faker = Faker(["en_US", "de_DE", "fr_FR", "es_MX", "sv_SE", "ru_RU", "ja_JP", "pt_BR"])
    faker.seed_instance(2026)
    generated = [faker.company() for _ in range(4000)]
    # Every term alone, after a name, twice, and after another term: the removals chain.
    stacked = [f"Contoso {a} {b}" for a, b in itertools.product(TERMS[::7], TERMS[::11])]
    return [
        *SPELLINGS,
        *generated,
        *TERMS,
        *(f"Contoso {term}" for term in TERMS),
        *(f"Contoso {term.upper()}." for term in TERMS),
        *(f"{term} {term}" for term in TERMS),
        *stacked,
    ]


def test_every_name_as_cleanco_gives_it():
    differ = [(name, legal_form_strip(name), basename(name)) for name in names()]
    differ = [row for row in differ if row[1] != row[2]]
    assert differ == []


@pytest.mark.parametrize(
    ("name", "stripped"),
    [
        ("Contoso, Ltd.", "Contoso"),
        ("Contoso GmbH & Co. KG", "Contoso"),
        ("Fabrikam Intl & Sons", "Fabrikam Intl & Sons"),
        ("Ltd", ""),
    ],
)
def test_trailing_legal_forms_go(name, stripped):
    assert legal_form_strip(name) == stripped


words = st.sampled_from([*TERMS, "Contoso", "&", "-", ",", "Co.", "LTD.", "ü", "a.b"])


@settings(max_examples=400, deadline=None)
@given(st.lists(words, max_size=6).map(" ".join))
def test_any_run_of_terms_as_cleanco_gives_it(name):
    assert legal_form_strip(name) == basename(name)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_any_text_as_cleanco_gives_it(name):
    assert legal_form_strip(name) == basename(name)
