"""The public entry point for "which existing records would these lead values duplicate?":
used wherever a lead's values are checked without qualifying (lead-to-lead detection, the
benchmark), with the same rules and reasons as the qualify engine."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from crm.matching import (
    email_domain,
    normalize_company_name,
    normalize_email,
    normalize_phone,
    person_name_key,
    website_domain,
)
from crm.matching.rules import DuplicateRules
from crm.matching.similarity import Match
from qualification.duplicates.accounts import accounts_find
from qualification.duplicates.contacts import contacts_find


@dataclass(frozen=True)
class LeadValues:
    """The values duplicate detection reads from a lead, as typed (not normalised)."""

    first_name: str = ""
    last_name: str = ""
    email: str = ""
    business_phone: str = ""
    mobile_phone: str = ""
    company_name: str = ""
    website: str = ""

    @property
    def company(self) -> str:
        return normalize_company_name(self.company_name) if self.company_name.strip() else ""

    @property
    def phones(self) -> tuple[str, ...]:
        keys = (normalize_phone(self.business_phone), normalize_phone(self.mobile_phone))
        return tuple(dict.fromkeys(key for key in keys if key))


@dataclass
class Candidates:
    """The existing records one lead's values match, best first, each with `why`."""

    accounts: list[Match] = field(default_factory=list)
    contacts: list[Match] = field(default_factory=list)


def candidates_for_values(
    *, values: Sequence[LeadValues], rules: DuplicateRules | None
) -> list[Candidates]:
    """The existing accounts (by the company name, website and business phone) and contacts
    (by email, phones, and a similar name within the same company, any account the company
    matched, or the same email domain) that each
    of `values` matches under `rules` (None: detection off, nothing matches), one
    `Candidates` per value in order. Set-based: two queries whatever the number of values.
    """
    if rules is None or not values:
        return [Candidates() for _ in values]
    found, _ = accounts_find(
        names={value.company for value in values},
        domains={website_domain(value.website) for value in values},
        phones={normalize_phone(value.business_phone) for value in values},
        rules=rules,
    )
    companies = [
        found.matches_for(
            name=value.company,
            domain=website_domain(value.website),
            phone=normalize_phone(value.business_phone),
        )
        for value in values
    ]
    people, _ = contacts_find(
        emails={normalize_email(value.email) for value in values},
        phones={phone for value in values for phone in value.phones},
        people_in_accounts={
            (match.record.pk, _name_key(value))
            for value, matches in zip(values, companies, strict=True)
            for match in matches
        },
        people_in_companies={(value.company, _name_key(value)) for value in values},
        people_in_domains={(email_domain(value.email), _name_key(value)) for value in values},
        rules=rules,
    )
    return [
        Candidates(
            accounts=accounts,
            contacts=people.matches_for(
                email=normalize_email(value.email),
                phones=value.phones,
                first_name=value.first_name,
                last_name=value.last_name,
                company=value.company,
                company_ids=[match.record.pk for match in accounts],
                domain=email_domain(value.email),
            ),
        )
        for value, accounts in zip(values, companies, strict=True)
    ]


def _name_key(value: LeadValues) -> str:
    return person_name_key(value.first_name, value.last_name)
