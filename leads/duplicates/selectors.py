"""The open leads that repeat a lead, by the contact rules of the qualify engine and under the
same admin switches (`crm.matching`): the same email, the same phone (business or mobile,
either way round, country code ignored), or a similar full name (typos, nicknames, accents,
apostrophes, "Last, First") within the same or a similar company or the same email domain.

One query finds the candidates, each rule's part answered by an index (`keys`): the email and
phone keys by equality; the similar-name rule by the company's initials (only names with the
same initials can be similar) or the email domain, on PostgreSQL filtered by the name's
trigram similarity from the place's index (`crm.matching.search.trigram_similar`). The
candidates are scored in Python by the engine's scorers, which decide and say why ("same
phone", "similar name 0.93 + same email domain"). Reading the switches is one more query, made
only for a lead with a key to look up.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from crm.matching.rules import DuplicateRules, duplicate_rules_current
from crm.matching.search import any_of, trigram_search, trigram_similar
from crm.matching.similarity import (
    company_name_reason,
    context_email_domain,
    person_name_reason,
)
from leads.models import Lead, LeadState

# With the lead itself, as many as one merge takes (crm.selectors.merge.MERGE_MAX_RECORDS).
MAX_DUPLICATES_SHOWN = 4
PHONE_FIELDS = (("business_phone", "business_phone_key"), ("mobile_phone", "mobile_phone_key"))
NAME_FIELDS = frozenset({"first_name", "last_name"})
# What `match_of` reads of a candidate: the lead form's banner counts from these alone.
MATCH_FIELDS = (
    "first_name",
    "last_name",
    "email_key",
    "business_phone_key",
    "mobile_phone_key",
    "company_key",
    "email_domain_key",
)
SAME_EMAIL = "same email"
SAME_PHONE = "same phone"
# Where a similar name counts, as the engine says it of contacts.
SAME_COMPANY = "same company"
SAME_EMAIL_DOMAIN = "same email domain"


@dataclass(frozen=True)
class DuplicateMatch:
    """An open lead that repeats `of`: why, and which fields match on each of the two."""

    lead: Lead
    reasons: tuple[str, ...]
    fields: frozenset[str]  # the duplicate's fields that match
    own_fields: frozenset[str]  # the lead's fields they match
    score: float = 1.0  # the best name similarity among the reasons (1.0 when none is fuzzy)

    @property
    def why(self) -> str:
        """What the screens show: "same phone", "similar name 0.93 + same email domain"."""
        return " + ".join(self.reasons)


def _phone_keys(lead: Lead) -> set[str]:
    return {getattr(lead, key) for _, key in PHONE_FIELDS if getattr(lead, key)}


def _has_key(lead: Lead) -> bool:
    """Whether any rule could look the lead up (a name alone is no key: it needs a company or
    an email domain to compare within)."""
    place = lead.company_key or context_email_domain(lead.email_domain_key)
    return bool(lead.email_key or _phone_keys(lead) or (lead.name_key and place))


def _name_parts(lead: Lead, rules: DuplicateRules) -> list[Q]:
    """The similar-name rule's candidates: the leads of the same company (or, with the
    similar-name rule of accounts, a company with the same initials) and of the same email
    domain (not a free-mail one), narrowed by the name's trigrams on PostgreSQL."""
    if not rules.contact_by_name or not lead.name_key:
        return []
    places: list[Q] = []
    if lead.company_key and rules.account_by_similar_name:
        places.append(Q(company_initials=lead.company_initials))
    elif lead.company_key:
        places.append(Q(company_key=lead.company_key))
    domain = context_email_domain(lead.email_domain_key)
    if domain:
        places.append(Q(email_domain_key=domain))
    if trigram_search():
        return [place & Q(trigram_similar("name_key", lead.name_key)) for place in places]
    return places


