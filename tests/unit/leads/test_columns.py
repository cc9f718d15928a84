"""The lead grid's columns: what a choice keeps, and the sort column always shown."""

from __future__ import annotations

import pytest

from leads.columns import COLUMN_KEYS, columns_clean, visible_columns
from leads.export import csv_safe


def test_a_choice_keeps_known_columns_once_in_the_grids_order_with_name() -> None:
    assert columns_clean(["owner", "email", "owner", "secret"]) == ["name", "email", "owner"]


def test_the_sort_column_shows_even_when_not_chosen() -> None:
    keys = [column.key for column in visible_columns(["name", "email"], "-created_at")]

    assert keys == ["name", "email", "created_at"]
    assert [c.key for c in visible_columns(list(COLUMN_KEYS), "owner")] == list(COLUMN_KEYS)


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-5", "'-5"),
        ("@cmd", "'@cmd"),
        ("Contoso = big", "Contoso = big"),
        ("", ""),
    ],
)
def test_a_cell_that_would_be_a_formula_is_text(value: str, written: str) -> None:
    assert csv_safe(value) == written
