"""Duplicate detection: existing accounts and contacts that a new record would repeat.

Every lookup is an indexed equality (or `IN`) match on the normalised columns that
`crm.matching` defines and the services store on each record, so the database does the
matching and Python never scans a table. The lookups take every candidate of a qualify at
once (one lead, or a bulk chunk) and answer in one query per record type, together with the
existing records the qualify links.

Keys are normalised values: pass `normalize_company_name(name)`, `website_domain(url)`,
`normalize_email(email)`, `normalize_full_name(first, last)`.

A lookup alone cannot promise "no silent duplicates": two transactions creating records with
one match key (two leads of one company qualified at the same moment, two overlapping bulk
batches) would each find nothing and each create a record. `match_keys_lock` serialises them:
a writer locks the match keys of everything it is about to create, then looks up; whoever
comes second waits for the first to commit and then finds its records.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum

from django.db import connection, models, transaction
from django.db.models import Q

from crm.matching import (
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    website_domain,
)
from crm.models import Account, Contact

# The duplicate dialog shows at most this many matches per record type.
MAX_MATCHES_SHOWN = 10
LARGEST_ID = 2**63 - 1

LOCK_OUTSIDE_TRANSACTION = (
    "match_keys_lock must run inside transaction.atomic(): the locks last until the commit."
)


@dataclass(frozen=True)
class DuplicateRules:
    """Which match rules apply (the admin's switches on QualificationSettings)."""

    account_by_name: bool = True
    account_by_domain: bool = True
    contact_by_email: bool = True
    contact_by_name: bool = True

    @classmethod
    def from_settings(cls, qualification_settings: object) -> DuplicateRules:
        return cls(
            account_by_name=getattr(qualification_settings, "match_account_by_name", True),
            account_by_domain=getattr(qualification_settings, "match_account_by_domain", True),
            contact_by_email=getattr(qualification_settings, "match_contact_by_email", True),
            contact_by_name=getattr(qualification_settings, "match_contact_by_name", True),
        )


@dataclass
class AccountMatches:
    """Existing accounts keyed by the normalised name and by the website domain they share."""

    by_name: dict[str, list[Account]] = field(default_factory=dict)
    by_domain: dict[str, list[Account]] = field(default_factory=dict)

    def for_candidate(self, *, name: str, domain: str) -> list[Account]:
        """The matches of one candidate (normalised keys), each account once, by name first."""
        found = list(self.by_name.get(name, [])) if name else []
        if domain:
            found += self.by_domain.get(domain, [])
        return _unique(found)


@dataclass
class ContactMatches:
    """Existing contacts keyed by email, by (account id, full name) and by (company, full name)."""

    by_email: dict[str, list[Contact]] = field(default_factory=dict)
    by_account_name: dict[tuple[int, str], list[Contact]] = field(default_factory=dict)
    by_company_name: dict[tuple[str, str], list[Contact]] = field(default_factory=dict)

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
    ids: Iterable[int] = (),
    rules: DuplicateRules | None = None,
    lock: bool = False,
) -> tuple[AccountMatches, dict[int, Account]]:
    """Existing accounts whose normalised name or website domain is one of the keys (the
    duplicates of new accounts; `rules` None: detection is off), and the accounts `ids` (the
    ones a qualify links), in one query whatever the number of candidates. `lock` (inside the
    writing transaction) locks every row found."""
    names = _clean(names) if rules is not None and rules.account_by_name else set()
    domains = _clean(domains) if rules is not None and rules.account_by_domain else set()
    wanted = _ids(ids)
    condition = Q()
    if names:
        condition |= Q(normalized_name__in=names)
    if domains:
        condition |= Q(website_domain__in=domains)
    if wanted:
        condition |= Q(pk__in=wanted)
    if not condition:
        return AccountMatches(), {}
    by_name: dict[str, list[Account]] = defaultdict(list)
    by_domain: dict[str, list[Account]] = defaultdict(list)
    by_id: dict[int, Account] = {}
    found = list(_locked(Account.objects.filter(condition).select_related("owner"), lock))
    for account in sorted(found, key=lambda account: (account.name, account.pk)):
        if account.pk in wanted:
            by_id[account.pk] = account
        if account.normalized_name in names:
            by_name[account.normalized_name].append(account)
        if account.website_domain and account.website_domain in domains:
            by_domain[account.website_domain].append(account)
    return AccountMatches(by_name=dict(by_name), by_domain=dict(by_domain)), by_id


