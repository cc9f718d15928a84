"""The account search: existing accounts a new account would repeat (same normalised name,
website domain or phone, or a similar name), for every candidate of a qualify in one query.

Exact rules are indexed equality lookups; the similar-name rule searches by the name's word
initials (only names with the same initials can be similar), on PostgreSQL narrowed by pg_trgm's
`%` on a GIN trigram index. What is found is scored by `crm.matching.similarity`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.matching import name_initials
from crm.matching.rules import NO_RULES, DuplicateRules
from crm.matching.search import any_of, keys_in, text_array, trigram_search
from crm.matching.similarity import CLEAR_SIMILARITY, Match, company_name_reason
from crm.models import Account
from qualification.duplicates.search import Found, clean, locked, unique, wanted_ids

# pg_trgm's `%` (similarity over its threshold, 0.3 by default) finds the candidates on the
# trigram indexes; the scorer then decides. One statement whatever the number of candidates.
# Accounts: only names with the same word initials can be similar (the scorer's guard), so the
# join takes that indexed equality too: without it, a batch of 500 names costs 500 GIN scans
# whose common trigrams ("and", "ers") list most of the table (seconds, not milliseconds).
# The lookup runs per candidate (LATERAL; OFFSET 0 keeps the planner from flattening it into a
# hash join that reads the whole table), on the initials' index.
_SIMILAR_ACCOUNTS_SQL = (
    "SELECT a.id FROM unnest(%s::text[], %s::text[]) AS q(name, initials) CROSS JOIN LATERAL "
    "(SELECT id FROM crm_account WHERE name_initials = q.initials "
    "AND lower(normalized_name) %% q.name OFFSET 0) AS a"
)


@dataclass
class AccountMatches:
    """Existing accounts keyed by the normalised name and by the website domain they share."""

    by_name: dict[str, list[Account]] = field(default_factory=dict)
    by_domain: dict[str, list[Account]] = field(default_factory=dict)
    by_phone: dict[str, list[Account]] = field(default_factory=dict)
    # What the similar-name search found, by its block (`name_initials`: the initials of the
    # name's words and its digits; only names of one block can be similar).
    similar: dict[str, list[Account]] = field(default_factory=dict)

    def for_candidate(self, *, name: str, domain: str) -> list[Account]:
        """The exact-name and domain matches of one candidate (normalised keys), each account
        once, by name first."""
        found = list(self.by_name.get(name, [])) if name else []
        if domain:
            found += self.by_domain.get(domain, [])
        return unique(found)

    def matches_for(self, *, name: str, domain: str = "", phone: str = "") -> list[Match]:
        """Every rule's matches of one candidate (normalised keys), each account once with
        the reasons it matched by: exact name, domain, phone, then similar names by score."""
        found = Found()
        for account in self.by_name.get(name, []) if name else []:
            found.add(account, "same name", score=1.0, clear=True)
        for account in self.by_domain.get(domain, []) if domain else []:
            found.add(account, "same domain", score=1.0, clear=True)
        for account in self.by_phone.get(phone, []) if phone else []:
            found.add(account, "same phone", score=1.0, clear=True)
        similar = []
        for account in self.similar.get(name_initials(name), []) if name else []:
            reason = company_name_reason(name, account.normalized_name)
            if reason is not None:
                similar.append((reason[1], account, reason[0]))
        for score, account, text in sorted(similar, key=lambda s: (-s[0], s[1].name, s[1].pk)):
            found.add(account, text, score=score, clear=score >= CLEAR_SIMILARITY)
        return found.matches()


def accounts_find(
    *,
    names: Iterable[str] = (),
    domains: Iterable[str] = (),
    phones: Iterable[str] = (),
    ids: Iterable[int] = (),
    rules: DuplicateRules | None = None,
    lock: bool = False,
) -> tuple[AccountMatches, dict[int, Account]]:
    """Existing accounts whose normalised name, website domain or phone is one of the keys, or
    whose name is similar to one of `names` (the duplicates of new accounts; `rules` None:
    detection is off), and the accounts `ids` (the ones a qualify links), in one query
    whatever the number of candidates. `lock` (inside the writing transaction) locks every
    row found."""
    on = rules if rules is not None else NO_RULES
    all_names = clean(names)
    exact_names = all_names if on.account_by_name else set()
    similar_names = all_names if on.account_by_similar_name else set()
    domains = clean(domains) if on.account_by_domain else set()
    phones = clean(phones) if on.account_by_phone else set()
    wanted = wanted_ids(ids)
    parts: list[Q] = []
    if exact_names:
        parts.append(keys_in("normalized_name", exact_names))
    if similar_names and trigram_search():
        ordered = sorted(similar_names)
        initials = [name_initials(name) for name in ordered]
        params = [text_array(ordered), text_array(initials)]
        similar_sql = RawSQL(_SIMILAR_ACCOUNTS_SQL, params)  # noqa: S611 (constant SQL)
        parts.append(Q(pk__in=similar_sql))
    elif similar_names:
        parts.append(Q(name_initials__in={name_initials(name) for name in similar_names}))
    if domains:
        parts.append(keys_in("website_domain", domains))
    if phones:
        parts.append(keys_in("phone_normalized", phones))
    if wanted:
        parts.append(Q(pk__in=wanted))
    condition = any_of(Account, parts)
    if condition is None:
        return AccountMatches(), {}
    by_name: dict[str, list[Account]] = defaultdict(list)
    by_domain: dict[str, list[Account]] = defaultdict(list)
    by_phone: dict[str, list[Account]] = defaultdict(list)
    similar: dict[str, list[Account]] = defaultdict(list)
    by_id: dict[int, Account] = {}
    found = list(locked(Account.objects.filter(condition).select_related("owner"), lock))
    for account in sorted(found, key=lambda account: (account.name, account.pk)):
        if account.pk in wanted:
            by_id[account.pk] = account
        if account.normalized_name in exact_names:
            by_name[account.normalized_name].append(account)
        if account.website_domain and account.website_domain in domains:
            by_domain[account.website_domain].append(account)
        if account.phone_normalized and account.phone_normalized in phones:
            by_phone[account.phone_normalized].append(account)
        if similar_names:
            similar[account.name_initials].append(account)
    matches = AccountMatches(
        by_name=dict(by_name),
        by_domain=dict(by_domain),
        by_phone=dict(by_phone),
        similar=dict(similar),
    )
    return matches, by_id