def _candidates_condition(lead: Lead, rules: DuplicateRules) -> Q | None:
    """Rows that may repeat the lead, one indexed part per rule (None: nothing to look up)."""
    parts: list[Q] = []
    if rules.contact_by_email and lead.email_key:
        parts.append(Q(email_key=lead.email_key))
    phones = _phone_keys(lead) if rules.contact_by_phone else set()
    if phones:
        parts += [Q(business_phone_key__in=phones), Q(mobile_phone_key__in=phones)]
    parts += _name_parts(lead, rules)
    return any_of(Lead, [part & Q(state=LeadState.OPEN) for part in parts])


def _same_company(lead: Lead, other: Lead, rules: DuplicateRules) -> bool:
    """The same normalised company, or (with the accounts' similar-name rule) a similar one:
    what makes a contact's account "the same company" in the engine."""
    if not lead.company_key or not other.company_key:
        return False
    if lead.company_key == other.company_key:
        return True
    return (
        rules.account_by_similar_name
        and company_name_reason(lead.company_key, other.company_key) is not None
    )


def match_of(lead: Lead, other: Lead, rules: DuplicateRules) -> DuplicateMatch | None:
    """Why `other` repeats `lead` under `rules` (None: it does not), from the keys and names
    both carry: email, phone, then a similar name in each place it counts."""
    reasons: list[str] = []
    fields: set[str] = set()
    own: set[str] = set()
    if rules.contact_by_email and lead.email_key and lead.email_key == other.email_key:
        reasons.append(SAME_EMAIL)
        fields.add("email")
        own.add("email")
    if rules.contact_by_phone:
        for own_field, own_key in PHONE_FIELDS:
            for field, key in PHONE_FIELDS:
                if getattr(lead, own_key) and getattr(lead, own_key) == getattr(other, key):
                    fields.add(field)
                    own.add(own_field)
        if own & {field for field, _ in PHONE_FIELDS}:
            reasons.append(SAME_PHONE)
    score = 1.0
    places = []
    if rules.contact_by_name and _same_company(lead, other, rules):
        places.append((SAME_COMPANY, "company_name"))
    domain = context_email_domain(lead.email_domain_key)
    if rules.contact_by_name and domain and domain == other.email_domain_key:
        places.append((SAME_EMAIL_DOMAIN, "email"))
    name = None
    if places:
        name = person_name_reason(
            (lead.first_name, lead.last_name),
            (other.first_name, other.last_name),
            reversed_ok=rules.contact_by_reversed_name,
        )
    if name is not None:
        text, score = name
        for place, field in places:
            reasons.append(f"{text} + {place}")
            fields |= NAME_FIELDS | {field}
            own |= NAME_FIELDS | {field}
    if not reasons:
        return None
    return DuplicateMatch(other, tuple(reasons), frozenset(fields), frozenset(own), score)


def _open_duplicates(lead: Lead, *, matching_only: bool = False) -> list[DuplicateMatch]:
    """Every open lead that repeats this open lead, newest first: at most two queries (the
    switches, the candidates), none for a closed lead or one without a key. `matching_only`
    reads only what deciding takes (MATCH_FIELDS): a place of thousands of similar names sends
    a few hundred candidates, whose whole rows and owners cost more than the match itself."""
    if not lead.is_open or not _has_key(lead):
        return []
    rules = duplicate_rules_current()
    condition = None if rules is None else _candidates_condition(lead, rules)
    if rules is None or condition is None:
        return []
    rows = Lead.objects.filter(condition).exclude(pk=lead.pk).order_by("-created_at", "-id")
    rows = rows.only(*MATCH_FIELDS) if matching_only else rows.select_related("owner")
    matches = (match_of(lead, other, rules) for other in rows)
    return [match for match in matches if match is not None]


def lead_duplicates_count(*, lead: Lead) -> int:
    """How many open leads repeat this open lead (the lead form's banner)."""
    return len(_open_duplicates(lead, matching_only=True))


def lead_duplicates(*, lead: Lead) -> list[DuplicateMatch]:
    """The open leads that repeat this open lead, newest first (at most MAX_DUPLICATES_SHOWN),
    each with its reasons."""
    return _open_duplicates(lead)[:MAX_DUPLICATES_SHOWN]
