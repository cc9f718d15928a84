"""Duplicate detection: existing accounts and contacts that a new record would repeat.

Every lookup is an indexed equality (or `IN`) match on the normalised columns that
`crm.matching` defines and the services store on each record, so the database does the
matching and Python never scans a table. The set-based functions take many candidates at once
(bulk qualify) and answer in one query each; the single-lead wrappers sit on top of them.

Keys are normalised values: pass `normalize_company_name(name)`, `website_domain(url)`,
`normalize_email(email)`, `normalize_full_name(first, last)`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

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


def account_duplicates_for(
    *,
    names: Iterable[str] = (),
    domains: Iterable[str] = (),
    rules: DuplicateRules | None = None,
) -> AccountMatches:
    """Existing accounts whose normalised name or website domain is one of the given keys.

    One query whatever the number of candidates.
    """
    rules = rules or DuplicateRules()
    names = _clean(names) if rules.account_by_name else set()
    domains = _clean(domains) if rules.account_by_domain else set()
    matches = AccountMatches()
    condition = Q()
    if names:
        condition |= Q(normalized_name__in=names)
    if domains:
        condition |= Q(website_domain__in=domains)
    if not condition:
        return matches
    by_name: dict[str, list[Account]] = defaultdict(list)
    by_domain: dict[str, list[Account]] = defaultdict(list)
    for account in Account.objects.filter(condition).order_by("name", "pk"):
        if account.normalized_name in names:
            by_name[account.normalized_name].append(account)
        if account.website_domain and account.website_domain in domains:
            by_domain[account.website_domain].append(account)
    matches.by_name = dict(by_name)
    matches.by_domain = dict(by_domain)
    return matches


def contact_duplicates_for(
    *,
    emails: Iterable[str] = (),
    names_in_accounts: Iterable[tuple[int, str]] = (),
    names_in_companies: Iterable[tuple[str, str]] = (),
    rules: DuplicateRules | None = None,
) -> ContactMatches:
    """Existing contacts with one of the emails, or the same full name within the same account.

    `names_in_accounts` holds (account id, full name) pairs: the contact would go under that
    existing account. `names_in_companies` holds (normalised company name, full name) pairs:
    the contact would go under a new account, so "the same company" is any account with that
    normalised name. One query whatever the number of candidates; the pairs are narrowed by
    indexed `IN` lookups on both columns and then paired exactly.
    """
    rules = rules or DuplicateRules()
    emails = _clean(emails) if rules.contact_by_email else set()
    account_pairs = (
        {(a, n) for a, n in names_in_accounts if a and n} if rules.contact_by_name else set()
    )
    company_pairs = (
        {(c, n) for c, n in names_in_companies if c and n} if rules.contact_by_name else set()
    )
    matches = ContactMatches()
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
    if not condition:
        return matches
    by_email: dict[str, list[Contact]] = defaultdict(list)
    by_account: dict[tuple[int, str], list[Contact]] = defaultdict(list)
    by_company: dict[tuple[str, str], list[Contact]] = defaultdict(list)
    contacts = (
        Contact.objects.filter(condition)
        .select_related("account")
        .order_by("last_name", "first_name", "pk")
    )
    for contact in contacts:
        if contact.email_normalized and contact.email_normalized in emails:
            by_email[contact.email_normalized].append(contact)
        account_key = (contact.account_id, contact.full_name_normalized)
        if account_key in account_pairs:
            by_account[account_key].append(contact)
        if contact.account is not None:
            company_key = (contact.account.normalized_name, contact.full_name_normalized)
            if company_key in company_pairs:
                by_company[company_key].append(contact)
    matches.by_email = dict(by_email)
    matches.by_account_name = dict(by_account)
    matches.by_company_name = dict(by_company)
    return matches


def account_duplicates(
    *, name: str, website: str = "", rules: DuplicateRules | None = None
) -> list[Account]:
    """Existing accounts a new account with this name and website would repeat."""
    key_name = normalize_company_name(name) if name.strip() else ""
    key_domain = website_domain(website)
    matches = account_duplicates_for(names={key_name}, domains={key_domain}, rules=rules)
    return matches.for_candidate(name=key_name, domain=key_domain)[:MAX_MATCHES_SHOWN]


def contact_duplicates(
    *,
    first_name: str,
    last_name: str,
    email: str = "",
    account_id: int | None = None,
    company_name: str = "",
    rules: DuplicateRules | None = None,
) -> list[Contact]:
    """Existing contacts a new contact would repeat.

    Same email (case ignored), or the same full name within the account the contact goes
    under: an existing account (`account_id`) or, for a new account, any account with the
    same normalised `company_name`.
    """
    key_email = normalize_email(email)
    key_name = normalize_full_name(first_name, last_name)
    key_company = normalize_company_name(company_name) if company_name.strip() else ""
    matches = contact_duplicates_for(
        emails={key_email},
        names_in_accounts={(account_id, key_name)} if account_id else set(),
        names_in_companies={(key_company, key_name)} if key_company else set(),
        rules=rules,
    )
    found = matches.for_candidate(
        email=key_email, full_name=key_name, account_id=account_id, company=key_company
    )
    return found[:MAX_MATCHES_SHOWN]
