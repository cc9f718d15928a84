"""Match keys for customer records: the normalised forms that duplicate detection looks up.

Stored on the records (indexed) by the services that write them, so a duplicate lookup is an
indexed equality match, never a scan in Python.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

# Legal-form suffixes that do not tell two companies apart ("Contoso Ltd" is "Contoso, Inc.").
LEGAL_SUFFIXES = frozenset(
    {
        "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "gmbh", "ag", "kg",
        "sa", "sas", "sarl", "srl", "spa", "bv", "nv", "oy", "ab", "as", "aps", "pty", "pte",
        "co", "corp", "corporation", "company", "kk", "se", "sl", "ug", "the",
    }
)  # fmt: skip
_NON_WORD = re.compile(r"[^\w\s]+")
_SPACE = re.compile(r"\s+")


def normalize_company_name(name: str) -> str:
    """'Contoso, Ltd.' and 'CONTOSO LTD' and 'Contoso' all give 'contoso'."""
    text = unicodedata.normalize("NFKD", name or "")
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("&", " and ")
    words = _SPACE.split(_NON_WORD.sub(" ", text).strip())
    kept = [word for word in words if word and word not in LEGAL_SUFFIXES]
    # A name made only of suffixes ("The Company") keeps its words rather than becoming empty.
    key = " ".join(kept or [word for word in words if word])
    if not key:
        # A name made only of symbols ("★★★", "+++", "🚀🚀") has no words: it still matches its
        # own spelling, case and spacing ignored, instead of escaping duplicate detection.
        key = _SPACE.sub(" ", (name or "").casefold()).strip()
    return key[:160]


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
