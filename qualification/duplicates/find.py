"""Duplicate detection's candidate search: existing accounts and contacts that new records
would repeat, for every candidate of a qualify at once (one lead, or a bulk chunk), in one
query per record type together with the existing records the qualify links.

The exact rules are indexed equality (`IN`) matches on the normalised columns that
`crm.matching` defines and the services store on each record. The similar-name rules search
around the name: on PostgreSQL with pg_trgm's `%` operator on GIN trigram indexes (joined to
the candidates' names, so one statement serves a whole batch); on SQLite, which has no
trigram index, accounts by the initials of their name's words and contacts by their account,
company or email domain (indexed equalities that return more rows to score). Either way the
candidates found are scored in Python by `similarity`, which decides and says why.

Keys are normalised values: pass `normalize_company_name(name)`, `website_domain(url)`,
`normalize_phone(phone)`, `normalize_email(email)`, `normalize_full_name(first, last)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import models
from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.matching import name_initials
from crm.matching.rules import NO_RULES, DuplicateRules
from crm.matching.search import any_of, trigram_search
from crm.matching.similarity import (
    CLEAR_SIMILARITY,
    Match,
    company_name_reason,
    context_email_domain,
    person_name_reason,
)
from crm.models import Account, Contact

# The duplicate dialog shows at most this many matches per record type.
MAX_MATCHES_SHOWN = 10
LARGEST_ID = 2**63 - 1

# pg_trgm's `%` (similarity over its threshold, 0.3 by default) finds the candidates on the
# trigram indexes; the scorer then decides. One statement whatever the number of candidates.
# Accounts: only names with the same word initials can be similar (the scorer's guard), so the
# join takes that indexed equality too: without it, a batch of 500 names costs 500 GIN scans
# whose common trigrams ("and", "ers") list most of the table (seconds, not milliseconds).
_SIMILAR_ACCOUNTS_SQL = (
    "SELECT a.id FROM crm_account a JOIN unnest(%s::text[], %s::text[]) AS q(name, initials) "
    "ON a.name_initials = q.initials AND lower(a.normalized_name) %% q.name"
)
_SIMILAR_IN_ACCOUNTS_SQL = (
    "SELECT c.id FROM crm_contact c JOIN unnest(%s::bigint[], %s::text[]) AS q(account, name) "
    "ON c.account_id = q.account AND c.name_key %% q.name"
)
_SIMILAR_IN_COMPANIES_SQL = (
    "SELECT c.id FROM crm_contact c JOIN crm_account a ON a.id = c.account_id "
    "JOIN unnest(%s::text[], %s::text[]) AS q(company, name) "
    "ON a.normalized_name = q.company AND c.name_key %% q.name"
)
_SIMILAR_IN_DOMAINS_SQL = (
    "SELECT c.id FROM crm_contact c JOIN unnest(%s::text[], %s::text[]) AS q(domain, name) "
    "ON c.email_domain = q.domain AND c.name_key %% q.name"
)


class _Found:
    """The matches of one candidate being gathered: each record once, its reasons in order."""

    def __init__(self) -> None:
        self.records: dict[int, Account | Contact] = {}
        self.reasons: dict[int, list[str]] = defaultdict(list)
        self.scores: dict[int, float] = {}
        self.clear: dict[int, bool] = {}

    def add(self, record: Account | Contact, reason: str, *, score: float, clear: bool) -> None:
        if reason in self.reasons[record.pk]:
            return
        self.records.setdefault(record.pk, record)
        self.reasons[record.pk].append(reason)
        self.scores[record.pk] = max(self.scores.get(record.pk, 0.0), score)
        self.clear[record.pk] = self.clear.get(record.pk, False) or clear

    def matches(self) -> list[Match]:
        return [
            Match(
                record=record,
                reasons=tuple(self.reasons[pk]),
                score=self.scores[pk],
                clear=self.clear[pk],
            )
            for pk, record in self.records.items()
        ]


@dataclass
class AccountMatches:
    """Existing accounts keyed by the normalised name and by the website domain they share."""

    by_name: dict[str, list[Account]] = field(default_factory=dict)
    by_domain: dict[str, list[Account]] = field(default_factory=dict)
    by_phone: dict[str, list[Account]] = field(default_factory=dict)
    # What the similar-name search found, by the initials of the name's words (only names
    # with the same initials can be similar).
    similar: dict[str, list[Account]] = field(default_factory=dict)

    def for_candidate(self, *, name: str, domain: str) -> list[Account]:
        """The exact-name and domain matches of one candidate (normalised keys), each account
        once, by name first."""
        found = list(self.by_name.get(name, [])) if name else []
        if domain:
            found += self.by_domain.get(domain, [])
        return _unique(found)

    def matches_for(self, *, name: str, domain: str = "", phone: str = "") -> list[Match]:
        """Every rule's matches of one candidate (normalised keys), each account once with
        the reasons it matched by: exact name, domain, phone, then similar names by score."""
        found = _Found()
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


@dataclass
class ContactMatches:
    """Existing contacts keyed by email, by (account id, full name) and by (company, full name)."""

    by_email: dict[str, list[Contact]] = field(default_factory=dict)
    by_account_name: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)
    by_company_name: dict[tuple[str, str], list[Contact]] = field(default_factory=dict)
    by_phone: dict[str, list[Contact]] = field(default_factory=dict)
    # What the similar-name search found, by where it looked: the account id, the account's
    # normalised name (a new account's company), the email domain.
    in_account: dict[int, list[Contact]] = field(default_factory=dict)
    in_company: dict[str, list[Contact]] = field(default_factory=dict)
    in_domain: dict[str, list[Contact]] = field(default_factory=dict)
    reversed_names: bool = True  # the "Last, First" rule

    def for_candidate(
        self,
        *,
        email: str,
        full_name: str,
        account_id: int | None = None,
        company: str = "",
    ) -> list[Contact]:
        found: list[Contact] = []
        if email:
            found += self.by_email.get(email, [])
        if account_id is not None:
            found += self.by_account_name.get((account_id, full_name), [])
        if company:
            found += self.by_company_name.get((company, full_name), [])
        return _unique(found)

    def matches_for(
        self,
        *,
        email: str = "",
        phones: Iterable[str] = (),
        first_name: str = "",
        last_name: str = "",
        account_id: int | None = None,
        company: str = "",
        company_ids: Iterable[int] = (),
        domain: str = "",
    ) -> list[Match]:
        """Every rule's matches of one candidate, each contact once with the reasons it
        matched by: email, phone, then a similar name within the same account (the
        contact's account, else its company) or the same email domain, by score.

        `email` and `phones` are normalised keys, the names as typed, `company` a normalised
        company name, `company_ids` the existing accounts that company matched (a typo or
        another spelling of it: "same company" too), `domain` the email's domain."""
        found = _Found()
        for contact in self.by_email.get(email, []) if email else []:
            found.add(contact, "same email", score=1.0, clear=True)
        for phone in phones:
            for contact in self.by_phone.get(phone, []) if phone else []:
                found.add(contact, "same phone", score=1.0, clear=False)
        places: list[tuple[str, list[Contact]]] = []
        if account_id is not None:
            places.append(("same account", self.in_account.get(account_id, [])))
        elif company:
            places.append(("same company", self.in_company.get(company, [])))
        for similar_account in company_ids if account_id is None else ():
            places.append(("same company", self.in_account.get(similar_account, [])))
        domain = context_email_domain(domain)
        if domain:
            places.append(("same email domain", self.in_domain.get(domain, [])))
        similar = []
        for place, contacts in places:
            for contact in contacts:
                reason = person_name_reason(
                    (first_name, last_name),
                    (contact.first_name, contact.last_name),
                    reversed_ok=self.reversed_names,
                )
                if reason is not None:
                    similar.append((reason[1], contact, f"{reason[0]} + {place}"))
        order = sorted(similar, key=lambda s: (-s[0], s[1].last_name, s[1].first_name, s[1].pk))
        for score, contact, text in order:
            found.add(contact, text, score=score, clear=score >= CLEAR_SIMILARITY)
        return found.matches()


def _unique[T: Account | Contact](records: Iterable[T]) -> list[T]:
    seen: set[int] = set()
    unique: list[T] = []
    for record in records:
        if record.pk not in seen:
            seen.add(record.pk)
            unique.append(record)
    return unique


def _clean(keys: Iterable[str]) -> set[str]:
    return {key for key in keys if key}


def _ids(ids: Iterable[int]) -> set[int]:
    """The ids that can name a row (a posted id past the bigint range names none)."""
    return {pk for pk in ids if pk and 0 < pk <= LARGEST_ID}


def _locked[T: models.Model](records: models.QuerySet[T], lock: bool) -> models.QuerySet[T]:
    """The rows locked until the transaction ends, so that a record about to be linked cannot be
    deleted (or merged away) before the qualify commits. FOR NO KEY UPDATE: it stops deletes
    and other linking qualifies, not the inserts that merely reference the row. Rows are locked
    in id order, as every writer locks them, so two writers queue instead of deadlocking."""
    records = records.order_by("pk")
    return records.select_for_update(no_key=True, of=("self",)) if lock else records


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
    all_names = _clean(names)
    exact_names = all_names if on.account_by_name else set()
    similar_names = all_names if on.account_by_similar_name else set()
    domains = _clean(domains) if on.account_by_domain else set()
    phones = _clean(phones) if on.account_by_phone else set()
    wanted = _ids(ids)
    parts: list[Q] = []
    if exact_names:
        parts.append(Q(normalized_name__in=exact_names))
    if similar_names and trigram_search():
        ordered = sorted(similar_names)
        initials = [name_initials(name) for name in ordered]
        similar_sql = RawSQL(_SIMILAR_ACCOUNTS_SQL, [ordered, initials])  # noqa: S611 (constant SQL)
        parts.append(Q(pk__in=similar_sql))
    elif similar_names:
        parts.append(Q(name_initials__in={name_initials(name) for name in similar_names}))
    if domains:
        parts.append(Q(website_domain__in=domains))
    if phones:
        parts.append(Q(phone_normalized__in=phones))
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
    found = list(_locked(Account.objects.filter(condition).select_related("owner"), lock))
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


def _pairs[K](pairs: Iterable[tuple[K, str]]) -> set[tuple[K, str]]:
    return {(key, name) for key, name in pairs if key and name}


def _similar_people(
    *,
    in_accounts: set[tuple[int, str]],
    in_companies: set[tuple[str, str]],
    in_domains: set[tuple[str, str]],
) -> list[Q]:
    """The similar-name rule's candidates: a trigram join per place on PostgreSQL, everyone in
    those accounts, companies and email domains elsewhere."""
    parts: list[Q] = []
    trigrams = trigram_search()
    for pairs, sql, lookup in (
        (in_accounts, _SIMILAR_IN_ACCOUNTS_SQL, "account_id__in"),
        (in_companies, _SIMILAR_IN_COMPANIES_SQL, "account__normalized_name__in"),
        (in_domains, _SIMILAR_IN_DOMAINS_SQL, "email_domain__in"),
    ):
        if not pairs:
            continue
        ordered = sorted(pairs)
        if trigrams:
            keys, names = [key for key, _ in ordered], [name for _, name in ordered]
            parts.append(Q(pk__in=RawSQL(sql, [keys, names])))  # noqa: S611 (constant SQL)
        else:
            parts.append(Q(**{lookup: {key for key, _ in ordered}}))
    return parts


def contacts_find(
    *,
    emails: Iterable[str] = (),
    phones: Iterable[str] = (),
    names_in_accounts: Iterable[tuple[int, str]] = (),
    names_in_companies: Iterable[tuple[str, str]] = (),
    people_in_accounts: Iterable[tuple[int, str]] = (),
    people_in_companies: Iterable[tuple[str, str]] = (),
    people_in_domains: Iterable[tuple[str, str]] = (),
    ids: Iterable[int] = (),
    rules: DuplicateRules | None = None,
    lock: bool = False,
) -> tuple[ContactMatches, dict[int, Contact]]:
    """Existing contacts with one of the emails or phones, or the same or a similar full name
    within the same account, company or email domain, and the contacts `ids`, in one query
    whatever the number of candidates.

    `names_in_accounts` holds (account id, full name) pairs: the contact would go under that
    existing account. `names_in_companies` holds (normalised company name, full name) pairs:
    the contact would go under a new account (or none), so "the same company" is any account
    with that normalised name. The pairs are narrowed by indexed `IN` lookups on both columns
    and then paired exactly (`for_candidate`).

    The similar-name rule takes `people_in_accounts` (account id, name key),
    `people_in_companies` (normalised company, name key) and `people_in_domains` (email
    domain, name key) pairs, the name key being `person_name_key(first, last)`; what they
    find is scored by `matches_for`, which also applies every other rule. `lock` locks every
    row found, as in `accounts_find`.
    """
    on = rules if rules is not None else NO_RULES
    by_rule = on.contact_by_name
    emails = _clean(emails) if on.contact_by_email else set()
    phones = _clean(phones) if on.contact_by_phone else set()
    account_pairs = _pairs(names_in_accounts) if by_rule else set()
    company_pairs = _pairs(names_in_companies) if by_rule else set()
    # A free-mail domain is no "same email domain": it is not searched.
    in_domains = {(context_email_domain(d), n) for d, n in people_in_domains}
    places = {
        "in_accounts": _pairs(people_in_accounts) if by_rule else set(),
        "in_companies": _pairs(people_in_companies) if by_rule else set(),
        "in_domains": _pairs(in_domains) if by_rule else set(),
    }
    wanted = _ids(ids)
    parts: list[Q] = []
    if emails:
        parts.append(Q(email_normalized__in=emails))
    if phones:
        parts += [Q(business_phone_normalized__in=phones), Q(mobile_phone_normalized__in=phones)]
    if account_pairs:
        parts.append(
            Q(
                account_id__in={a for a, _ in account_pairs},
                full_name_normalized__in={n for _, n in account_pairs},
            )
        )
    if company_pairs:
        parts.append(
            Q(
                account__normalized_name__in={c for c, _ in company_pairs},
                full_name_normalized__in={n for _, n in company_pairs},
            )
        )
    parts += _similar_people(**places)
    if wanted:
        parts.append(Q(pk__in=wanted))
    condition = any_of(Contact, parts)
    if condition is None:
        return ContactMatches(reversed_names=on.contact_by_reversed_name), {}
    by_email: dict[str, list[Contact]] = defaultdict(list)
    by_phone: dict[str, list[Contact]] = defaultdict(list)
    by_account: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    by_company: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    in_account: dict[int, list[Contact]] = defaultdict(list)
    in_company: dict[str, list[Contact]] = defaultdict(list)
    in_domain: dict[str, list[Contact]] = defaultdict(list)
    similar = any(places.values())
    by_id: dict[int, Contact] = {}
    contacts = Contact.objects.filter(condition).select_related("account", "owner")
    found = list(_locked(contacts, lock))
    for contact in sorted(found, key=lambda c: (c.last_name, c.first_name, c.pk)):
        if contact.pk in wanted:
            by_id[contact.pk] = contact
        if contact.email_normalized and contact.email_normalized in emails:
            by_email[contact.email_normalized].append(contact)
        for phone in {contact.business_phone_normalized, contact.mobile_phone_normalized}:
            if phone and phone in phones:
                by_phone[phone].append(contact)
        account_key = (contact.account_id, contact.full_name_normalized)
        if account_key in account_pairs:
            by_account[account_key].append(contact)
        if contact.account is not None:
            company_key = (contact.account.normalized_name, contact.full_name_normalized)
            if company_key in company_pairs:
                by_company[company_key].append(contact)
        if similar:
            if contact.account is not None:
                in_account[contact.account_id].append(contact)
                in_company[contact.account.normalized_name].append(contact)
            if contact.email_domain:
                in_domain[contact.email_domain].append(contact)
    matches = ContactMatches(
        by_email=dict(by_email),
        by_account_name=dict(by_account),
        by_company_name=dict(by_company),
        by_phone=dict(by_phone),
        in_account=dict(in_account),
        in_company=dict(in_company),
        in_domain=dict(in_domain),
        reversed_names=on.contact_by_reversed_name,
    )
    return matches, by_id
