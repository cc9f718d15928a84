"""Fill a PostgreSQL database of its own, `crm_load`, with 100,000 leads for the page benchmarks.

Not a test. It drops and creates `crm_load` (never another database), migrates it, and loads
with COPY, in a few seconds:

    .venv/bin/python bench/load_data.py                 # 100,000 leads
    .venv/bin/python bench/load_data.py --leads 20000   # another size
    .venv/bin/python bench/load_data.py --drop          # drop crm_load and stop

DATABASE_URL may name another benchmark database instead, `crm_load_<name>`, `crm_bench_<name>`
or `<name>_bench` (one per worktree, say); any other name is refused.

What it loads (seeded, so two runs give the same rows apart from the dates, which are relative
to now): eight salespeople and a sales manager (password BENCH_PASSWORD) owning the leads
unevenly; leads with Faker names, companies, emails and phones, created over the last six
months, their sources weighted (referrals qualify more often than advertisements); 80% open,
12% qualified (within two weeks), 8% disqualified (within a month). Each qualified lead has the
account (one per company, and a second one where the salesperson created it anyway), contact
and opportunity it became, their originating-lead links, a "qualified" timeline event and the
qualification record (bench/qualification_history.py: bulk or not, created or linked, the
duplicate decisions), and every closed lead its `closed_at`; 3% of the leads carry one to four
notes.

bench/page_timings.py and bench/wrk.sh read the database it leaves behind.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from qualification_history import LeadOutcomes, QualificationHistory

LOAD_DATABASE = "crm_load"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{LOAD_DATABASE}"
PROJECT_DIR = Path(__file__).resolve().parent.parent

SEED = 2026
LEAD_COUNT = 100_000
BENCH_PASSWORD = "bench-load-2026"  # local benchmark logins only
# (username, first name, last name, share of the leads); the last one is the sales manager.
SALES_USERS = (
    ("sales1", "Dana", "Whitfield", 22),
    ("sales2", "Lee", "Okafor", 18),
    ("sales3", "Priya", "Raman", 14),
    ("sales4", "Tomas", "Berg", 12),
    ("sales5", "Aiko", "Tanaka", 10),
    ("sales6", "Sam", "Moreau", 8),
    ("sales7", "Nia", "Adeyemi", 6),
    ("sales8", "Ivan", "Petrov", 5),
    ("manager", "Maria", "Santos", 5),
)
OPEN_SHARE, QUALIFIED_SHARE = 0.80, 0.12  # the rest are disqualified
NOTED_SHARE = 0.03
CREATED_OVER_DAYS = 182

PRODUCTS = (
    "laptops", "desktop refresh", "CRM rollout", "support contract", "cloud migration",
    "office printers", "security audit", "network upgrade", "training days", "licences",
    "data warehouse", "field service app", "phone system", "backup service", "consulting",
)  # fmt: skip
INDUSTRIES = (
    "Accounting", "Agriculture", "Broadcasting", "Consulting", "Construction", "Education",
    "Financial", "Food and Tobacco", "Health Care", "Insurance", "Legal", "Manufacturing",
    "Retail", "Transportation", "Utilities",
)  # fmt: skip
NOTE_TITLES = (
    "Call back next week", "Sent brochure", "Asked for pricing", "Met at the trade show",
    "Budget confirmed", "Waiting for the board", "Left a voicemail", "Demo booked",
)  # fmt: skip


def database_url() -> str:
    """DATABASE_URL (default: the local crm_load); anything but a PostgreSQL database named
    crm_load, crm_load_<name>, crm_bench_<name> or <name>_bench is refused, so the benchmarks
    never write to someone else's data."""
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    name = database_name(url)
    benchmark = name == LOAD_DATABASE or re.fullmatch(r"crm_(load|bench)_\w+|\w+_bench", name)
    if parts.scheme not in ("postgres", "postgresql") or not benchmark:
        sys.exit(
            f"DATABASE_URL must name a PostgreSQL database called {LOAD_DATABASE}, "
            f"crm_load_<name>, crm_bench_<name> or <name>_bench: {url}"
        )
    return url


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def admin_url(url: str) -> str:
    return urlunsplit(urlsplit(url)._replace(scheme="postgresql", path="/postgres"))


