"""Server time per page at 100,000 leads: the lead grid (each view, sorted, quick find, a deep
page) and the lead form, through Django's test Client against the real URLs and middleware.

Not a test. It reads the `crm_load` database that bench/load_data.py fills (run that first):

    .venv/bin/python bench/load_data.py
    .venv/bin/python bench/page_timings.py                  # 30 timed requests per page
    .venv/bin/python bench/page_timings.py --repeat 50 --warmup 5
    .venv/bin/python bench/page_timings.py --explain        # also EXPLAIN ANALYZE the slowest query
    .venv/bin/python bench/page_timings.py --proposed       # with the changes proposed in README

Settings are production-like (DEBUG off, manifest static files collected into a temporary
directory, database sessions). Each page is requested `--warmup` times, then timed `--repeat`
times; the table gives the median and 95th percentile of the whole request (middleware, views,
queries, template) and of the time spent in SQL, the queries per page (CaptureQueriesContext)
and the leads the grid matched. Signed in as a salesperson (sales1), who owns about a fifth of
the leads.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_data import LOAD_DATABASE, database_url, django_setup

TARGET_MS = 50.0
SALESPERSON = "sales1"
COMMON_PREFIX = "Jo"
DEEP_PAGE = 800  # 50 rows a page: rows 39,951 to 40,000 of Open Leads


@dataclass
class Page:
    label: str
    url: str
    kind: str  # "grid" or "form"
    grid: dict[str, str] = field(default_factory=dict)  # the grid's GET parameters


@dataclass
class Result:
    page: Page
    times_ms: list[float]
    sql_ms: list[float]
    cpu_ms: list[float]
    queries: int
    query_counts: set[int]
    matched: int | None
    slowest_sql: str

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return _percentile(self.times_ms, 95)


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: the smallest value with `percent` % of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class SqlTimer:
    """Adds up the time of every statement the request sends (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.slowest = (0.0, "")

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, sql)


def _grid(label: str, **params: str) -> Page:
    from django.urls import reverse

    url = reverse("leads:lead-list")
    return Page(label, f"{url}?{urlencode(params)}" if params else url, "grid", params)


