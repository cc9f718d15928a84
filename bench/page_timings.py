"""Server time per page at 100,000 to 1,000,000 leads: the lead grid (every view, every view
sorted by every column both ways, quick find by name, email, company, phone digits and owner,
deep pages), the lead form and the Insights page (each period, everyone's and one owner's, the
htmx figures), through Django's test Client against the real URLs and middleware.

Not a test. It reads the `crm_load` database that bench/load_data.py fills (run that first):

    .venv/bin/python bench/load_data.py
    .venv/bin/python bench/page_timings.py                 # 30 timed requests per page
    .venv/bin/python bench/page_timings.py --compare       # exact counts against capped ones
    .venv/bin/python bench/page_timings.py --repeat 50 --warmup 5 --only "quick find"
    .venv/bin/python bench/page_timings.py --explain       # EXPLAIN each page's slowest query
    .venv/bin/python bench/page_timings.py --only insights # the Insights page alone
    .venv/bin/python bench/page_timings.py --skip insights --json run1.json
    .venv/bin/python bench/page_timings.py --summarize run1.json run2.json run3.json

Settings are production-like (DEBUG off, manifest static files collected into a temporary
directory, database sessions), signed in as a salesperson (sales1, who owns a fifth of the
leads); the Insights pages also as the sales manager (manager), who sees everyone's leads.
The pages are requested in rounds, every page once per round (and once per variant with
--compare), so a burst of load from elsewhere on the machine falls on all of them alike; the
first `--warmup` rounds are not timed. The heading gives the load average and the CPU time of a
fixed Python loop before and after the rounds: page times move with the machine's speed. The
table gives per page the median and 95th percentile of the whole request (middleware, view,
queries, template), the median time spent in SQL and in this process's CPU, the queries per
page (CaptureQueriesContext) and the leads matched.

The grid pages its leads through crm.pagination.CappedCountPaginator (today's code: the
deferred-join pager, counting at most 10,000 rows); --plain times it with Django's plain
Paginator instead (an exact count, OFFSET over the full rows; patched in here), --compare the
deferred-join pager with an exact count against today's. --json writes each page's figures to a
file; --summarize reads such files (one per run) and prints, per group of pages, the slowest
and the fastest page's median: the smallest and the median over the runs.
"""

from __future__ import annotations

import argparse
import json
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

from django.core.paginator import Paginator

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from load_data import LOAD_DATABASE, database_url, django_setup

from crm.pagination import CappedCountPaginator, DeferredJoinPaginator, grid_count_cap

TARGET_MS = 50.0
INSIGHTS_TARGET_MS = 100.0
SALESPERSON = "sales1"
MANAGER = "manager"
ALL_DATA_DAYS = 182  # load_data.py CREATED_OVER_DAYS
COMMON_PREFIX = "Jo"
DEEP_PAGE = 800  # 50 rows a page: rows 39,951 to 40,000
PAST_CAP_PAGE = 201  # 50 rows a page: the first page past the 10,000 the count reads
# The pagers: Django's plain one, the deferred join with an exact count, the grid's (capped).
PLAIN, EXACT, CAPPED = "plain", "exact", "capped"
PAGINATORS = {PLAIN: Paginator, EXACT: DeferredJoinPaginator, CAPPED: CappedCountPaginator}
# Groups of pages in the summary, in its order.
VIEWS, SORTS, FINDS, DEEP, FORMS, INSIGHTS = (
    "Views, default sort",
    "Every view sorted by every column, both ways",
    "Quick find",
    "Deep pages and page sizes",
    "Lead forms",
    "Insights",
)
SORT_LABELS = {
    "name": "Name",
    "topic": "Topic",
    "company_name": "Company Name",
    "email": "Email",
    "business_phone": "Business Phone",
    "status_reason": "Status Reason",
    "owner": "Owner",
    "created_at": "Created On",
}


@dataclass
class Page:
    label: str
    url: str
    kind: str  # "grid", "form" or "insights"
    group: str = ""
    grid: dict[str, str] = field(default_factory=dict)  # the grid's GET parameters
    user: str = SALESPERSON  # who is signed in
    headers: dict[str, str] = field(default_factory=dict)
    target_ms: float = TARGET_MS


