"""Benchmark: bulk qualify through the set-based engine versus a loop of single qualifies.

Not a test. It runs against PostgreSQL in a database of its own, `crm_bench`, which it drops and
creates again (so it never touches another database), migrates, and fills with generated leads:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bulk_qualify.py

For each size (1,000 and 10,000 leads by default; `--sizes 500,2000` to change) it generates the
leads (some sharing a company, some sharing an email, some matching an existing account), then
times (a) `leads_bulk_qualify` on all of them and (b) a plain loop calling the single-lead
`lead_qualify` on the same leads generated afresh. Both create an account, a contact and an
opportunity per lead with duplicate detection on; where the single engine reports duplicates the
loop links a single match and leaves a lead with several matches open, as the bulk engine does.
It prints leads per second and queries per lead for both, and the ratio.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE = "crm_bench"
DEFAULT_URL = f"postgres://postgres@127.0.0.1:5432/{BENCH_DATABASE}"
PROJECT_DIR = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="lead counts, comma-separated")
    parser.add_argument(
        "--keep", action="store_true", help=f"keep the {BENCH_DATABASE} database afterwards"
    )
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",") if size.strip()]

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql") or parts.path.lstrip("/") != BENCH_DATABASE:
        sys.exit(f"DATABASE_URL must name a PostgreSQL database called {BENCH_DATABASE}: {url}")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    _database_recreate(admin_url)
    try:
        _django_setup(url)
        rows = []
        for size in sizes:
            rows += _bench_size(size)
        _print(rows)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep:
            _database_drop(admin_url)


def _database_recreate(admin_url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(BENCH_DATABASE)
            )
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(BENCH_DATABASE)))


def _database_drop(admin_url: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(BENCH_DATABASE)
            )
        )


def _django_setup(url: str) -> None:
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
    # Production-like: DEBUG off (no query log kept in memory), with a throwaway key.
    os.environ["DEBUG"] = "false"
    os.environ["SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["ENV_FILE"] = os.devnull

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0, interactive=False)


@dataclass
class Row:
    mode: str
    leads: int
    seconds: float
    queries: int
    qualified: int
    review: int
    failed: int

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds

    @property
    def queries_per_lead(self) -> float:
        return self.queries / self.leads


class QueryCounter:
    """Counts every statement sent to the database (django.db.connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict):
        self.count += 1
        return execute(sql, params, many, context)