def django_setup(url: str, *, static_root: str | None = None) -> None:
    """Production-like settings: DEBUG off (no query log kept in memory), a throwaway key,
    plain HTTP (no SSL redirect) and no .env file."""
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "crm.settings"
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ENV_FILE"] = os.devnull
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1,testserver"
    if static_root:
        os.environ["STATIC_ROOT"] = static_root

    import django

    django.setup()


def _database_drop(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = sql.Identifier(database_name(url))
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def _database_recreate(url: str) -> None:
    import psycopg
    from psycopg import sql

    _database_drop(url)
    with psycopg.connect(admin_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


# Rows --------------------------------------------------------------------------------------


def _copy(model: type, rows: Iterable[dict[str, Any]]) -> int:
    """COPY rows (dicts by attname, explicit ids) into the model's table; unset columns get
    the field's default ("" for a blank text field, None for a nullable one)."""
    from django.db import connection
    from psycopg import sql

    fields = model._meta.concrete_fields
    defaults = {field.attname: field.get_default() for field in fields}
    columns = sql.SQL(", ").join(sql.Identifier(field.column) for field in fields)
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(model._meta.db_table), columns
    )
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for row in rows:
            values = (row.get(name, defaults[name]) for name in defaults)
            copy.write_row([json.dumps(v) if isinstance(v, dict | list) else v for v in values])
            count += 1
    return count


def _domain(company: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", company.lower())[:40] + ".com"


def _phone(rng: random.Random) -> str:
    return f"+1 {rng.randint(201, 989)} 555 {rng.randint(0, 9999):04d}"


class Generator:
    def __init__(self, *, leads: int, now: datetime) -> None:
        from faker import Faker

        fake = Faker("en_US")
        fake.seed_instance(SEED)
        self.rng = random.Random(SEED)
        self.now = now
        self.lead_count = leads
        # Pools drawn with Faker's own frequencies, so common names are common in the grid.
        self.first_names = [fake.first_name() for _ in range(3000)]
        self.last_names = [fake.last_name() for _ in range(6000)]
        self.companies = list(dict.fromkeys(fake.company() for _ in range(9000)))
        self.job_titles = [fake.job()[:100] for _ in range(400)]
        self.cities = [(fake.city(), fake.state_abbr(), fake.postcode()) for _ in range(600)]
        self.streets = [fake.street_address() for _ in range(3000)]

    def users(self) -> list[Any]:
        from django.contrib.auth.hashers import make_password
        from django.contrib.auth.models import Group, User

        password = make_password(BENCH_PASSWORD)
        users = User.objects.bulk_create(
            User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@crm.example",
                password=password,
            )
            for username, first, last, _share in SALES_USERS
        )
        salespeople = Group.objects.get(name="Salespeople")
        managers = Group.objects.get(name="Sales managers")
        for user in users:
            user.groups.add(managers if user.username == "manager" else salespeople)
        return users

    def _created_at(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(0, CREATED_OVER_DAYS * 86400))

    def _state(self) -> tuple[str, str]:
        from leads.models import DISQUALIFY_REASONS, LeadState, LeadStatus

        draw = self.rng.random()
        if draw < OPEN_SHARE:
            return LeadState.OPEN, self.rng.choice((LeadStatus.NEW, LeadStatus.CONTACTED))
        if draw < OPEN_SHARE + QUALIFIED_SHARE:
            return LeadState.QUALIFIED, LeadStatus.QUALIFIED
        return LeadState.DISQUALIFIED, self.rng.choice(DISQUALIFY_REASONS)

    def leads(self, owners: list[Any]) -> list[dict[str, Any]]:
        from crm.models import Need, PurchaseProcess, PurchaseTimeframe
        from leads.duplicates.keys import SOURCE_FIELDS, lead_match_key_values
        from leads.models import LeadSource, Rating, owner_sort_key, phone_digits

        rng = self.rng
        owner_ids = [owner.pk for owner in owners]
        owner_sort = {owner.pk: owner_sort_key(owner) for owner in owners}
        weights = [share for *_rest, share in SALES_USERS]
        rows = []
        for lead_id in range(1, self.lead_count + 1):
            first, last = rng.choice(self.first_names), rng.choice(self.last_names)
            company = rng.choice(self.companies)
            city, region, postcode = rng.choice(self.cities)
            state, status_reason = self._state()
            created_at = self._created_at()
            age = (self.now - created_at).total_seconds()
            staged = state != "open" or rng.random() < 0.4
            rows.append(
                {
                    "id": lead_id,
                    "topic": f"{rng.randint(2, 500)} {rng.choice(PRODUCTS)} for {company}"[:300],
                    "first_name": first,
                    "last_name": last,
                    "job_title": rng.choice(self.job_titles),
                    "company_name": company[:100],
                    "business_phone": _phone(rng),
                    "mobile_phone": _phone(rng) if rng.random() < 0.5 else "",
                    "email": f"{first}.{last}@{_domain(company)}".lower()[:100],
                    "website": f"https://www.{_domain(company)}",
                    "description": "",
                    "lead_source": rng.choice(LeadSource.values),
                    "rating": rng.choice((*Rating.values, "")),
                    "industry": rng.choice(INDUSTRIES),
                    "owner_id": rng.choices(owner_ids, weights)[0],
                    "street1": rng.choice(self.streets),
                    "city": city,
                    "state_province": region,
                    "postal_code": postcode,
                    "country": "United States",
                    "purchase_timeframe": rng.choice(PurchaseTimeframe.values) if staged else "",
                    "budget_amount": (
                        Decimal(rng.randrange(1_000, 500_000, 500)) if staged else None
                    ),
                    "purchase_process": rng.choice(PurchaseProcess.values) if staged else "",
                    "decision_maker": staged and rng.random() < 0.6,
                    "need": rng.choice(Need.values) if staged else "",
                    "state": state,
                    "status_reason": status_reason,
                    "created_at": created_at,
                    "updated_at": created_at + timedelta(seconds=rng.uniform(0, min(age, 1e6))),
                }
            )
        # Drawn apart (bench/qualification_history.py), so that the rows above stay as they were.
        outcomes = LeadOutcomes()
        for row in rows:
            # The stored copies Lead.save() keeps (COPY bypasses it).
            row["phone_digits"] = phone_digits(row["business_phone"], row["mobile_phone"])
            row["owner_sort"] = owner_sort[row["owner_id"]]
            row.update(lead_match_key_values(**{name: row[name] for name in SOURCE_FIELDS}))
            row["lead_source"] = outcomes.source(row["state"])
            row["closed_at"] = outcomes.closed_at(row["state"], row["created_at"], self.now)
            if row["closed_at"]:
                row["updated_at"] = max(row["updated_at"], row["closed_at"])
        return rows

    def customer_records(self, leads: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        """What qualifying each qualified lead made or linked, linked back from the lead, and
        the qualification records (bench/qualification_history.py)."""
        from crm.models import OpportunityState, OpportunityStatus, SalesStage

        rng = self.rng
        history = QualificationHistory()
        accounts: dict[str, dict[str, Any]] = {}  # the first account of each company
        all_accounts, contacts, opportunities, origins = [], [], [], []
        contacts_of: dict[int, list[dict[str, Any]]] = {}
        for lead in leads:
            if lead["state"] != "qualified":
                continue
            at = lead["closed_at"]
            account = accounts.get(lead["company_name"])
            account_use = history.account_use(company_known=account is not None)
            if account_use.created:
                account = self._account(lead, number=len(all_accounts) + 1, at=at)
                accounts.setdefault(lead["company_name"], account)
                all_accounts.append(account)
                origins.append({"lead_id": lead["id"], "account_id": account["id"]})
            earlier = contacts_of.setdefault(account["id"], [])
            contact_use = history.contact_use(has_earlier_contact=bool(earlier))
            if contact_use.created:
                contact = self._contact(lead, account, number=len(contacts) + 1, at=at)
                contacts.append(contact)
                earlier.append(contact)
                origins.append({"lead_id": lead["id"], "contact_id": contact["id"]})
            else:
                contact = earlier[-1]
            stage = rng.choice(SalesStage.values)
            won = stage == SalesStage.CLOSE and rng.random() < 0.5
            state, status = (
                (OpportunityState.WON, OpportunityStatus.WON)
                if won
                else (OpportunityState.OPEN, OpportunityStatus.IN_PROGRESS)
            )
            if not won and history.lost():
                state, status = OpportunityState.LOST, OpportunityStatus.CANCELED
            opportunity = {
                "id": len(opportunities) + 1,
                "topic": lead["topic"],
                "customer_account_id": account["id"],
                "account_id": account["id"],
                "contact_id": contact["id"],
                "budget_amount": lead["budget_amount"],
                "purchase_timeframe": lead["purchase_timeframe"],
                "purchase_process": lead["purchase_process"],
                "decision_maker": lead["decision_maker"],
                "need": lead["need"],
                "estimated_revenue": lead["budget_amount"],
                "state": state,
                "status_reason": status,
                "stage": stage,
                "owner_id": lead["owner_id"],
                "created_at": at,
                "updated_at": at,
            }
            opportunities.append(opportunity)
            origins.append({"lead_id": lead["id"], "opportunity_id": opportunity["id"]})
            history.record(
                lead=lead,
                account=account,
                account_use=account_use,
                contact=contact,
                contact_use=contact_use,
                opportunity=opportunity,
                at=at,
            )
            lead["parent_account_id"] = account["id"]
            lead["parent_contact_id"] = contact["id"]
            lead["qualifying_opportunity_id"] = opportunity["id"]
        # Some open leads already name an account on their Qualify stage.
        account_ids = [account["id"] for account in accounts.values()]
        for lead in leads:
            if account_ids and lead["state"] == "open" and rng.random() < 0.03:
                lead["existing_account_id"] = rng.choice(account_ids)
        for number, origin in enumerate(origins, start=1):
            origin["id"] = number
            origin["created_at"] = self.now
        return {
            "accounts": all_accounts,
            "contacts": contacts,
            "opportunities": opportunities,
            "origins": origins,
            "qualifications": history.records,
            "qualification opportunities": history.links,
        }

    @staticmethod
    def _account(lead: dict[str, Any], *, number: int, at: datetime) -> dict[str, Any]:
        from crm.matching import name_initials, normalize_company_name, normalize_phone

        normalized = normalize_company_name(lead["company_name"])
        return {
            "id": number,
            "name": lead["company_name"],
            # The match keys crm.services.fields.account_match_keys stores.
            "normalized_name": normalized,
            "name_initials": name_initials(normalized),
            "phone_normalized": normalize_phone(lead["business_phone"]),
            "website": lead["website"],
            "website_domain": lead["website"].removeprefix("https://www."),
            "phone": lead["business_phone"],
            "industry": lead["industry"],
            "city": lead["city"],
            "country": lead["country"],
            "owner_id": lead["owner_id"],
            "created_at": at,
            "updated_at": at,
        }

    @staticmethod
    def _contact(
        lead: dict[str, Any], account: dict[str, Any], *, number: int, at: datetime
    ) -> dict[str, Any]:
        from crm.matching import (
            email_domain,
            normalize_email,
            normalize_full_name,
            normalize_phone,
            person_name_key,
        )

        return {
            "id": number,
            "first_name": lead["first_name"],
            "last_name": lead["last_name"],
            "email": lead["email"],
            "email_normalized": normalize_email(lead["email"]),
            "full_name_normalized": normalize_full_name(lead["first_name"], lead["last_name"]),
            # The other match keys crm.services.fields.contact_match_keys stores.
            "name_key": person_name_key(lead["first_name"], lead["last_name"]),
            "email_domain": email_domain(lead["email"]),
            "business_phone_normalized": normalize_phone(lead["business_phone"]),
            "job_title": lead["job_title"],
            "business_phone": lead["business_phone"],
            "account_id": account["id"],
            "owner_id": lead["owner_id"],
            "created_at": at,
            "updated_at": at,
        }

    def timeline(self, leads: list[dict[str, Any]], lead_type_id: int) -> list[dict[str, Any]]:
        from crm.models import TimelineEntryKind

        rng = self.rng
        entries = []
        for lead in leads:
            notes = rng.randint(1, 4) if rng.random() < NOTED_SHARE else 0
            age = (self.now - lead["created_at"]).total_seconds()
            for _ in range(notes):
                entries.append(
                    {
                        "object_id": lead["id"],
                        "kind": TimelineEntryKind.NOTE,
                        "title": rng.choice(NOTE_TITLES),
                        "body": f"Spoke with {lead['first_name']} about {lead['topic']}.",
                        "author_id": lead["owner_id"],
                        "created_at": lead["created_at"] + timedelta(seconds=rng.uniform(0, age)),
                    }
                )
            if lead["state"] == "qualified":
                entries.append(
                    {
                        "object_id": lead["id"],
                        "kind": TimelineEntryKind.SYSTEM,
                        "title": "Lead qualified",
                        "author_id": lead["owner_id"],
                        "created_at": lead["closed_at"],
                    }
                )
        for number, entry in enumerate(entries, start=1):
            entry["id"] = number
            entry["content_type_id"] = lead_type_id
        return entries


class _Steps:
    def __init__(self) -> None:
        self.started = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        print(f"  {name:<24} {now - self.started:>7.1f} s", flush=True)
        self.started = now


def load(*, leads: int) -> dict[str, int]:
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from crm.models import Account, Contact, Opportunity, TimelineEntry
    from leads.models import Lead, LeadOrigin
    from qualification.models import Qualification, QualificationOpportunity

    step = _Steps()
    call_command("migrate", verbosity=0, interactive=False)
    call_command("createcachetable", verbosity=0)
    step.done("migrate")
    generator = Generator(leads=leads, now=timezone.now())
    lead_rows = generator.leads(generator.users())
    records = generator.customer_records(lead_rows)
    entries = generator.timeline(lead_rows, ContentType.objects.get_for_model(Lead).pk)
    step.done("generate rows")
    counts = {}
    with transaction.atomic():
        counts["accounts"] = _copy(Account, records["accounts"])
        counts["contacts"] = _copy(Contact, records["contacts"])
        counts["opportunities"] = _copy(Opportunity, records["opportunities"])
        counts["leads"] = _copy(Lead, lead_rows)
        counts["originating-lead links"] = _copy(LeadOrigin, records["origins"])
        counts["timeline entries"] = _copy(TimelineEntry, entries)
        counts["qualifications"] = _copy(Qualification, records["qualifications"])
        counts["qualification opps"] = _copy(
            QualificationOpportunity, records["qualification opportunities"]
        )
        models = [
            Account,
            Contact,
            Opportunity,
            Lead,
            LeadOrigin,
            TimelineEntry,
            Qualification,
            QualificationOpportunity,
        ]
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
    step.done("COPY")
    # Fresh statistics and visibility map, as autovacuum would leave them on a live database.
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    step.done("VACUUM ANALYZE")
    for state, count in sorted(Counter(row["state"] for row in lead_rows).items()):
        counts[f"leads {state}"] = count
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=LEAD_COUNT, help="how many leads")
    parser.add_argument("--drop", action="store_true", help="drop the database and stop")
    args = parser.parse_args()
    url = database_url()
    if args.drop:
        _database_drop(url)
        print(f"Dropped {database_name(url)}.")
        return
    started = time.perf_counter()
    _database_recreate(url)
    django_setup(url)
    counts = load(leads=args.leads)
    seconds = time.perf_counter() - started
    for name, count in counts.items():
        print(f"  {name:<24} {count:>8,}")
    users = ", ".join(username for username, *_rest in SALES_USERS)
    print(
        f"Loaded {database_name(url)} in {seconds:.1f} s. "
        f"Logins ({users}): password {BENCH_PASSWORD}"
    )


if __name__ == "__main__":
    main()