def contacts_find(
    *,
    emails: Iterable[str] = (),
    names_in_accounts: Iterable[tuple[int, str]] = (),
    names_in_companies: Iterable[tuple[str, str]] = (),
    ids: Iterable[int] = (),
    rules: DuplicateRules | None = None,
    lock: bool = False,
) -> tuple[ContactMatches, dict[int, Contact]]:
    """Existing contacts with one of the emails, or the same full name within the same account,
    and the contacts `ids`, in one query whatever the number of candidates.

    `names_in_accounts` holds (account id, full name) pairs: the contact would go under that
    existing account. `names_in_companies` holds (normalised company name, full name) pairs:
    the contact would go under a new account (or none), so "the same company" is any account
    with that normalised name. The pairs are narrowed by indexed `IN` lookups on both columns
    and then paired exactly. `lock` locks every row found, as in `accounts_find`.
    """
    by_rule = rules is not None and rules.contact_by_name
    emails = _clean(emails) if rules is not None and rules.contact_by_email else set()
    account_pairs = {(a, n) for a, n in names_in_accounts if a and n} if by_rule else set()
    company_pairs = {(c, n) for c, n in names_in_companies if c and n} if by_rule else set()
    wanted = _ids(ids)
    condition = Q()
    if emails:
        condition |= Q(email_normalized__in=emails)
    if account_pairs:
        condition |= Q(
            account_id__in={a for a, _ in account_pairs},
            full_name_normalized__in={n for _, n in account_pairs},
        )
    if company_pairs:
        condition |= Q(
            account__normalized_name__in={c for c, _ in company_pairs},
            full_name_normalized__in={n for _, n in company_pairs},
        )
    if wanted:
        condition |= Q(pk__in=wanted)
    if not condition:
        return ContactMatches(), {}
    by_email: dict[str, list[Contact]] = defaultdict(list)
    by_account: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    by_company: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    by_id: dict[int, Contact] = {}
    contacts = Contact.objects.filter(condition).select_related("account", "owner")
    found = list(_locked(contacts, lock))
    for contact in sorted(found, key=lambda c: (c.last_name, c.first_name, c.pk)):
        if contact.pk in wanted:
            by_id[contact.pk] = contact
        if contact.email_normalized and contact.email_normalized in emails:
            by_email[contact.email_normalized].append(contact)
        account_key = (contact.account_id, contact.full_name_normalized)
        if account_key in account_pairs:
            by_account[account_key].append(contact)
        if contact.account is not None:
            company_key = (contact.account.normalized_name, contact.full_name_normalized)
            if company_key in company_pairs:
                by_company[company_key].append(contact)
    matches = ContactMatches(
        by_email=dict(by_email), by_account_name=dict(by_account), by_company_name=dict(by_company)
    )
    return matches, by_id


@dataclass(frozen=True)
class AccountKeys:
    """The match keys of an account about to be created ("" for a key that does not apply)."""

    name: str = ""  # normalize_company_name(name)
    domain: str = ""  # website_domain(website)


@dataclass(frozen=True)
class ContactKeys:
    """The match keys of a contact about to be created ("" for a key that does not apply).

    The name rule matches a full name within one account, but the lock is on the full name
    alone: the account a bulk-qualified contact goes under is known only after the account
    lookup, which itself has to run under the lock. A full-name lock covers every account; the
    cost is that two qualifies of namesakes in different companies wait for each other.
    """

    email: str = ""  # normalize_email(email)
    full_name: str = ""  # normalize_full_name(first_name, last_name)


def account_keys_of(*, name: str, website: str = "", rules: DuplicateRules) -> AccountKeys:
    """The keys a new account with this name and website is looked up (and locked) by."""
    return AccountKeys(
        name=normalize_company_name(name) if rules.account_by_name and name.strip() else "",
        domain=website_domain(website) if rules.account_by_domain else "",
    )


def contact_keys_of(
    *, first_name: str, last_name: str, email: str = "", rules: DuplicateRules
) -> ContactKeys:
    """The keys a new contact with these values is locked by."""
    return ContactKeys(
        email=normalize_email(email) if rules.contact_by_email else "",
        full_name=normalize_full_name(first_name, last_name) if rules.contact_by_name else "",
    )


class MatchKeyKind(Enum):
    """One lock namespace per key kind (blake2b's personalisation, 16 bytes at most), so that
    an email and a company name with the same text never share a lock."""

    ACCOUNT_NAME = b"crm-account-name"
    ACCOUNT_DOMAIN = b"crm-account-domn"
    CONTACT_EMAIL = b"crm-contact-mail"
    CONTACT_NAME = b"crm-contact-name"


_LOCK_SQL = "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k ORDER BY k"


def match_key_lock_id(*, kind: MatchKeyKind, key: str) -> int:
    """The advisory lock id (a signed bigint) of one match key: the same in every process and
    every run, unlike `hash()`."""
    digest = hashlib.blake2b(key.encode(), digest_size=8, person=kind.value).digest()
    return int.from_bytes(digest, "big", signed=True)


def match_key_lock_ids(
    *, accounts: Iterable[AccountKeys] = (), contacts: Iterable[ContactKeys] = ()
) -> list[int]:
    """The lock ids of every non-empty key, each once, in ascending order."""
    ids: set[int] = set()
    for account in accounts:
        if account.name:
            ids.add(match_key_lock_id(kind=MatchKeyKind.ACCOUNT_NAME, key=account.name))
        if account.domain:
            ids.add(match_key_lock_id(kind=MatchKeyKind.ACCOUNT_DOMAIN, key=account.domain))
    for contact in contacts:
        if contact.email:
            ids.add(match_key_lock_id(kind=MatchKeyKind.CONTACT_EMAIL, key=contact.email))
        if contact.full_name:
            ids.add(match_key_lock_id(kind=MatchKeyKind.CONTACT_NAME, key=contact.full_name))
    return sorted(ids)


def match_keys_lock(
    *, accounts: Iterable[AccountKeys] = (), contacts: Iterable[ContactKeys] = ()
) -> None:
    """Lock the match keys of the records about to be created, until the transaction ends.

    Call it inside the writing transaction, before the duplicate lookup that decides whether
    to create, and look up again after it: a transaction that created a record with one of
    these keys has committed by then, so the lookup sees its record. On PostgreSQL this is one
    statement whatever the number of keys, taking transaction-scoped advisory locks in
    ascending order (every writer takes them in that order, after its lead row locks, so two
    writers queue instead of deadlocking). SQLite already serialises writers (the settings
    begin every transaction IMMEDIATE), so there it makes no query.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(LOCK_OUTSIDE_TRANSACTION)
    if connection.vendor != "postgresql":
        return
    ids = match_key_lock_ids(accounts=accounts, contacts=contacts)
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_SQL, [ids])
