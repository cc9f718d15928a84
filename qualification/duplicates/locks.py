"""Match-key locks: a lookup alone cannot promise "no silent duplicates": two transactions
creating records with one match key (two leads of one company qualified at the same moment,
two overlapping bulk batches) would each find nothing and each create a record.
`match_keys_lock` serialises them: a writer locks the match keys of everything it is about to
create, then looks up; whoever comes second waits for the first to commit and then finds its
records. The exact keys are locked (name, domain, phone, email); a similar-name match made at
the same moment by another transaction is found by the next lookup, not serialised.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from django.db import connection, transaction

from crm.matching import (
    normalize_company_name,
    normalize_email,
    normalize_full_name,
    normalize_phone,
    website_domain,
)
from crm.matching.rules import DuplicateRules
from crm.matching.search import bigint_array

LOCK_OUTSIDE_TRANSACTION = (
    "match_keys_lock must run inside transaction.atomic(): the locks last until the commit."
)


@dataclass(frozen=True)
class AccountKeys:
    """The match keys of an account about to be created ("" for a key that does not apply)."""

    name: str = ""  # normalize_company_name(name)
    domain: str = ""  # website_domain(website)
    phone: str = ""  # normalize_phone(phone)


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
    phones: tuple[str, ...] = ()  # normalize_phone(business and mobile phone), non-empty


def account_keys_of(
    *, name: str, website: str = "", phone: str = "", rules: DuplicateRules
) -> AccountKeys:
    """The keys a new account with this name, website and phone is looked up (and locked) by.
    The name key serves both name rules (the similar one searches around it)."""
    by_name = rules.account_by_name or rules.account_by_similar_name
    return AccountKeys(
        name=normalize_company_name(name) if by_name and name.strip() else "",
        domain=website_domain(website) if rules.account_by_domain else "",
        phone=normalize_phone(phone) if rules.account_by_phone else "",
    )


def contact_keys_of(
    *,
    first_name: str,
    last_name: str,
    email: str = "",
    phones: Iterable[str] = (),
    rules: DuplicateRules,
) -> ContactKeys:
    """The keys a new contact with these values is locked by."""
    phone_keys = {normalize_phone(phone) for phone in phones} if rules.contact_by_phone else set()
    return ContactKeys(
        email=normalize_email(email) if rules.contact_by_email else "",
        full_name=normalize_full_name(first_name, last_name) if rules.contact_by_name else "",
        phones=tuple(sorted(key for key in phone_keys if key)),
    )


class MatchKeyKind(Enum):
    """One lock namespace per key kind (blake2b's personalisation, 16 bytes at most), so that
    an email and a company name with the same text never share a lock."""

    ACCOUNT_NAME = b"crm-account-name"
    ACCOUNT_DOMAIN = b"crm-account-domn"
    CONTACT_EMAIL = b"crm-contact-mail"
    CONTACT_NAME = b"crm-contact-name"
    ACCOUNT_PHONE = b"crm-account-phon"
    CONTACT_PHONE = b"crm-contact-phon"


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
        if account.phone:
            ids.add(match_key_lock_id(kind=MatchKeyKind.ACCOUNT_PHONE, key=account.phone))
    for contact in contacts:
        if contact.email:
            ids.add(match_key_lock_id(kind=MatchKeyKind.CONTACT_EMAIL, key=contact.email))
        if contact.full_name:
            ids.add(match_key_lock_id(kind=MatchKeyKind.CONTACT_NAME, key=contact.full_name))
        for phone in contact.phones:
            ids.add(match_key_lock_id(kind=MatchKeyKind.CONTACT_PHONE, key=phone))
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
        cursor.execute(_LOCK_SQL, [bigint_array(ids)])
