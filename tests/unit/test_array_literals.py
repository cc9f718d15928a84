"""The array literals the duplicate lookups and the match-key locks send to PostgreSQL come
back as the values they were made of, whatever the text."""

from __future__ import annotations

import pytest
from django.db import connection
from hypothesis import given, settings
from hypothesis import strategies as st

from crm.matching.search import bigint_array, text_array

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL arrays"),
]

AWKWARD = ['a"b', "back\\slash", "", "NULL", "null", "{x,y}", "a,b", " spaced ", "é ü", "'", '\\"']


def _round_trip(sql: str, literal: str) -> list:
    with connection.cursor() as cursor:
        cursor.execute(sql, [literal])
        return cursor.fetchone()[0]


def test_awkward_text_comes_back_as_it_was():
    assert _round_trip("SELECT %s::text[]", text_array(AWKWARD)) == AWKWARD


def test_empty_arrays():
    assert _round_trip("SELECT %s::text[]", text_array([])) == []
    assert _round_trip("SELECT %s::bigint[]", bigint_array([])) == []


def test_bigints_come_back_as_they_were():
    ids = [-(2**63), -1, 0, 7, 2**63 - 1]
    assert _round_trip("SELECT %s::bigint[]", bigint_array(ids)) == ids


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.text(alphabet=st.characters(exclude_characters="\x00", exclude_categories=["Cs"])),
        max_size=8,
    )
)
def test_any_text_comes_back_as_it_was(values):
    assert _round_trip("SELECT %s::text[]", text_array(values)) == values
