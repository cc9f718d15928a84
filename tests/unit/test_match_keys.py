"""The folding every match key starts from: ASCII text (most names and emails) takes a short
way, and must come out as the long way gives it."""

from __future__ import annotations

import unicodedata

import pytest

from crm.matching.keys import fold, name_digits


def _fold_the_long_way(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return "".join(ch for ch in kept if ch not in "'\u2019\u2018`\u00b4\u02bc")


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Pat Buyer 12", "pat buyer 12"),
        ("O'Brien", "obrien"),
        ("D`ANGELO", "dangelo"),
        ("O\u2019Brien", "obrien"),
        ("Jos\u00e9 M\u00fcller", "jose muller"),
        ("Stra\u00dfe", "strasse"),
        ("\ufb01ne", "fine"),  # a ligature, split by NFKD
        ("", ""),
    ],
)
def test_fold_ignores_case_accents_and_apostrophes(text: str, folded: str) -> None:
    assert fold(text) == folded == _fold_the_long_way(text)


def test_fold_gives_every_ascii_character_as_the_long_way_does() -> None:
    every = "".join(chr(code) for code in range(128))
    assert fold(every) == _fold_the_long_way(every)


def test_name_digits_keeps_every_digit_in_order() -> None:
    assert name_digits("Studio 54, floor \u00b2 \u0663") == "54\u00b2\u0663"