@dataclass
class Samples:
    """One page under one variant: every timed request, and the queries it sends."""

    times_ms: list[float] = field(default_factory=list)
    sql_ms: list[float] = field(default_factory=list)
    cpu_ms: list[float] = field(default_factory=list)
    query_counts: set[int] = field(default_factory=set)
    slowest: tuple[float, str, object] = (0.0, "", None)

    @property
    def median(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        return _percentile(self.times_ms, 95)

    @property
    def queries(self) -> str:
        return "/".join(str(count) for count in sorted(self.query_counts))


def _percentile(values: list[float], percent: float) -> float:
    """Nearest-rank percentile: the smallest value with `percent` % of the values at or below."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class SqlTimer:
    """Adds up the time of every statement the request sends (connection.execute_wrapper)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.slowest: tuple[float, str, object] = (0.0, "", None)

    def __call__(self, execute: Callable, sql: str, params: object, many: bool, context: dict):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            elapsed = time.perf_counter() - started
            self.seconds += elapsed
            if elapsed > self.slowest[0]:
                self.slowest = (elapsed, sql, params)


def _grid(label: str, group: str, **params: str) -> Page:
    from django.urls import reverse

    url = reverse("leads:lead-list")
    return Page(label, f"{url}?{urlencode(params)}" if params else url, "grid", group, params)


def _quick_finds() -> list[tuple[str, str]]:
    """(what it finds, the text): a common prefix, a rare one, phone digits written as people
    write them (a number matching about a hundred leads, one matching one), the digits every
    phone has, and owners' names (sales1's first name, a last name, a full name)."""
    from django.contrib.auth.models import User

    from leads.models import Lead, LeadState

    open_leads = Lead.objects.filter(state=LeadState.OPEN).order_by("pk")
    middle = open_leads[open_leads.count() // 2]
    rare = middle.email.split("@")[0] + "@"
    digits = middle.phone_digits.split()[0] if middle.phone_digits else "2065554049"
    whole = f"({digits[-10:-7]}) {digits[-7:-4]}-{digits[-4:]}"  # "(206) 555-4049"
    tail = f"{digits[-7:-4]}-{digits[-4:]}"  # "555-4049"
    dana = User.objects.get(username=SALESPERSON)
    other = User.objects.get(username="sales3")
    return [
        ("a common prefix", COMMON_PREFIX),
        ("a rare prefix", rare),
        ("phone digits, 7", tail),
        ("a whole phone number", whole),
        ("phone digits every lead has", digits[-7:-4]),
        ("an owner's first name", dana.first_name),
        ("an owner's last name", other.last_name.lower()),
        ("an owner's full name", other.get_full_name()),
    ]


def _pages(user) -> list[Page]:
    from django.db.models import Count

    from leads.models import Lead, LeadState
    from leads.selectors import LeadView

    pages = [_grid(f"{LeadView.MY_OPEN.label} (default view)", VIEWS)]
    pages += [
        _grid(view.label, VIEWS, view=view.value) for view in LeadView if view != LeadView.MY_OPEN
    ]
    for view in LeadView:
        for key, label in SORT_LABELS.items():
            for sort, direction in ((key, "ascending"), (f"-{key}", "descending")):
                pages.append(
                    _grid(f"{view.label} by {label} {direction}", SORTS, view=view, sort=sort)
                )
    for what, text in _quick_finds():
        for view in (LeadView.MY_OPEN, LeadView.OPEN, LeadView.ALL):
            pages.append(
                _grid(f"{view.label}, quick find {what} {text!r}", FINDS, view=view, q=text)
            )
    for sort in ("name", "-owner", "-created_at"):
        pages.append(
            _grid(
                f"All Leads, quick find {COMMON_PREFIX!r}, by {sort}",
                FINDS,
                view="all",
                q=COMMON_PREFIX,
                sort=sort,
            )
        )
    for view in ("open", "all"):
        for sort in ("-created_at", "name", "owner"):
            for number in (PAST_CAP_PAGE, DEEP_PAGE):
                pages.append(
                    _grid(
                        f"{view} by {sort}, page {number}",
                        DEEP,
                        view=view,
                        sort=sort,
                        page=str(number),
                    )
                )
    pages.append(_grid("Open Leads, 100 rows a page", DEEP, view="open", per_page="100"))

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
        pages.append(Page(label, lead.get_absolute_url(), "form", FORMS))
    return pages + _insights_pages(user)


def _insights_pages(salesperson) -> list[Page]:
    from datetime import timedelta

    from django.urls import reverse
    from django.utils import timezone

    url = reverse("insights:overview")
    today = timezone.localdate()
    all_data = {
        "period": "custom",
        "start": (today - timedelta(days=ALL_DATA_DAYS - 1)).isoformat(),
        "end": today.isoformat(),
    }

    def insights(label: str, user: str, htmx: bool = False, **params: str) -> Page:
        headers = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "insights-figures"} if htmx else {}
        return Page(
            f"Insights, {label}",
            f"{url}?{urlencode(params)}",
            "insights",
            INSIGHTS,
            user=user,
            headers=headers,
            target_ms=INSIGHTS_TARGET_MS,
        )

    return [
        insights("manager, everyone, this week", MANAGER, period="this_week"),
        insights("manager, everyone, this month", MANAGER, period="this_month"),
        insights("manager, everyone, this quarter", MANAGER, period="this_quarter"),
        insights(f"manager, everyone, last {ALL_DATA_DAYS} days (all)", MANAGER, **all_data),
        insights(
            f"manager, {SALESPERSON}'s leads, this quarter",
            MANAGER,
            period="this_quarter",
            owner=str(salesperson.pk),
        ),
        insights(f"{SALESPERSON}'s own, this quarter", SALESPERSON, period="this_quarter"),
        insights(f"{SALESPERSON}'s own, last {ALL_DATA_DAYS} days", SALESPERSON, **all_data),
        insights("manager, htmx figures, this quarter", MANAGER, True, period="this_quarter"),
    ]


def _matched(page: Page, user) -> str | None:
    """The leads the page matches as the grid counts them ("10,000+" past the cap, "1,000+"
    for a quick find): an exact
    count of every page would cost more than the timed rounds at 1,000,000 leads."""
    from leads import selectors

    if page.kind != "grid":
        return None
    params = page.grid
    leads = selectors.lead_list(
        user=user,
        view=params.get("view", selectors.DEFAULT_VIEW),
        query=params.get("q", ""),
        sort=params.get("sort", selectors.DEFAULT_SORT),
    )
    cap = grid_count_cap(quick_find=bool(params.get("q")))
    return CappedCountPaginator(leads, 50, cap=cap).count_label


def _use(variant: str) -> None:
    from leads.views import grid as views

    views.CappedCountPaginator = PAGINATORS[variant]


def _get(clients: dict, page: Page) -> None:
    response = clients[page.user].get(page.url, **page.headers)
    if response.status_code != 200:
        raise SystemExit(f"{page.url} answered {response.status_code}")


def _timed(clients: dict, page: Page, samples: Samples) -> None:
    from django.db import connection

    timer = SqlTimer()
    with connection.execute_wrapper(timer):
        started, cpu_started = time.perf_counter(), time.process_time()
        _get(clients, page)
        samples.times_ms.append((time.perf_counter() - started) * 1000)
        samples.cpu_ms.append((time.process_time() - cpu_started) * 1000)
    samples.sql_ms.append(timer.seconds * 1000)
    samples.slowest = max(samples.slowest, timer.slowest)


def _count_queries(clients: dict, page: Page, samples: Samples) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            _get(clients, page)
        samples.query_counts.add(len(captured))


def _explain(sql: str, params: object) -> str:
    """EXPLAIN ANALYZE of a statement as it was sent: its SQL with the parameters it had."""
    from django.db import connection

    if not sql:
        return "      (no query)"
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, TIMING OFF, SUMMARY ON) {sql}", params)
        return "\n".join(f"      {row[0]}" for row in cursor.fetchall())


