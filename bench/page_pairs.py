"""This checkout's pages against another checkout's, request by request.

Not a test. The machine is shared and its speed moves within minutes (a fixed Python loop has
taken from 130 to 280 ms in one hour here), so two runs of bench/page_timings.py, one per
checkout, can differ by more than the change being measured. This script keeps two servers
in-process side by side, each in its own Python process with its own checkout's code, on the
same database: every page of bench/page_timings.py (or those `--only` picks) is requested from
both, one right after the other in a random order, round after round. Each pair of requests
meets the same machine, and the table gives per group of pages the median of the per-page
ratios (this checkout's median time over the other's), by wall time and by this process's CPU.

    .venv/bin/python bench/page_pairs.py --other ../old-checkout --repeat 7
    .venv/bin/python bench/page_pairs.py --other ../old-checkout --only "quick find"

The other checkout needs its own `.venv` (or a link to this one) and must work on the same
database schema (an older checkout runs on a database migrated further, as long as no column it
reads has gone). Each process requests the pages through Django's test Client with the
production-like settings of bench/page_timings.py, signed in as page_timings' users.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _worker() -> None:
    """Serve timed requests for the checkout in the current directory: one JSON line in (url,
    user, headers), one JSON line out (wall, cpu and sql ms, status)."""
    sys.path.insert(0, str(Path.cwd() / "bench"))
    sys.path.insert(0, str(Path.cwd()))
    from load_data import database_url, django_setup

    static_root = tempfile.mkdtemp(prefix="crm-static-")
    django_setup(database_url(), static_root=static_root)
    from django.contrib.auth.models import User
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("collectstatic", interactive=False, verbosity=0)
    clients: dict[str, Client] = {}
    sql = [0.0]

    def timer(execute, statement, params, many, context):
        started = time.perf_counter()
        try:
            return execute(statement, params, many, context)
        finally:
            sql[0] += time.perf_counter() - started

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        if ask["user"] not in clients:
            clients[ask["user"]] = Client()
            clients[ask["user"]].force_login(User.objects.get(username=ask["user"]))
        sql[0] = 0.0
        with connection.execute_wrapper(timer):
            started, cpu_started = time.perf_counter(), time.process_time()
            response = clients[ask["user"]].get(ask["url"], **ask["headers"])
            wall = (time.perf_counter() - started) * 1000
            cpu = (time.process_time() - cpu_started) * 1000
        answer = {"wall": wall, "cpu": cpu, "sql": sql[0] * 1000, "status": response.status_code}
        print(json.dumps(answer), flush=True)


class Server:
    """One checkout's worker process."""

    def __init__(self, checkout: Path) -> None:
        python = checkout / ".venv" / "bin" / "python"
        self.process = subprocess.Popen(
            [str(python), str(HERE / "page_pairs.py"), "--worker"],
            cwd=checkout,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
        )
        json.loads(self.process.stdout.readline())

    def get(self, page) -> dict:
        ask = {"url": page.url, "user": page.user, "headers": page.headers}
        self.process.stdin.write(json.dumps(ask) + "\n")
        self.process.stdin.flush()
        answer = json.loads(self.process.stdout.readline())
        if answer["status"] != 200:
            raise SystemExit(f"{page.url} answered {answer['status']}")
        return answer

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait()


def _pages(args: argparse.Namespace) -> list:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from load_data import database_url, django_setup

    django_setup(database_url())
    from django.contrib.auth.models import User
    from page_timings import SALESPERSON
    from page_timings import _pages as timed_pages

    pages = timed_pages(User.objects.get(username=SALESPERSON))
    return [
        page
        for page in pages
        if args.only.lower() in page.label.lower()
        and not (args.skip and args.skip.lower() in page.label.lower())
    ]


def _ratio_line(group: str, ratios: list[tuple[float, float]]) -> str:
    wall = statistics.median(ratio[0] for ratio in ratios)
    cpu = statistics.median(ratio[1] for ratio in ratios)
    low, high = min(ratio[0] for ratio in ratios), max(ratio[0] for ratio in ratios)
    return f"| {group} | {len(ratios)} | {wall:.2f} ({low:.2f} to {high:.2f}) | {cpu:.2f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--other", type=Path, help="the checkout to compare with")
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds first")
    parser.add_argument("--only", default="", help="only pages whose label contains this text")
    parser.add_argument("--skip", default="insights", help="leave out pages with this text")
    args = parser.parse_args()
    if args.worker:
        _worker()
        return
    if args.other is None:
        parser.error("--other is required")
    pages = _pages(args)
    this, other = Server(HERE.parent), Server(args.other.resolve())
    times: dict[tuple[str, str], list[dict]] = {}
    load_before = os.getloadavg()
    started = time.perf_counter()
    for number in range(args.warmup + args.repeat):
        for page in pages:
            pair = [("this", this), ("other", other)]
            random.shuffle(pair)
            for name, server in pair:
                answer = server.get(page)
                if number >= args.warmup:
                    times.setdefault((page.label, name), []).append(answer)
        print(f"  round {number + 1} of {args.warmup + args.repeat}", file=sys.stderr)
    this.close()
    other.close()

    def median(label: str, name: str, key: str) -> float:
        return statistics.median(answer[key] for answer in times[label, name])

    print(
        f"{len(pages)} pages, {args.warmup} warm-up + {args.repeat} timed rounds, each page "
        f"from both checkouts in a random order; {time.perf_counter() - started:.0f} s; load "
        f"average {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. This checkout: {HERE.parent}; "
        f"the other: {args.other}."
    )
    print()
    print("| Page | This: median ms (SQL, CPU) | Other: median ms (SQL, CPU) | Ratio |")
    print("|---|---:|---:|---:|")
    groups: dict[str, list[tuple[float, float]]] = {}
    over = {"this": 0, "other": 0}
    for page in pages:
        cells = []
        for name in ("this", "other"):
            wall = median(page.label, name, "wall")
            over[name] += wall >= page.target_ms
            sql, cpu = median(page.label, name, "sql"), median(page.label, name, "cpu")
            cells.append(f"{wall:.1f} ({sql:.1f}, {cpu:.1f})")
        ratio = (
            median(page.label, "this", "wall") / median(page.label, "other", "wall"),
            median(page.label, "this", "cpu") / median(page.label, "other", "cpu"),
        )
        groups.setdefault(page.group, []).append(ratio)
        print(f"| {page.label} | {cells[0]} | {cells[1]} | {ratio[0]:.2f} |")
    print()
    print("| Pages | Count | This / other, wall: median of pages (range) | By CPU |")
    print("|---|---:|---:|---:|")
    for group, ratios in groups.items():
        print(_ratio_line(group, ratios))
    print(_ratio_line("All", [ratio for ratios in groups.values() for ratio in ratios]))
    print()
    print(
        f"Pages with a median at or over their target: {over['this']} of {len(pages)} here, "
        f"{over['other']} in the other checkout."
    )


if __name__ == "__main__":
    main()
