"""Match keys for customer records: the normalised forms that duplicate detection looks up.

Stored on the records (indexed) by the services that write them, so a duplicate lookup is an
indexed equality match (or, for the similar-name rules on PostgreSQL, a trigram index search),
never a scan in Python.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left
from functools import lru_cache
from urllib.parse import urlsplit

from cleanco.clean import normalized, prepare_default_terms, strip_punct, strip_tail

# Words that are left after cleanco's legal-form stripping and still do not tell two
# companies apart: a leading "The", and a legal form in the middle ("Contoso Ltd Services").
LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "gmbh", "ag", "kg",
        "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "aps", "pty", "pte",
        "co", "corp", "corporation", "company", "kk", "se", "sl", "ug", "the",
    }
)  # fmt: skip
# Abbreviations people write either way in company names: the key spells them out, so
# "Contoso Intl" and "Contoso International" have one key. (cleanco strips legal forms only.)
ABBREVIATIONS = {
    "intl": "international", "natl": "national",
    "assoc": "associates", "assn": "association", "bros": "brothers", "mfg": "manufacturing",
    "svcs": "services", "svc": "services", "tech": "technology", "technologies": "technology",
    "sys": "systems", "grp": "group", "hldgs": "holdings", "dept": "department",
    "univ": "university", "ctr": "center", "centre": "center", "mgmt": "management",
    "labs": "laboratories", "lab": "laboratories", "intnl": "international",
}  # fmt: skip
_NON_WORD = re.compile(r"[^\w\s]+")
_APOSTROPHES = re.compile(r"[\'\u2019\u2018`\u00b4\u02bc]")
_SPACE = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D+")
# Digits of a phone number compared: the trailing ones, so "+44 20 7946 0958", "0044 20..."
# and "020 7946 0958" (national, with a trunk 0) are one number. Fewer digits are no phone.
PHONE_KEY_DIGITS = 9
PHONE_MIN_DIGITS = 7


def fold(text: str) -> str:
    """Case, accents and apostrophes ignored: "O\u2019Brien" and "obrien", "José" and "JOSE"."""
    text = text or ""
    if text.isascii():
        # Nothing to decompose or drop (NFKD leaves ASCII as it is): most names and emails.
        return _APOSTROPHES.sub("", text.casefold())
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _APOSTROPHES.sub("", text)


# cleanco's legal terms ("ltd", "gmbh & co kg"), as its `basename` takes them: word lists in
# the order it tries them. Indexed by their last word, so that a name is compared with the few
# terms that could end it instead of all 321.
_LEGAL_TERMS = [parts for _, parts in prepare_default_terms() if parts]


def _orders_by_last_word(terms: list[list[str]]) -> dict[str, list[int]]:
    """{last word: the positions of the terms ending with it, ascending}."""
    orders: dict[str, list[int]] = {}
    for order, parts in enumerate(terms):
        orders.setdefault(parts[-1], []).append(order)
    return orders


_LEGAL_TERMS_BY_LAST_WORD = _orders_by_last_word(_LEGAL_TERMS)


def legal_form_strip(name: str) -> str:
    """The name without its trailing legal forms, exactly as cleanco's `basename(name)` gives
    it ("Contoso, Ltd." -> "Contoso"), from cleanco's own terms and text helpers: only the
    search differs. `basename` tries every term in turn against the end of the name, removing
    each that matches; here each step goes straight to the next term (in that same order) that
    ends with the name's last word, so the same terms are removed in the same order, at a
    seventh of the cost (38 to 5 us a name: a bulk qualify of 10,000 leads normalises 8,000)."""
    name = strip_tail(name)
    parts = name.split()
    words = [strip_punct(word) for word in normalized(name).split()]
    after = 0  # terms before this one in the order have been tried already
    while words:
        orders = _LEGAL_TERMS_BY_LAST_WORD.get(words[-1], ())
        for order in orders[bisect_left(orders, after) :]:
            term = _LEGAL_TERMS[order]
            if words[-len(term) :] == term:
                del words[-len(term) :]
                del parts[-len(term) :]
                after = order + 1
                break
        else:
            break
    return strip_tail(" ".join(parts))


def _words(text: str) -> list[str]:
    return [word for word in _SPACE.split(_NON_WORD.sub(" ", text).strip()) if word]


# A bulk qualify normalises a lead's company several times (its lock key, its lookup, the new
# account's keys), and many leads share one: the answers are remembered, a bounded number.
@lru_cache(maxsize=8192)
def normalize_company_name(name: str) -> str:
    """'Contoso, Ltd.' and 'CONTOSO LTD' and 'Contoso' all give 'contoso'; 'Fabrikam Intl &
    Sons' gives 'fabrikam international and sons'. Legal forms are stripped by cleanco's
    maintained list of legal terms (`legal_form_strip`), then what it leaves is folded word
    by word."""
    stripped = legal_form_strip(name or "") or (name or "")
    text = fold(stripped).replace("&", " and ")
    words = [ABBREVIATIONS.get(word, word) for word in _words(text)]
    kept = [word for word in words if word not in LEGAL_SUFFIXES]
    if not kept and stripped != (name or ""):
        # cleanco took every word but legal terms ("The Company" -> "The"): keep them all.
        words = _words(fold(name or "").replace("&", " and "))
    # A name made only of suffixes ("The Company") keeps its words rather than becoming empty.
    key = " ".join(kept or words)
    if not key:
        # A name made only of symbols ("★★★", "+++", "🚀🚀") has no words: it still matches its
        # own spelling, case and spacing ignored, instead of escaping duplicate detection.
        key = _SPACE.sub(" ", (name or "").casefold()).strip()
    return key[:160]


@lru_cache(maxsize=8192)
def website_domain(url: str) -> str:
    """'https://www.Contoso.com/about' gives 'contoso.com'; '' for no website."""
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url:
        url = f"http://{url}"
    host = (urlsplit(url).hostname or "").casefold()
    return host.removeprefix("www.")[:200]


def normalize_email(email: str) -> str:
    return (email or "").strip().casefold()[:100]


def normalize_full_name(first_name: str, last_name: str) -> str:
    return _SPACE.sub(" ", f"{first_name or ''} {last_name or ''}").strip().casefold()[:101]


def email_domain(email: str) -> str:
    """'Nina@Contoso.example' gives 'contoso.example'; '' without an @."""
    _, at, domain = normalize_email(email).rpartition("@")
    return domain.strip(".")[:100] if at else ""


def normalize_phone(phone: str) -> str:
    """The trailing digits of a phone number: formats, the international prefix (+ or 00) and
    the country code are ignored, so "+1 (555) 010-2030" is "555.010.2030". '' when the
    number has too few digits to tell two people apart ("ext. 12", "n/a").

    Hand-written on purpose: phonenumbers needs the country of a national number ("020 7946
    0958"), which a lead does not say; comparing the trailing digits needs none."""
    digits = _NOT_DIGIT.sub("", phone or "")
    if len(digits) < PHONE_MIN_DIGITS:
        return ""
    return digits[-PHONE_KEY_DIGITS:]


def person_name_key(first_name: str, last_name: str) -> str:
    """The folded full name the similar-name search indexes: 'José O\u2019Brien' gives
    'jose obrien'; punctuation ("Smith, John") becomes a space. (The trigram search ignores
    word order; the scorer decides whether the order matters.)"""
    return " ".join(_words(fold(f"{first_name or ''} {last_name or ''}")))[:101]


def name_digits(text: str) -> str:
    """The digits of a name, in order: names with other digits are never similar ("Studio 54"
    is not "Studio 45", "Pat1 Doe" not "Pat18 Doe"), so they also block the similar-name
    search."""
    return "".join(filter(str.isdigit, text))


def name_initials(normalized_name: str) -> str:
    """The similar-name search's block of a normalised company name: its words' first letters,
    sorted, then its digits: 'northwind traders' and 'traders northwind' give 'n t', 'studio
    54' gives '5 s|54'. Only names with the same initials and the same digits can be similar
    (see crm.matching.similarity), so a search joins on it: an index where there
    is no trigram index (SQLite), and on PostgreSQL the equality that keeps a batch of 500
    names from being compared with every account of the same initials ("company 32883" with
    the 11,000 other "company 3...")."""
    initials = " ".join(sorted(word[0] for word in normalized_name.split()))
    digits = name_digits(normalized_name)
    return f"{initials}|{digits}"[:40] if digits else initials[:40]