def _ms(value: float, target_ms: float = TARGET_MS) -> str:
    return f"{value:.1f}" if value < target_ms else f"**{value:.1f}**"


def _table(pages: list[Page], results: dict, matched: dict, variants: list[str]) -> str:
    if len(variants) == 2:
        first, second = (variant.capitalize() for variant in variants)
        lines = [
            f"| Page | Leads matched | {first}: median ms | {first}: p95 ms "
            f"| {first}: SQL median ms | {second}: median ms | {second}: p95 ms "
            f"| {second}: SQL median ms | Queries |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
    else:
        lines = [
            "| Page | Leads matched | Median ms | p95 ms | SQL median ms | App CPU median ms "
            "| Queries |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
    for page in pages:
        found = matched[page.label] or ""
        cells = [page.label, found]
        for variant in variants:
            samples = results[page.label, variant]
            cells += [_ms(samples.median, page.target_ms), f"{samples.p95:.1f}"]
            cells.append(f"{statistics.median(samples.sql_ms):.1f}")
            if len(variants) == 1:
                cells.append(f"{statistics.median(samples.cpu_ms):.1f}")
        counts = {results[page.label, variant].queries for variant in variants}
        cells.append(
            " vs ".join(results[page.label, variant].queries for variant in variants)
            if len(counts) > 1
            else counts.pop()
        )
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _python_speed() -> float:
    """CPU ms of a fixed pure-Python loop: how fast this machine runs Python right now. The
    same code's page times move with it (the machine is shared), so a run's heading gives it
    beside the load average, taken before and after the rounds."""
    started = time.process_time()
    sum(number * number for number in range(2_000_000))
    return (time.process_time() - started) * 1000


def _load() -> str:
    one, five, _fifteen = os.getloadavg()
    return f"{one:.1f} (1 min), {five:.1f} (5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=30, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first")
    parser.add_argument("--only", default="", help="only pages whose label contains this text")
    parser.add_argument("--skip", default="", help="leave out pages whose label contains this")
    variant = parser.add_mutually_exclusive_group()
    variant.add_argument(
        "--plain", action="store_true", help="with Django's plain Paginator instead"
    )
    variant.add_argument(
        "--compare", action="store_true", help="exact counts and today's capped ones, side by side"
    )
    parser.add_argument(
        "--explain", action="store_true", help="EXPLAIN ANALYZE each page's slowest query"
    )
    parser.add_argument("--json", help="also write each page's figures to this file")
    parser.add_argument(
        "--summarize", nargs="+", metavar="JSON", help="summarize the files of earlier runs"
    )
    args = parser.parse_args()
    if args.summarize:
        print(summarize([json.loads(Path(name).read_text()) for name in args.summarize]))
        return

    url = database_url()
    with tempfile.TemporaryDirectory(prefix="crm-static-") as static_root:
        django_setup(url, static_root=static_root)
        from django.core.management import call_command

        call_command("collectstatic", interactive=False, verbosity=0)
        _run(args)


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
    variants = [EXACT, CAPPED] if args.compare else [PLAIN] if args.plain else [CAPPED]
    user = User.objects.get(username=SALESPERSON)
    clients = {}
    for username in (SALESPERSON, MANAGER):
        clients[username] = Client()
        clients[username].force_login(User.objects.get(username=username))
    pages = [
        page
        for page in _pages(user)
        if args.only.lower() in page.label.lower()
        and not (args.skip and args.skip.lower() in page.label.lower())
    ]
    matched = {page.label: _matched(page, user) for page in pages}
    results = {(page.label, variant): Samples() for page in pages for variant in variants}

    load_before, speed_before = _load(), _python_speed()
    started = time.perf_counter()
    rounds = args.warmup + args.repeat
    for number in range(rounds):
        for page in pages:
            for variant in variants:
                _use(variant)
                if number < args.warmup:
                    _get(clients, page)
                else:
                    _timed(clients, page, results[page.label, variant])
        print(f"  round {number + 1} of {rounds}", file=sys.stderr, flush=True)
    for page in pages:
        for variant in variants:
            _use(variant)
            _count_queries(clients, page, results[page.label, variant])
    seconds = time.perf_counter() - started
    speed_after = _python_speed()

    if args.explain:
        for (label, variant), samples in results.items():
            _elapsed, sql, params = samples.slowest
            print(f"  {label} ({variant})\n{_explain(sql, params)}", file=sys.stderr)
    print()
    heading = (
        f"PostgreSQL {connection.pg_version // 10000}, Django {django.get_version()}, "
        f"{Lead.objects.count():,} leads, signed in as {SALESPERSON}; pager: "
        f"{' and '.join(variants)}; {args.warmup} warm-up + {args.repeat} timed rounds; "
        f"{os.cpu_count()} CPUs, load average {load_before} before, {_load()} after; "
        f"a fixed Python loop took {speed_before:.0f} ms of CPU before, {speed_after:.0f} after; "
        f"{seconds:.0f} s in all; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}."
    )
    print(
        f"{heading} Medians at or over the target in bold ({TARGET_MS:.0f} ms; "
        f"Insights {INSIGHTS_TARGET_MS:.0f} ms)."
    )
    print()
    print(_table(pages, results, matched, variants))
    print()
    for variant in variants:
        over = [
            page.label for page in pages if results[page.label, variant].median >= page.target_ms
        ]
        counts = {results[page.label, variant].queries for page in pages}
        print(
            f"{variant}: target median (Insights {INSIGHTS_TARGET_MS:.0f} ms, else "
            f"{TARGET_MS:.0f} ms) "
            + ("met by every page" if not over else f"missed by {len(over)}: {'; '.join(over)}")
            + "; queries per page: "
            + (f"{counts.pop()} on every page." if len(counts) == 1 else f"{sorted(counts)}.")
        )

    if args.json:
        figures = {
            "heading": heading,
            "pages": [
                {
                    "label": page.label,
                    "group": page.group,
                    "target_ms": page.target_ms,
                    "matched": matched[page.label],
                    "median_ms": results[page.label, variants[-1]].median,
                    "p95_ms": results[page.label, variants[-1]].p95,
                    "times_ms": results[page.label, variants[-1]].times_ms,
                    "queries": results[page.label, variants[-1]].queries,
                }
                for page in pages
            ],
        }
        Path(args.json).write_text(json.dumps(figures, indent=1))


def summarize(runs: list[dict]) -> str:
    """Per group of pages, over the runs: the slowest page's median and the fastest page's
    (the smallest and the median over the runs), the pages over the target in any run, and
    the queries per page."""
    groups: dict[str, list[str]] = {}
    for page in runs[0]["pages"]:
        groups.setdefault(page["group"], []).append(page["label"])
    lines = [*(f"- Run {n}: {run['heading']}" for n, run in enumerate(runs, start=1)), ""]
    lines += [
        "| Pages | Count | Slowest page's median ms: min / median of runs "
        "| Fastest page's median ms: min / median of runs | Over target (any run) | Queries |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    by_run = [{page["label"]: page for page in run["pages"]} for run in runs]
    for group, labels in groups.items():
        slowest = [max(pages[label]["median_ms"] for label in labels) for pages in by_run]
        fastest = [min(pages[label]["median_ms"] for label in labels) for pages in by_run]
        over = {
            label
            for pages in by_run
            for label in labels
            if pages[label]["median_ms"] >= pages[label]["target_ms"]
        }
        queries = sorted({pages[label]["queries"] for pages in by_run for label in labels})
        lines.append(
            f"| {group} | {len(labels)} | {min(slowest):.1f} / {statistics.median(slowest):.1f} "
            f"| {min(fastest):.1f} / {statistics.median(fastest):.1f} | {len(over)} "
            f"| {', '.join(queries)} |"
        )
    medians = {
        label: statistics.median(pages[label]["median_ms"] for pages in by_run)
        for labels in groups.values()
        for label in labels
    }
    slow = sorted(((ms, label) for label, ms in medians.items()), reverse=True)[:10]
    lines += ["", "Slowest pages (median of the runs' medians, ms):", ""]
    lines += [f"- {label}: {ms:.1f}" for ms, label in slow]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
