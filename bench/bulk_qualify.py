"""Benchmark: bulk qualify, against a loop of single qualifies and against hand-written SQL.

Not a test. It runs against PostgreSQL, in a database of its own that it drops and creates
again (`crm_bench`, `crm_bench_<name>` or `<name>_bench`), migrates and fills with generated
leads; with `--loaded` it works instead on top of a database `bench/load_data.py` filled
(1,000,000 leads, say), adds its leads there and deletes what it added after each run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench .venv/bin/python bench/bulk_qualify.py
    ... bench/bulk_qualify.py --loop 1000,10000        # bulk engine against the loop of singles
    ... bench/bulk_qualify.py --compare 10000          # engine against the set-SQL reference
    ... bench/bulk_qualify.py --linear 10000,100000    # leads/s of one job at each size
    ... bench/bulk_qualify.py --loaded --linear 10000,100000   # on top of a loaded database

Every size generates its leads afresh on empty qualify tables (some sharing a company, some an
email, some matching one existing account and some two, which are left for review). The bulk
engine runs as the worker runs a job (`bulk_qualify_job_process`: the job's advisory lock, one
transaction per chunk of 500 with the job's progress). Each measurement prints wall time, the
CPU time of this process (the client) and of its PostgreSQL backend (from
/proc/<pid>/stat, same host), queries, and the peak resident memory of this process during
the run (VmHWM, reset before it).

`--compare` runs the engine and `bench/bulk_reference.py` (the same lookups, locks and writes
as set-based SQL: in chunks of 500 with the advisory locks, and in one transaction without) on
identical data, checks that each leaves the same rows as the engine (fingerprints of every
table written, the job's row included), and prints the ratios.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_bench"
FRESH_NAME = re.compile(r"crm_bench(_\w+)?|\w+_bench")
LOADED_NAME = re.compile(r"crm_load(_\w+)?|crm_bench_\w+|\w+_bench")
# The tables a qualify writes, in an order that deletes cleanly.
TABLES = (
    "crm_timelineentry",
    "qualification_qualificationopportunity",
    "qualification_linkedfieldchange",
    "qualification_qualification",
    "leads_leadorigin",
    "qualification_bulkqualifyjob",
    "leads_lead",
    "crm_opportunity",
    "crm_contact",
    "crm_account",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--loop", help="sizes for bulk against the loop of singles")
    parser.add_argument("--compare", help="sizes for the engine against the set-SQL reference")
    parser.add_argument("--linear", help="sizes for one job each (leads/s side by side)")
    parser.add_argument("--loaded", action="store_true", help="on top of a loaded database")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    if not (args.loop or args.compare or args.linear):
        args.loop = "1000,10000"

    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    allowed = LOADED_NAME if args.loaded else FRESH_NAME
    if parts.scheme not in ("postgres", "postgresql") or not allowed.fullmatch(name):
        sys.exit(f"DATABASE_URL must name a benchmark database ({allowed.pattern}): {url}")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    if not args.loaded:
        _database_recreate(admin_url, name)
    _stamp("start")
    try:
        _django_setup(url, migrate=not args.loaded)
        bench = Bench(url=url, loaded=args.loaded)
        if args.loop:
            bench.loop(_sizes(args.loop))
        if args.compare:
            bench.compare(_sizes(args.compare))
        if args.linear:
            bench.linear(_sizes(args.linear))
        if args.loaded:
            # What the last run added goes too: the next run starts from the loaded data.
            bench.reset()
    finally:
        from django.db import connections

        connections.close_all()
        if not args.loaded and not args.keep:
            _database_drop(admin_url, name)
    _stamp("end")


def _sizes(text: str) -> list[int]:
    return [int(size) for size in text.split(",") if size.strip()]


def _stamp(what: str) -> None:
    load = Path("/proc/loadavg").read_text().split()[:3]
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    print(f"[{what}] {now}, load average {' '.join(load)}", flush=True)


def _database_recreate(admin_url: str, name: str) -> None:
    _database_drop(admin_url, name)
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _database_drop(admin_url: str, name: str) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


def _django_setup(url: str, *, migrate: bool) -> None:
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
    if migrate:
        call_command("migrate", verbosity=0, interactive=False)


# Measuring -----------------------------------------------------------------------------------


@dataclass
class Row:
    mode: str
    leads: int
    seconds: float
    client_cpu: float
    server_cpu: float
    queries: int
    qualified: int
    review: int
    failed: int
    peak_mb: float
    # Rows read by sequential scans of the tables a qualify looks up or references, per table.
    scanned: dict[str, int]

    @property
    def cpu(self) -> float:
        return self.client_cpu + self.server_cpu

    @property
    def leads_per_second(self) -> float:
        return self.leads / self.seconds

    @property
    def leads_per_cpu_second(self) -> float:
        return self.leads / self.cpu


class QueryCounter:
    """Counts every statement sent through Django (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict):
        self.count += 1
        return execute(sql, params, many, context)