def _reset() -> None:
    """Empty the tables a qualify writes (leads included), keeping users and settings."""
    from django.db import connection

    tables = [
        "qualification_qualificationopportunity",
        "qualification_qualification",
        "qualification_bulkqualifyjob",
        "leads_leadorigin",
        "crm_timelineentry",
        "leads_lead",
        "crm_opportunity",
        "crm_contact",
        "crm_account",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")


def _owner():
    from django.contrib.auth.models import User

    owner, _ = User.objects.get_or_create(username="bench", defaults={"first_name": "Bench"})
    return owner


def _generate(size: int, owner) -> list[int]:
    """`size` leads: every 5th shares its company with the one before, every 10th shares an
    email with the one before, and 1 in 50 matches one existing account (1 in 200, two)."""
    from crm.models import Account
    from crm.services.records import account_match_keys
    from leads.models import Lead

    existing = []
    for n in range(0, size, 50):
        existing.append(account_match_keys(Account(name=f"Existing {n}", owner=owner)))
        if n % 200 == 0:
            existing.append(account_match_keys(Account(name=f"Existing {n} Ltd", owner=owner)))
    Account.objects.bulk_create(existing)

    leads = []
    for n in range(size):
        if n % 50 == 0:
            company = f"Existing {n}"
        elif n % 5 == 0:
            company = f"Company {n - 1}"
        else:
            company = f"Company {n}"
        email_n = n - 1 if n % 10 == 0 and n else n
        leads.append(
            Lead(
                topic=f"Deal {n}",
                first_name="Pat",
                last_name=f"Buyer {n}",
                job_title="Purchasing",
                company_name=company,
                email=f"buyer{email_n}@example.com",
                website=f"https://{company.lower().replace(' ', '-')}.example",
                business_phone=f"+1 555 {n:07d}",
                city="Springfield",
                country="United States",
                owner=owner,
            )
        )
    return [lead.pk for lead in Lead.objects.bulk_create(leads, batch_size=2000)]


def _settings() -> None:
    from qualification.models import CreationMode, Experience, QualificationSettings

    QualificationSettings.load()
    QualificationSettings.objects.filter(pk=1).update(
        experience=Experience.NEW,
        account_mode=CreationMode.AUTOMATIC,
        contact_mode=CreationMode.AUTOMATIC,
        opportunity_mode=CreationMode.AUTOMATIC,
        summarize_after_qualify=False,
        detect_duplicates=True,
    )


def _run_bulk(lead_ids: list[int], owner) -> tuple[int, int, int]:
    from qualification.engine import BulkOptions, leads_bulk_qualify

    outcome = leads_bulk_qualify(lead_ids=lead_ids, acting_user=owner, options=BulkOptions())
    return outcome.qualified_count, len(outcome.needs_review), len(outcome.failures)


def _run_loop(lead_ids: list[int], owner) -> tuple[int, int, int]:
    from qualification.engine import (
        Choice,
        DuplicatesFoundError,
        QualifyDecisions,
        QualifyError,
        QualifyValidationError,
        RecordDecision,
        lead_qualify,
    )

    qualified = review = failed = 0
    for lead_id in lead_ids:
        decisions = QualifyDecisions()
        for _attempt in range(3):
            try:
                lead_qualify(
                    lead_id=lead_id, acting_user=owner, decisions=decisions, summarize=False
                )
            except DuplicatesFoundError as found:
                # What the bulk engine does: link a single match, leave several for review.
                if len(found.accounts) > 1 or len(found.contacts) > 1:
                    review += 1
                    break
                if found.accounts:
                    decisions.account = RecordDecision(
                        choice=Choice.EXISTING, existing_id=found.accounts[0].pk
                    )
                if found.contacts:
                    decisions.contact = RecordDecision(
                        choice=Choice.EXISTING, existing_id=found.contacts[0].pk
                    )
                continue
            except QualifyValidationError:
                # A match the loop picked is under another account: bulk sends it to review.
                if decisions.account is not None or decisions.contact is not None:
                    review += 1
                else:
                    failed += 1
                break
            except QualifyError:
                failed += 1
                break
            qualified += 1
            break
    return qualified, review, failed


def _measure(mode: str, size: int, run: Callable[[list[int], object], tuple[int, int, int]]):
    from django.db import connection

    _reset()
    owner = _owner()
    lead_ids = _generate(size, owner)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        qualified, review, failed = run(lead_ids, owner)
        seconds = time.perf_counter() - started
    return Row(mode, size, seconds, counter.count, qualified, review, failed)


def _bench_size(size: int) -> list[Row]:
    _settings()
    bulk = _measure("bulk engine", size, _run_bulk)
    print(f"  {size:>6} leads, bulk engine: {bulk.seconds:.2f} s", flush=True)
    loop = _measure("single-qualify loop", size, _run_loop)
    print(f"  {size:>6} leads, single-qualify loop: {loop.seconds:.2f} s", flush=True)
    return [bulk, loop]


def _print(rows: list[Row]) -> None:
    from django.db import connection

    print()
    print(f"PostgreSQL {connection.pg_version // 10000}, database {BENCH_DATABASE}")
    header = (
        f"{'mode':<20} {'leads':>6} {'seconds':>8} {'leads/s':>9} {'queries':>8} "
        f"{'queries/lead':>12} {'qualified':>9} {'review':>6} {'failed':>6}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.mode:<20} {row.leads:>6} {row.seconds:>8.2f} {row.leads_per_second:>9.1f} "
            f"{row.queries:>8} {row.queries_per_lead:>12.3f} {row.qualified:>9} "
            f"{row.review:>6} {row.failed:>6}"
        )
    print()
    for bulk, loop in zip(rows[::2], rows[1::2], strict=True):
        speed = bulk.leads_per_second / loop.leads_per_second
        queries = loop.queries_per_lead / bulk.queries_per_lead
        print(
            f"{bulk.leads:>6} leads: the bulk engine is {speed:.1f}x faster and sends "
            f"{queries:.0f}x fewer queries per lead than the single-qualify loop"
        )


if __name__ == "__main__":
    main()
