"""The set-based step of deciding: the existing records a batch of leads links, and the
duplicates of the records it would create, for every lead at once.

Under the writing transaction (`lock`), the match keys of every new account and contact are
locked first (`match_keys_lock`), then one query per record type finds the matches and the
existing records, locking those rows: a qualify of another lead of the same company that
committed meanwhile is seen, never silently repeated, and a record picked to be linked cannot
be deleted before the qualify commits. The two entry points differ only in the policy:
*ask* (the screens: the matches go to the duplicate dialog) or *link or review* (bulk: link a
single clear match, leave a lead with several for the salesperson). Inside a batch, two leads
of one company share one new account and two leads with one email one new contact; by the same
policy a company name only similar to the new account of an earlier lead of the batch shares
it when the similarity is clear, and sends its lead to review otherwise (as it would if that
account existed already).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Any

from crm.matching import email_domain, name_initials, normalize_company_name, person_name_key
from crm.matching.similarity import CLEAR_SIMILARITY, company_name_reason
from crm.models import Account, Contact
from crm.rows import instance_new
from crm.services.records import account_match_keys, contact_match_keys
from qualification import duplicates
from qualification.duplicates import (
    MAX_MATCHES_SHOWN,
    AccountKeys,
    AccountMatches,
    ContactKeys,
    ContactMatches,
    DuplicateRules,
    Match,
    account_keys_of,
    contact_keys_of,
)
from qualification.engine.decide import LeadDecision, RecordPick
from qualification.engine.errors import (
    CONTACT_UNDER_OTHER_ACCOUNT,
    EXISTING_NOT_FOUND,
    SEVERAL_ACCOUNTS_MATCH,
    SEVERAL_CONTACTS_MATCH,
    UNCLEAR_ACCOUNT_MATCH,
    UNCLEAR_BATCH_ACCOUNT_MATCH,
    UNCLEAR_CONTACT_MATCH,
    DuplicatesFoundError,
    FieldProblem,
    NeedsReviewError,
    QualifyValidationError,
)
from qualification.engine.plan import QualifyConfig
from qualification.models import DuplicateDecision, RecordType


class DuplicatePolicy(Enum):
    ASK = "ask"  # the screens and the API's "ask": the duplicate dialog decides
    LINK_OR_REVIEW = "link"  # bulk: link a single clear match, send several to review
    CREATE = "create"  # the API's "create": every new record is created anyway


def records_match(
    *, decisions: list[LeadDecision], config: QualifyConfig, policy: DuplicatePolicy, lock: bool
) -> None:
    """Resolve every lead's account and contact to a record (existing, matched, shared or new);
    a lead that cannot go on gets its `error`. Two queries at most, whatever the batch size."""
    rules = config.rules
    live = [decision for decision in decisions if decision.error is None]
    account_keys = {id(d): _account_keys(d.account, rules) for d in live}
    contact_keys = {id(d): _contact_keys(d.contact, rules) for d in live}
    if lock and rules is not None:
        duplicates.match_keys_lock(
            accounts=[keys for d in live if d.account.creates for keys in [account_keys[id(d)]]],
            contacts=[keys for d in live if d.contact.creates for keys in [contact_keys[id(d)]]],
        )
    found, existing = duplicates.accounts_find(
        names={keys.name for keys in account_keys.values()},
        domains={keys.domain for keys in account_keys.values()},
        phones={keys.phone for keys in account_keys.values()},
        ids={d.account.existing_id for d in live if d.account.existing_id},
        rules=rules,
        lock=lock,
    )
    shared: dict[tuple[Any, ...], Any] = {}
    batch = _BatchAccounts(similar=rules is not None and rules.account_by_similar_name)
    for decision in live:
        keys = account_keys[id(decision)]
        _account_resolve(decision, keys, found, existing, policy, shared, batch)
    _contacts_match(decisions=live, keys=contact_keys, rules=rules, policy=policy, lock=lock)
    for decision in live:
        if decision.error is None and (decision.account.asks or decision.contact.asks):
            decision.error = DuplicatesFoundError(
                accounts=_asked(decision.account),
                contacts=_asked(decision.contact),
                why={**decision.account.why, **decision.contact.why},
            )


def _asked(pick: RecordPick) -> list[Any]:
    """The matches the duplicate dialog lists for one record type (none when not asked)."""
    return pick.matches[:MAX_MATCHES_SHOWN] if pick.asks else []


def _account_keys(pick: RecordPick, rules: DuplicateRules | None) -> AccountKeys:
    if rules is None or not pick.creates:
        return AccountKeys()
    values = pick.new_values or {}
    return account_keys_of(
        name=values.get("name", ""),
        website=values.get("website", ""),
        phone=values.get("phone", ""),
        rules=rules,
    )


def _contact_keys(pick: RecordPick, rules: DuplicateRules | None) -> ContactKeys:
    if rules is None or not pick.creates:
        return ContactKeys()
    values = pick.new_values or {}
    return contact_keys_of(
        first_name=values.get("first_name", ""),
        last_name=values.get("last_name", ""),
        email=values.get("email", ""),
        phones=(values.get("business_phone", ""), values.get("mobile_phone", "")),
        rules=rules,
    )


def _existing_missing(decision: LeadDecision, pick: RecordPick) -> None:
    label = pick.record_type.label.lower()
    problem = FieldProblem(
        pick.record_type, EXISTING_NOT_FOUND.format(record=label), "existing", standalone=True
    )
    decision.error = QualifyValidationError([problem])


def _decide_on_matches(
    decision: LeadDecision,
    pick: RecordPick,
    matches: list[Match],
    policy: DuplicatePolicy,
    build: Callable[[], Any],
) -> None:
    """What a new record's matches mean: created anyway, asked about, linked (bulk: a single
    clear match), or review (several, or one that is only similar), each saying why."""
    pick.matches = [match.record for match in matches]
    pick.why = {(pick.record_type, match.record.pk): match.why for match in matches}
    if not matches:
        pick.record = build()
    elif pick.create_anyway or policy == DuplicatePolicy.CREATE:
        pick.duplicates = DuplicateDecision.CREATED_ANYWAY
        pick.record = build()
    elif policy == DuplicatePolicy.ASK:
        pick.asks = True
    elif len(matches) == 1 and matches[0].clear:
        pick.record, pick.duplicates = matches[0].record, DuplicateDecision.LINKED
    else:
        is_account = pick.record_type == RecordType.ACCOUNT
        name = str(pick.new_values.get("name")) if is_account else _full_name(pick)
        if len(matches) == 1:
            template = UNCLEAR_ACCOUNT_MATCH if is_account else UNCLEAR_CONTACT_MATCH
        else:
            template = SEVERAL_ACCOUNTS_MATCH if is_account else SEVERAL_CONTACTS_MATCH
        why = "; ".join(f"{match.record}: {match.why}" for match in matches[:MAX_MATCHES_SHOWN])
        decision.error = NeedsReviewError(
            template.format(count=len(matches), name=_quoted(name), why=why)
        )


class _BatchAccounts:
    """The new accounts of earlier leads of the batch, by their name's word initials (only
    names with the same initials can be similar), for the similar-name rule inside a batch."""

    def __init__(self, *, similar: bool) -> None:
        self.similar = similar
        self.by_initials: dict[str, list[tuple[str, Account]]] = {}

    def best(self, name: str) -> tuple[Account, str, float] | None:
        """The new account whose name is most like `name`, with the reason and the score."""
        best: tuple[Account, str, float] | None = None
        for other, record in self.by_initials.get(name_initials(name), []) if self.similar else []:
            reason = company_name_reason(name, other)
            if reason is not None and (best is None or reason[1] > best[2]):
                best = (record, reason[0], reason[1])
        return best

    def add(self, name: str, record: Account) -> None:
        known = self.by_initials.setdefault(name_initials(name), []) if self.similar else []
        if name and (name, record) not in known:
            known.append((name, record))


def _batch_similar_resolve(
    decision: LeadDecision,
    keys: AccountKeys,
    policy: DuplicatePolicy,
    shared: dict[tuple[Any, ...], Any],
    batch: _BatchAccounts,
) -> bool:
    """A new account only similar to one an earlier lead of the batch creates: shared when
    the similarity is clear, review otherwise (bulk); True when that decided the account."""
    exact = [("account-name", keys.name), ("account-domain", keys.domain)]
    if not keys.name or any(key in shared for key in exact if key[1]):
        return False
    similar = batch.best(keys.name)
    if similar is None or policy == DuplicatePolicy.CREATE:
        return False
    record, why, score = similar
    pick = decision.account
    if score >= CLEAR_SIMILARITY:
        pick.record = record
        shared.setdefault(("account-name", keys.name), record)
        return True
    if policy != DuplicatePolicy.LINK_OR_REVIEW:
        return False
    name = _quoted(str(pick.new_values.get("name")))
    decision.error = NeedsReviewError(
        UNCLEAR_BATCH_ACCOUNT_MATCH.format(other=_quoted(record.name), name=name, why=why)
    )
    return True


def _account_resolve(
    decision: LeadDecision,
    keys: AccountKeys,
    found: AccountMatches,
    existing: dict[int, Account],
    policy: DuplicatePolicy,
    shared: dict[tuple[Any, ...], Any],
    batch: _BatchAccounts,
) -> None:
    pick = decision.account
    if pick.existing_id is not None:
        pick.record = existing.get(pick.existing_id)
        if pick.record is None:
            _existing_missing(decision, pick)
        elif pick.matched:
            pick.duplicates, pick.matches = DuplicateDecision.LINKED, [pick.record]
        return
    if not pick.creates:
        return
    owner_id = decision.lead.owner_id

    def build() -> Account:
        return _shared(
            shared,
            [("account-name", keys.name), ("account-domain", keys.domain)],
            lambda: account_match_keys(_new(Account, pick, owner_id)),
        )

    matches = found.matches_for(name=keys.name, domain=keys.domain, phone=keys.phone)
    if not matches and _batch_similar_resolve(decision, keys, policy, shared, batch):
        return
    _decide_on_matches(decision, pick, matches, policy, build)
    if pick.record is not None and pick.record.pk is None and decision.error is None:
        batch.add(keys.name, pick.record)


def _contact_company(decision: LeadDecision, rules: DuplicateRules | None) -> str:
    """The normalised company of the name rule's "same company" when the contact does not go
    under an existing account: the new account's name, else the lead's Company Name."""
    if rules is None or not rules.contact_by_name:
        return ""
    account = decision.account
    if account.record is not None and account.record.pk is not None:
        return ""
    if account.creates:
        name = str(account.new_values.get("name") or "")
    else:
        name = decision.lead.company_name
    return normalize_company_name(name) if name.strip() else ""


def _contacts_match(
    *,
    decisions: list[LeadDecision],
    keys: dict[int, ContactKeys],
    rules: DuplicateRules | None,
    policy: DuplicatePolicy,
    lock: bool,
) -> None:
    """Runs after the accounts: the name rule needs the account each contact goes under, and
    a lead refused over its account gets no contact."""
    live = [decision for decision in decisions if decision.error is None]
    companies = {id(d): _contact_company(d, rules) for d in live}
    candidates = [d for d in live if d.contact.creates]
    names = {id(d): _name_key(d.contact) for d in candidates}
    found, existing = duplicates.contacts_find(
        emails={keys[id(d)].email for d in candidates},
        phones={phone for d in candidates for phone in keys[id(d)].phones},
        people_in_accounts={
            (account_id, names[id(d)]) for d in candidates for account_id in _account_ids(d)
        },
        people_in_companies={(companies[id(d)], names[id(d)]) for d in candidates},
        people_in_domains={(_email_domain(d.contact), names[id(d)]) for d in candidates},
        ids={d.contact.existing_id for d in live if d.contact.existing_id},
        rules=rules,
        lock=lock,
    )
    shared: dict[tuple[Any, ...], Any] = {}
    for decision in live:
        _contact_resolve(
            decision, keys[id(decision)], companies[id(decision)], found, existing, policy, shared
        )


def _contact_resolve(
    decision: LeadDecision,
    keys: ContactKeys,
    company: str,
    found: ContactMatches,
    existing: dict[int, Contact],
    policy: DuplicatePolicy,
    shared: dict[tuple[Any, ...], Any],
) -> None:
    pick, account = decision.contact, decision.account
    if pick.existing_id is not None:
        pick.record = existing.get(pick.existing_id)
        if pick.record is None:
            _existing_missing(decision, pick)
            return
        if pick.matched:
            pick.duplicates, pick.matches = DuplicateDecision.LINKED, [pick.record]
        _check_same_account(decision, policy)
        return
    if not pick.creates:
        return
    account_record = account.record
    account_id = account_record.pk if account_record is not None else None
    if account_record is not None and account_id is None:
        token: Any = ("new account", id(account_record))
    elif account_id is not None:
        token = ("account", account_id)
    else:
        token = ("company", company) if company else None
    owner_id = decision.lead.owner_id

    def build() -> Contact:
        return _shared(
            shared,
            [("contact-email", keys.email), ("contact-name", token, keys.full_name)],
            lambda: contact_match_keys(_new(Contact, pick, owner_id)),
        )

    values = pick.new_values or {}
    matches = found.matches_for(
        email=keys.email,
        phones=keys.phones,
        first_name=values.get("first_name", "") if keys.full_name else "",
        last_name=values.get("last_name", "") if keys.full_name else "",
        account_id=account_id,
        company=company,
        company_ids=[match.pk for match in account.matches],
        domain=_email_domain(pick),
    )
    _decide_on_matches(decision, pick, matches, policy, build)


def _check_same_account(decision: LeadDecision, policy: DuplicatePolicy) -> None:
    """An existing contact picked (or set on the lead) together with an existing account must
    belong to it, or to none: the opportunity would otherwise join a customer to someone else's
    contact. The screens refuse the pick; bulk qualify leaves the lead for the salesperson.
    (A match that duplicate detection links is not a pick: it is linked as before.)"""
    if decision.account.existing_id is None or decision.account.record is None:
        return
    account, contact = decision.account.record, decision.contact.record
    if contact.account_id in (None, account.pk):
        return
    message = CONTACT_UNDER_OTHER_ACCOUNT.format(
        contact=contact, other=contact.account, account=account
    )
    if policy == DuplicatePolicy.LINK_OR_REVIEW:
        decision.error = NeedsReviewError(message)
        return
    problem = FieldProblem(decision.contact.record_type, message, "existing", standalone=True)
    decision.error = QualifyValidationError([problem])


def _shared(registry: dict[tuple[Any, ...], Any], keys: list[tuple[Any, ...]], build: Any) -> Any:
    """The record another lead of the batch creates under one of these keys, else a new one.

    A key with an empty part (no email, no company, the rule off) never matches.
    """
    usable = [key for key in keys if all(part not in ("", None) for part in key[1:])]
    for key in usable:
        if key in registry:
            record = registry[key]
            break
    else:
        record = build()
    for key in usable:
        registry.setdefault(key, record)
    return record


def _new(model: type[Account] | type[Contact], pick: RecordPick, owner_id: int) -> Any:
    """The new record of a pick, unsaved (`instance_new`: bulk qualify builds thousands)."""
    return instance_new(model=model, values={**(pick.new_values or {}), "owner_id": owner_id})


def _account_ids(decision: LeadDecision) -> list[int]:
    """The accounts whose people the name rule compares with: the account the contact goes
    under, else the accounts its new account matched (a typo of the company is the company)."""
    record = decision.account.record
    if record is not None and record.pk is not None:
        return [record.pk]
    return [match.pk for match in decision.account.matches]


def _name_key(pick: RecordPick) -> str:
    values = pick.new_values or {}
    return person_name_key(values.get("first_name", ""), values.get("last_name", ""))


def _email_domain(pick: RecordPick) -> str:
    return email_domain((pick.new_values or {}).get("email", ""))


def _quoted(name: str) -> str:
    return f"\u201c{name}\u201d"


def _full_name(pick: RecordPick) -> str:
    values = pick.new_values or {}
    return f"{values.get('first_name', '')} {values.get('last_name', '')}".strip()
