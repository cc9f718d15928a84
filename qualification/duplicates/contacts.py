"""The contact search: existing contacts a new contact would repeat (same email or phone, the
same or a similar full name within the same account, company or email domain), for every
candidate of a qualify in one query.

Exact rules are indexed equality lookups; the similar-name rule searches the people of those
accounts, companies and email domains, on PostgreSQL narrowed by pg_trgm's `%` on a GIN trigram
index of the name. What is found is scored by `crm.matching.similarity`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q
from django.db.models.expressions import RawSQL

from crm.matching.rules import NO_RULES, DuplicateRules
from crm.matching.search import any_of, bigint_array, keys_in, text_array, trigram_search
from crm.matching.similarity import (
    CLEAR_SIMILARITY,
    Match,
    context_email_domain,
    person_name_blocks,
    person_name_reason,
)
from crm.models import Contact
from qualification.duplicates.search import Found, clean, locked, pairs, unique, wanted_ids

PersonBlock = tuple[str, str]

# The similar-name rule's candidates on PostgreSQL: pg_trgm's `%` on the name's trigram index,
# within each candidate's account, company or email domain. The lookup runs per candidate
# (LATERAL; OFFSET 0 keeps the planner from flattening it into a hash join that reads the whole
# table), on the place's index. One statement whatever the number of candidates.
_SIMILAR_IN_ACCOUNTS_SQL = (
    "SELECT c.id FROM unnest(%s::bigint[], %s::text[]) AS q(account, name) CROSS JOIN LATERAL "
    "(SELECT id FROM crm_contact WHERE account_id = q.account AND name_key %% q.name OFFSET 0) "
    "AS c"
)
_SIMILAR_IN_COMPANIES_SQL = (
    "SELECT c.id FROM unnest(%s::text[], %s::text[]) AS q(company, name) CROSS JOIN LATERAL "
    "(SELECT p.id FROM crm_account a JOIN crm_contact p ON p.account_id = a.id "
    "WHERE a.normalized_name = q.company AND p.name_key %% q.name OFFSET 0) AS c"
)
_SIMILAR_IN_DOMAINS_SQL = (
    "SELECT c.id FROM unnest(%s::text[], %s::text[]) AS q(domain, name) CROSS JOIN LATERAL "
    "(SELECT id FROM crm_contact WHERE email_domain = q.domain AND name_key %% q.name OFFSET 0) "
    "AS c"
)


@dataclass
class ContactMatches:
    """Existing contacts keyed by email, by (account id, full name) and by (company, full name)."""

    by_email: dict[str, list[Contact]] = field(default_factory=dict)
    by_account_name: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)
    by_company_name: dict[tuple[str, str], list[Contact]] = field(default_factory=dict)
    by_phone: dict[str, list[Contact]] = field(default_factory=dict)
    # What the similar-name search found, by where it looked (the account id, the account's
    # normalised name for a new account's company, the email domain) and by the block of the
    # name (`person_name_blocks`): a candidate is scored against its own blocks only, not
    # against everyone a batch found in the same place.
    in_account: dict[tuple[int, PersonBlock], list[Contact]] = field(default_factory=dict)
    in_company: dict[tuple[str, PersonBlock], list[Contact]] = field(default_factory=dict)
    in_domain: dict[tuple[str, PersonBlock], list[Contact]] = field(default_factory=dict)
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
        return unique(found)

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
        found = Found()
        for contact in self.by_email.get(email, []) if email else []:
            found.add(contact, "same email", score=1.0, clear=True)
        for phone in phones:
            for contact in self.by_phone.get(phone, []) if phone else []:
                found.add(contact, "same phone", score=1.0, clear=False)
        blocks = person_name_blocks(first_name, last_name, reversed_ok=self.reversed_names)
        places: list[tuple[str, dict[tuple[Any, PersonBlock], list[Contact]], Any]] = []
        if account_id is not None:
            places.append(("same account", self.in_account, account_id))
        elif company:
            places.append(("same company", self.in_company, company))
        for similar_account in company_ids if account_id is None else ():
            places.append(("same company", self.in_account, similar_account))
        domain = context_email_domain(domain)
        if domain:
            places.append(("same email domain", self.in_domain, domain))
        similar = []
        for place, found_there, key in places:
            for contact in (c for block in blocks for c in found_there.get((key, block), ())):
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
    for place_pairs, sql, place_array, lookup in (
        (in_accounts, _SIMILAR_IN_ACCOUNTS_SQL, bigint_array, "account_id__in"),
        (in_companies, _SIMILAR_IN_COMPANIES_SQL, text_array, "account__normalized_name__in"),
        (in_domains, _SIMILAR_IN_DOMAINS_SQL, text_array, "email_domain__in"),
    ):
        if not place_pairs:
            continue
        ordered = sorted(place_pairs)
        if trigrams:
            params = [place_array(key for key, _ in ordered), text_array(n for _, n in ordered)]
            parts.append(Q(pk__in=RawSQL(sql, params)))  # noqa: S611 (constant SQL)
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
    emails = clean(emails) if on.contact_by_email else set()
    phones = clean(phones) if on.contact_by_phone else set()
    account_pairs = pairs(names_in_accounts) if by_rule else set()
    company_pairs = pairs(names_in_companies) if by_rule else set()
    # A free-mail domain is no "same email domain": it is not searched.
    in_domains = {(context_email_domain(d), n) for d, n in people_in_domains}
    places = {
        "in_accounts": pairs(people_in_accounts) if by_rule else set(),
        "in_companies": pairs(people_in_companies) if by_rule else set(),
        "in_domains": pairs(in_domains) if by_rule else set(),
    }
    wanted = wanted_ids(ids)
    parts: list[Q] = []
    if emails:
        parts.append(keys_in("email_normalized", emails))
    if phones:
        parts += [
            keys_in("business_phone_normalized", phones),
            keys_in("mobile_phone_normalized", phones),
        ]
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
    in_account: dict[tuple[int, PersonBlock], list[Contact]] = defaultdict(list)
    in_company: dict[tuple[str, PersonBlock], list[Contact]] = defaultdict(list)
    in_domain: dict[tuple[str, PersonBlock], list[Contact]] = defaultdict(list)
    similar = any(places.values())
    by_id: dict[int, Contact] = {}
    contacts = Contact.objects.filter(condition).select_related("account", "owner")
    found = list(locked(contacts, lock))
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
        # A contact is read as typed: one block, or none without a last name (no match).
        for block in (
            person_name_blocks(contact.first_name, contact.last_name, reversed_ok=False)
            if similar
            else ()
        ):
            if contact.account is not None:
                in_account[contact.account_id, block].append(contact)
                in_company[contact.account.normalized_name, block].append(contact)
            if contact.email_domain:
                in_domain[contact.email_domain, block].append(contact)
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