SCANNED = (
    "leads_lead",
    "crm_account",
    "crm_contact",
    "crm_opportunity",
    "qualification_qualification",
)


def _scanned() -> dict[str, int]:
    """Rows read so far by sequential scans of SCANNED (every session of the database)."""
    from django.db import connection

    time.sleep(1.1)  # the backends' statistics reach the shared counters within a second
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT relname, seq_tup_read FROM pg_stat_user_tables WHERE relname = ANY(%s)",
            [list(SCANNED)],
        )
        return dict(cursor.fetchall())


def _backend_cpu(pid: int) -> float:
    """User + system CPU seconds of a PostgreSQL backend (same host)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _peak_reset() -> None:
    Path("/proc/self/clear_refs").write_text("5")


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Bench:
    def __init__(self, *, url: str, loaded: bool) -> None:
        self.url = url
        self.loaded = loaded
        self.marks: dict[str, int] = {}
        from django.db import connection

        if loaded:
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM leads_lead")
                self.loaded_leads = cursor.fetchone()[0]
            print(f"On top of {self.loaded_leads:,} loaded leads", flush=True)
            self.marks = self._marks()

    # Data ----------------------------------------------------------------------------------

    def _marks(self) -> dict[str, int]:
        from django.db import connection

        marks = {}
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
                marks[table] = cursor.fetchone()[0]
        return marks

    def reset(self) -> None:
        """Empty the qualify tables (fresh), or delete what the last run added (loaded)."""
        from django.db import connection, transaction

        with transaction.atomic(), connection.cursor() as cursor:
            if not self.loaded:
                cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
                return
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE id > %s", [self.marks[table]])
        if self.loaded:
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {', '.join(TABLES)}")

    def owner(self):
        from django.contrib.auth.models import User

        owner, _ = User.objects.get_or_create(username="bench", defaults={"first_name": "Bench"})
        return owner

    def settings(self) -> None:
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

    def generate(self, size: int) -> list[int]:
        """`size` leads: every 5th shares its company with the one before, every 10th shares an
        email with the one before, and 1 in 50 matches one existing account (1 in 200, two).
        Written by SQL (INSERT ... SELECT from generate_series), so that this process holds no
        lead in memory; then ANALYZE, as after any large import."""
        from django.db import connection
        from django.utils import timezone

        from crm.models import Account
        from crm.services.records import account_match_keys
        from leads.models import Lead

        self.reset()
        self.settings()
        owner = self.owner()
        existing = []
        for n in range(0, size, 50):
            existing.append(account_match_keys(Account(name=f"Existing {n}", owner=owner)))
            if n % 200 == 0:
                existing.append(account_match_keys(Account(name=f"Existing {n} Ltd", owner=owner)))
        Account.objects.bulk_create(existing, batch_size=2000)
        varying = {
            "topic": "'Deal ' || n",
            "first_name": "'Pat'",
            "last_name": "'Buyer ' || n",
            "job_title": "'Purchasing'",
            "company_name": "company",
            # At the company's domain (B2B); every 10th lead has the email of the lead
            # before it (whose company is 'Company ' || (n - 1)).
            "email": "CASE WHEN mod(n, 10) = 0 AND n > 0 "
            "THEN 'buyer' || (n - 1) || '@company-' || (n - 1) || '.example' "
            "ELSE 'buyer' || n || '@' || replace(lower(company), ' ', '-') || '.example' END",
            "website": "'https://' || replace(lower(company), ' ', '-') || '.example'",
            "business_phone": "'+1 555 ' || lpad(n::text, 7, '0')",
            "city": "'Springfield'",
            "country": "'United States'",
            "owner_id": "%(owner)s",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        }
        template = Lead(owner=owner)
        columns, values, params = [], [], {"owner": owner.pk, "now": timezone.now()}
        for field in Lead._meta.concrete_fields:
            if field.primary_key:
                continue
            columns.append(field.column)
            if field.attname in varying:
                values.append(varying[field.attname])
            else:
                params[field.attname] = getattr(template, field.attname)
                values.append(f"%({field.attname})s::{field.db_type(connection)}")
        sql = (
            f"INSERT INTO leads_lead ({', '.join(columns)}) "
            f"SELECT {', '.join(values)} FROM ("
            "SELECT n, CASE WHEN mod(n, 50) = 0 THEN 'Existing ' || n "
            "WHEN mod(n, 5) = 0 THEN 'Company ' || (n - 1) ELSE 'Company ' || n END AS company "
            "FROM generate_series(0, %(last)s) AS n) AS g ORDER BY n RETURNING id"
        )
        params["last"] = size - 1
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            ids = sorted(pk for (pk,) in cursor.fetchall())
            cursor.execute("ANALYZE leads_lead, crm_account")
        return ids

    # Runs ----------------------------------------------------------------------------------

    def measure(self, mode: str, size: int, run: Callable[[list[int], object], tuple]) -> Row:
        import gc

        from django.db import connection

        lead_ids = self.generate(size)
        owner = self.owner()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        counter = QueryCounter()
        scanned = _scanned()
        gc.collect()
        _peak_reset()
        with connection.execute_wrapper(counter):
            server, client = _backend_cpu(pid), time.process_time()
            started = time.perf_counter()
            qualified, review, failed, queries, own_server = run(lead_ids, owner)
            seconds = time.perf_counter() - started
            client, server = time.process_time() - client, _backend_cpu(pid) - server
        peak = _peak_mb()
        # The reference works on a connection of its own: its backend's CPU is the server's.
        server = own_server if own_server is not None else server
        after = _scanned()
        scanned = {table: after.get(table, 0) - scanned.get(table, 0) for table in SCANNED}
        row = Row(
            mode,
            size,
            seconds,
            client,
            server,
            queries if queries is not None else counter.count,
            qualified,
            review,
            failed,
            peak,
            scanned,
        )
        print(
            f"  {mode:<28} {size:>7} leads: {seconds:8.2f} s wall, CPU {client:6.2f} s client "
            f"+ {server:6.2f} s server, peak {row.peak_mb:.0f} MB; rows read by sequential "
            f"scans: {', '.join(f'{table} {rows:,}' for table, rows in scanned.items())}",
            flush=True,
        )
        return row

    def loop(self, sizes: list[int]) -> None:
        rows = []
        for size in sizes:
            bulk = self.measure("bulk engine (job)", size, _run_job)
            loop = self.measure("single-qualify loop", size, _run_loop)
            rows += [bulk, loop]
        _print(rows)
        for bulk, loop in zip(rows[::2], rows[1::2], strict=True):
            wall = bulk.leads_per_second / loop.leads_per_second
            cpu = bulk.leads_per_cpu_second / loop.leads_per_cpu_second
            print(
                f"{bulk.leads:>7} leads: bulk / loop = {wall:.1f}x leads/s by wall, {cpu:.1f}x by "
                f"CPU; {loop.queries / loop.leads / (bulk.queries / bulk.leads):.0f}x fewer "
                "queries per lead (target: >= 10x)"
            )

    def compare(self, sizes: list[int]) -> None:
        from bulk_reference import fingerprints

        for size in sizes:
            engine = self.measure("bulk engine (job)", size, _run_job)
            engine_prints = self.fingerprints(fingerprints)
            reference = self.measure(
                "set SQL, chunks, locks", size, self._run_reference(locks=True, chunk=500)
            )
            reference_prints = self.fingerprints(fingerprints)
            bare = self.measure(
                "set SQL, 1 transaction, no locks", size, self._run_reference(locks=False)
            )
            bare_prints = self.fingerprints(fingerprints)
            _print([engine, reference, bare])
            for label, prints in (
                ("in chunks with locks", reference_prints),
                ("in one transaction without locks", bare_prints),
            ):
                same = prints == engine_prints
                print(f"Fingerprints, reference {label}: {'identical' if same else 'DIFFERENT'}")
                for table, value in engine_prints.items():
                    mark = "" if prints[table] == value else f"  <> {prints[table]}"
                    print(f"  {table:<40} {value[0]:>7} rows {value[1]}{mark}")
            for label, ref in (("reference", reference), ("lower bound", bare)):
                print(
                    f"{size:>7} leads: engine / {label} = {engine.seconds / ref.seconds:.2f}x "
                    f"wall, {engine.cpu / ref.cpu:.2f}x CPU (client + server; target: <= 2x)"
                )

    def fingerprints(self, function: Callable) -> dict:
        import psycopg

        with psycopg.connect(self._psycopg_url(), autocommit=True) as conn:
            return function(conn)

    def _psycopg_url(self) -> str:
        return urlunsplit(urlsplit(self.url)._replace(scheme="postgresql"))

    def _run_reference(self, *, locks: bool, chunk: int | None = None) -> Callable:
        def run(lead_ids: list[int], owner) -> tuple:
            import psycopg
            from bulk_reference import reference_qualify

            with psycopg.connect(self._psycopg_url(), autocommit=True) as conn:
                pid = conn.info.backend_pid
                before = _backend_cpu(pid)
                counts = reference_qualify(
                    conn, lead_ids=lead_ids, user_id=owner.pk, locks=locks, chunk=chunk
                )
                server = _backend_cpu(pid) - before
            return counts["qualified"], counts["review"], 0, counts["statements"], server

        return run

    def linear(self, sizes: list[int]) -> None:
        rows = [self.measure("bulk engine (job)", size, _run_job) for size in sizes]
        _print(rows)
        first = rows[0]
        for row in rows[1:]:
            wall = row.leads_per_second / first.leads_per_second
            cpu = row.leads_per_cpu_second / first.leads_per_cpu_second
            print(
                f"{row.leads:>7} leads against {first.leads}: leads/s {row.leads_per_second:.0f} "
                f"against {first.leads_per_second:.0f} ({wall:.2f}x) by wall, leads per CPU s "
                f"{row.leads_per_cpu_second:.0f} against {first.leads_per_cpu_second:.0f} "
                f"({cpu:.2f}x) (target: >= 0.8x); "
                f"peak memory {row.peak_mb:.0f} MB against {first.peak_mb:.0f} MB"
            )


def _run_job(lead_ids: list[int], owner) -> tuple:
    from qualification.engine import BulkOptions
    from qualification.tasks import bulk_qualify_job_process, bulk_qualify_job_start

    job = bulk_qualify_job_start(lead_ids=lead_ids, acting_user=owner, options=BulkOptions())
    job = bulk_qualify_job_process(job_id=job.pk)
    return job.qualified_count, len(job.needs_review), len(job.failures), None, None


def _run_loop(lead_ids: list[int], owner) -> tuple:
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
    return qualified, review, failed, None, None


def _print(rows: list[Row]) -> None:
    print()
    header = (
        f"{'mode':<28} {'leads':>7} {'wall s':>8} {'leads/s':>8} {'client CPU s':>12} "
        f"{'server CPU s':>12} {'leads/CPU s':>11} {'queries':>8} {'qualified':>9} "
        f"{'review':>6} {'failed':>6} {'peak MB':>7}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        print(
            f"{row.mode:<28} {row.leads:>7} {row.seconds:>8.2f} {row.leads_per_second:>8.1f} "
            f"{row.client_cpu:>12.2f} {row.server_cpu:>12.2f} {row.leads_per_cpu_second:>11.1f} "
            f"{row.queries:>8} {row.qualified:>9} {row.review:>6} {row.failed:>6} "
            f"{row.peak_mb:>7.0f}"
        )
    print(flush=True)


if __name__ == "__main__":
    main()
