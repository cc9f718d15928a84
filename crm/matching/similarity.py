"""How alike two names are, and why two records match: the scoring half of duplicate detection,
without a query (the candidate searches are in `qualification.duplicates` and `leads.duplicates`).
The qualify engine and lead-to-lead detection score with these functions, so a lead matches a
contact and another lead by one set of rules.

Scores come from rapidfuzz (normalised Indel similarity, 0..1), nicknames from the `nicknames`
package's curated list, "Last, First" parsing from nameparser. Hand-written here are only the
guards that keep fuzzy scores honest:

- the words' initials must agree: a typo rarely hits a word's first letter, and two different
  names often differ exactly there ("Asa Depape" is two edits from "casa depapel", the match
  that made Odoo fall back to email-only; its first letters differ, so it never matches);
- each name part must be similar on its own (first and last name, each word of a company), so
  a long shared surname cannot carry a different first name;
- accents, apostrophes and case are folded away before scoring (`crm.matching.fold`), so "José
  O'Brien" and "Jose OBrien" are the same name.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from typing import Any

from nameparser import HumanName
from nicknames import NickNamer
from rapidfuzz import fuzz

from crm.matching.keys import fold, name_digits

# A similar name matches from this score on (companies and people alike)...
SIMILAR_NAME_THRESHOLD = 0.85
# ... and a person's last name from this one; a first name,
# short and so moved further by one letter, from the higher one (Mark is not Mary).
PART_THRESHOLD = 0.75
FIRST_NAME_THRESHOLD = 0.8
# A company's words are often surnames one letter apart (Ward / Wade Group, Hill / Hall):
# each must be at least this alike.
COMPANY_WORD_THRESHOLD = 0.8
# Bulk qualify links a single match on its own only when it is this sure (or an exact rule
# matched); below, the lead goes to review with the reasons.
CLEAR_SIMILARITY = 0.95
NICKNAME_SCORE = 0.95  # Bob for Robert: the same first name, not the same spelling
INITIAL_SCORE = 0.9  # "J" for John
MISSING_FIRST_NAME_SCORE = 0.7  # one of the two has no first name: the surname must be exact
# Email domains shared by strangers: "same email domain" says nothing there.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk", "ymail.com", "hotmail.com",
        "hotmail.co.uk", "outlook.com", "live.com", "msn.com", "aol.com", "icloud.com",
        "me.com", "mac.com", "gmx.com", "gmx.de", "gmx.net", "web.de", "mail.com", "mail.ru",
        "yandex.ru", "yandex.com", "proton.me", "protonmail.com", "zoho.com", "qq.com",
        "163.com", "126.com", "t-online.de", "orange.fr", "free.fr", "libero.it",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Match:
    """One existing record that matches, with every rule it matched by.

    `why` is what the screens show: "same phone", "similar name 0.93 + same domain".
    """

    record: Any
    reasons: tuple[str, ...]
    # The best name similarity among the reasons (1.0 when no reason is fuzzy).
    score: float = 1.0
    # Sure enough for bulk qualify to link it without asking: an exact name, email or
    # domain, or a name this similar (CLEAR_SIMILARITY). A contact's phone alone is not: a
    # company's main line is everyone's business phone there.
    clear: bool = True

    @property
    def why(self) -> str:
        return " + ".join(self.reasons)


def _ratio(a: str, b: str) -> float:
    return fuzz.ratio(a, b) / 100


def _score_text(score: float) -> str:
    return f"{score:.2f}"


# Companies -----------------------------------------------------------------------------------


def company_name_similarity(a: str, b: str) -> float:
    """How alike two normalised company names are (`normalize_company_name` keys), 0..1; 0
    when the guards refuse: other digits, another number of words, other initials, or a word
    unlike its counterpart. Word order does not count ("Traders Northwind" is "Northwind
    Traders")."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    if name_digits(a) != name_digits(b):  # "Studio 54" is not "Studio 45", "Unit 1" not "Unit 18"
        return 0.0
    words_a, words_b = sorted(a.split()), sorted(b.split())
    if [w[0] for w in words_a] != [w[0] for w in words_b]:
        return 0.0
    for word_a, word_b in zip(words_a, words_b, strict=True):
        if word_a != word_b and _ratio(word_a, word_b) < COMPANY_WORD_THRESHOLD:
            return 0.0
    return fuzz.token_sort_ratio(a, b) / 100


def company_name_reason(a: str, b: str) -> tuple[str, float] | None:
    """("same name", 1.0) or ("similar name 0.93", 0.93) when the names match, else None."""
    score = company_name_similarity(a, b)
    if a == b:
        return "same name", 1.0
    if score >= SIMILAR_NAME_THRESHOLD:
        return f"similar name {_score_text(score)}", score
    return None


# People --------------------------------------------------------------------------------------


@cache
def _nicknamer() -> NickNamer:
    return NickNamer()


@cache
def _same_first_name(a: str, b: str) -> bool:
    """A nickname of the other, or both nicknames of one name (Bob and Rob for Robert)."""
    names = _nicknamer()
    kin_a = names.nicknames_of(a) | names.canonicals_of(a) | {a}
    kin_b = names.nicknames_of(b) | names.canonicals_of(b) | {b}
    return b in kin_a or a in kin_b or bool(names.canonicals_of(a) & names.canonicals_of(b))


@dataclass(frozen=True)
class PersonName:
    """A folded first name (its first word) and last name (its words run together, so
    "Smith-Jones" is "Smith Jones")."""

    first: str
    last: str

    @classmethod
    def of(cls, first_name: str, last_name: str) -> PersonName:
        first = fold(first_name).replace("-", " ").replace(".", " ").split()
        last = "".join(ch for ch in fold(last_name) if ch.isalnum())
        return cls(first=first[0] if first else "", last=last)

    @cached_property
    def block(self) -> tuple[str, str]:
        """What two readings must share to be compared at all (the first guards of
        `_names_similarity`): the last name's initial and the digits of the name."""
        return self.last[:1], name_digits(self.first + self.last)


# Bulk qualify scores every candidate of a chunk against the people found near it: the same
# names come back again and again, so their readings are remembered.
@lru_cache(maxsize=16_384)
def _written_forms(first_name: str, last_name: str, *, reversed_ok: bool) -> tuple[PersonName, ...]:
    """The ways a name can be read: as typed; with the "Last, First" rule also swapped, and
    parsed by nameparser when written with a comma ("Smith, John" in one field)."""
    typed = PersonName.of(first_name, last_name)
    forms = [typed]
    if reversed_ok:
        forms.append(PersonName(first=typed.last, last=typed.first))
        full = f"{first_name or ''} {last_name or ''}".strip()
        if "," in full:
            parsed = HumanName(full)
            forms.append(PersonName.of(parsed.first, parsed.last))
    return tuple(form for form in forms if form.last)


def person_name_blocks(
    first_name: str, last_name: str, *, reversed_ok: bool = True
) -> frozenset[tuple[str, str]]:
    """The blocks a candidate's readings fall in; an existing person (read as typed, with
    `reversed_ok=False`) can match it only from one of them. This lets a batch compare each
    candidate with the few people of its blocks instead of everyone found near the batch."""
    return frozenset(
        form.block for form in _written_forms(first_name, last_name, reversed_ok=reversed_ok)
    )


def _names_similarity(a: PersonName, b: PersonName) -> float:
    # The guards `block` names: the last name's initial, and "Pat1 Doe" is not "Pat18 Doe".
    if not a.last or not b.last or a.block != b.block:
        return 0.0
    last = 1.0 if a.last == b.last else _ratio(a.last, b.last)
    if a.first and b.first:
        if a.first == b.first:
            first = 1.0
        elif len(a.first) == 1 or len(b.first) == 1:
            first = INITIAL_SCORE if a.first[0] == b.first[0] else 0.0
        elif _same_first_name(a.first, b.first):
            first = NICKNAME_SCORE
        elif a.first[0] != b.first[0]:
            return 0.0
        else:
            first = _ratio(a.first, b.first)
            if first < FIRST_NAME_THRESHOLD:
                return 0.0
    elif a.first or b.first:
        first = MISSING_FIRST_NAME_SCORE if last == 1.0 else 0.0
    else:
        first = 1.0
    if last < PART_THRESHOLD:
        return 0.0
    return (first + last) / 2


def person_name_similarity(
    candidate: tuple[str, str], existing: tuple[str, str], *, reversed_ok: bool = True
) -> tuple[float, bool]:
    """How alike two people's names are, 0..1, given as (first name, last name) as typed; and
    whether the best reading was the "Last, First" one. Typos, nicknames, an initial, accents
    and apostrophes are tolerated; a different initial is not."""
    best, best_reversed = 0.0, False
    existing_forms = _written_forms(*existing, reversed_ok=False)
    for position, form in enumerate(_written_forms(*candidate, reversed_ok=reversed_ok)):
        for other in existing_forms:
            score = _names_similarity(form, other)
            if score > best:
                best, best_reversed = score, position > 0
    return best, best_reversed


def person_name_reason(
    candidate: tuple[str, str], existing: tuple[str, str], *, reversed_ok: bool = True
) -> tuple[str, float] | None:
    """("same name", 1.0), ("similar name 0.93", 0.93), ("same name written Last, First",
    1.0), ... when the names match, else None."""
    score, was_reversed = person_name_similarity(candidate, existing, reversed_ok=reversed_ok)
    if score < SIMILAR_NAME_THRESHOLD:
        return None
    text = "same name" if score >= 1.0 else f"similar name {_score_text(score)}"
    if was_reversed:
        text += " written \u201cLast, First\u201d"
    return text, score


def context_email_domain(domain: str) -> str:
    """The email domain as "the same email domain" evidence: '' for a free-mail domain."""
    return "" if domain in FREE_MAIL_DOMAINS else domain