def _pages(user) -> list[Page]:
    from django.db.models import Count

    from leads.models import Lead, LeadState
    from leads.selectors import LeadView

    pages = [_grid(f"{LeadView.MY_OPEN.label} (default view)")]
    pages += [_grid(view.label, view=view.value) for view in LeadView if view != LeadView.MY_OPEN]
    for sort, label in (
        ("name", "Name ascending"),
        ("-topic", "Topic descending"),
        ("company_name", "Company Name ascending"),
        ("email", "Email ascending"),
        ("-business_phone", "Business Phone descending"),
        ("status_reason", "Status Reason ascending"),
        ("owner", "Owner ascending"),
        ("created_at", "Created On ascending"),
    ):
        pages.append(_grid(f"Open Leads by {label}", view="open", sort=sort))
    pages.append(_grid("My Open Leads by Status Reason", sort="status_reason"))
    pages.append(
        _grid("Closed Leads by Status Reason descending", view="closed", sort="-status_reason")
    )
    pages.append(_grid("All Leads by Owner descending", view="all", sort="-owner"))

    # A rare prefix: one open lead's email up to the @ (a handful of matches at most).
    open_leads = Lead.objects.filter(state=LeadState.OPEN).order_by("pk")
    middle = open_leads[open_leads.count() // 2]
    rare = middle.email.split("@")[0] + "@"
    for view, label in (("open", "Open Leads"), ("all", "All Leads")):
        pages.append(_grid(f"{label}, quick find {COMMON_PREFIX!r}", view=view, q=COMMON_PREFIX))
        pages.append(_grid(f"{label}, quick find {rare!r}", view=view, q=rare))
    pages.append(_grid(f"My Open Leads, quick find {COMMON_PREFIX!r}", q=COMMON_PREFIX))
    pages.append(_grid(f"Open Leads, page {DEEP_PAGE}", view="open", page=str(DEEP_PAGE)))
    pages.append(
        _grid(f"All Leads by Name, page {DEEP_PAGE}", view="all", sort="name", page=str(DEEP_PAGE))
    )
    pages.append(_grid("Open Leads, 100 rows a page", view="open", per_page="100"))

    def most_noted(leads):
        lead = leads.annotate(notes=Count("timeline")).order_by("-notes", "pk").first()
        return lead, lead.notes

    forms = (
        ("own open lead (editable)", Lead.objects.filter(owner=user, state=LeadState.OPEN)),
        (
            "another's open lead (read-only)",
            Lead.objects.filter(state=LeadState.OPEN).exclude(owner=user),
        ),
        ("qualified lead (closed)", Lead.objects.filter(state=LeadState.QUALIFIED)),
        ("disqualified lead (closed)", Lead.objects.filter(state=LeadState.DISQUALIFIED)),
    )
    for label, leads in forms:
        lead, notes = most_noted(leads)
        label = f"Lead form, {label}, {notes} timeline entries"
        pages.append(Page(label, lead.get_absolute_url(), "form"))
    return pages


def _matched(page: Page, user) -> int | None:
    from leads import selectors

    if page.kind != "grid":
        return None
    params = page.grid
    return selectors.lead_list(
        user=user,
        view=params.get("view", selectors.DEFAULT_VIEW),
        query=params.get("q", ""),
        sort=params.get("sort", selectors.DEFAULT_SORT),
    ).count()


def _measure(client, page: Page, user, *, warmup: int, repeat: int) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        response = client.get(page.url)
        if response.status_code != 200:
            raise SystemExit(f"{page.url} answered {response.status_code}")

    for _ in range(warmup):
        get()
    times, sql_times, cpu_times, counts = [], [], [], set()
    slowest = (0.0, "")
    for _ in range(repeat):
        timer = SqlTimer()
        with connection.execute_wrapper(timer):
            started, cpu_started = time.perf_counter(), time.process_time()
            get()
            times.append((time.perf_counter() - started) * 1000)
            cpu_times.append((time.process_time() - cpu_started) * 1000)
        sql_times.append(timer.seconds * 1000)
        slowest = max(slowest, timer.slowest)
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            get()
        counts.add(len(captured))
    return Result(
        page,
        times,
        sql_times,
        cpu_times,
        len(captured),
        counts,
        _matched(page, user),
        slowest[1],
    )


def _explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {sql}")
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def _table(results: list[Result]) -> str:
    lines = [
        "| Page | Leads matched | Median ms | p95 ms | SQL median ms | App CPU median ms "
        "| Queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in results:
        matched = "" if result.matched is None else f"{result.matched:,}"
        queries = str(result.queries)
        if len(result.query_counts) > 1:
            queries = "/".join(str(count) for count in sorted(result.query_counts))
        mark = "" if result.median < TARGET_MS else " **over**"
        lines.append(
            f"| {result.page.label} | {matched} | {result.median:.1f}{mark} | "
            f"{result.p95:.1f} | {statistics.median(result.sql_ms):.1f} | "
            f"{statistics.median(result.cpu_ms):.1f} | {queries} |"
        )
    return "\n".join(lines)


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests per page first")
    parser.add_argument("--only", default="", help="only pages whose label contains this text")
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    parser.add_argument(
        "--proposed",
        action="store_true",
        help="apply the selector and pager changes proposed in bench/README.md first",
    )
    args = parser.parse_args()

    url = database_url()
    with tempfile.TemporaryDirectory(prefix="crm-static-") as static_root:
        django_setup(url, static_root=static_root)
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        _run(args)


def _apply_proposed() -> None:
    """The change proposed for leads/views.py (bench/README.md, "Proposed change"): the grid
    pages its leads with DeferredJoinPaginator instead of Paginator."""
    from django.core.paginator import Paginator

    from leads import views

    class DeferredJoinPaginator(Paginator):
        """Fetches a page as `WHERE id IN (SELECT id ... ORDER BY ... LIMIT n OFFSET m)`: the
        sort and the skipped rows read only ids (from an index where one fits), and only the
        page's rows are read in full. Same rows, same order, same number of queries."""

        def page(self, number):
            number = self.validate_number(number)
            bottom = (number - 1) * self.per_page
            top = bottom + self.per_page
            if top + self.orphans >= self.count:
                top = self.count
            ids = self.object_list.values("pk")[bottom:top]
            return self._get_page(self.object_list.filter(pk__in=ids), number, self)

    views.Paginator = DeferredJoinPaginator


def _run(args: argparse.Namespace) -> None:
    import django
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test import Client

    from leads.models import Lead

    if not Lead.objects.exists():
        sys.exit(f"{LOAD_DATABASE} has no leads: run bench/load_data.py first")
    # Fresh planner statistics (the quick find expression indexes have their own).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE leads_lead")
    if args.proposed:
        _apply_proposed()
    user = User.objects.get(username=SALESPERSON)
    client = Client()
    client.force_login(user)
    pages = [page for page in _pages(user) if args.only.lower() in page.label.lower()]
    load_before = _load()
    started = time.perf_counter()
    results = []
    for page in pages:
        result = _measure(client, page, user, warmup=args.warmup, repeat=args.repeat)
        results.append(result)
        print(f"  {result.median:7.1f} ms  {page.label}", file=sys.stderr, flush=True)
        if args.explain:
            print(f"    {page.url}\n{_explain(result.slowest_sql)}", file=sys.stderr, flush=True)
    seconds = time.perf_counter() - started

    leads = Lead.objects.count()
    print()
    proposed = ", proposed change applied" if args.proposed else ""
    print(
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}, "
        f"{leads:,} leads, signed in as {SALESPERSON}; {args.warmup} warm-up + "
        f"{args.repeat} timed requests per page{proposed}; "
        f"{os.cpu_count()} CPUs, load average {load_before} before, {_load()} after; "
        f"{seconds:.0f} s in all."
    )
    print()
    print(_table(results))
    over = [result.page.label for result in results if result.median >= TARGET_MS]
    counts = {result.queries for result in results if result.page.kind == "grid"}
    print()
    print(
        f"Target {TARGET_MS:.0f} ms median: "
        + ("met by every page." if not over else f"missed by {len(over)}: {'; '.join(over)}.")
    )
    print(
        "Queries per grid page: "
        + (f"{counts.pop()} on every page." if len(counts) == 1 else f"vary: {sorted(counts)}.")
    )


if __name__ == "__main__":
    main()
