"""A request's permission lookup: Django's ModelBackend against the project's backend.

Not a test. Every page checks a permission, so every request asks the backend once for all of
the signed-in user's permissions. Django's ModelBackend answers with two queries built through
the many-to-many relations; crm.auth.ThrottledModelBackend with one SQL statement. This times
both on a fresh user object (as each request has), taking turns call by call, on the
`crm_load` database that bench/load_data.py fills (its salesperson and its manager):

    .venv/bin/python bench/permissions.py
    .venv/bin/python bench/permissions.py --repeat 1000

It checks that both give the same permissions, then prints per user and backend the median
CPU and wall time of a call, in ms.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load_data import database_url, django_setup

USERS = ("sales1", "manager")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=500, help="calls per backend and user")
    args = parser.parse_args()
    django_setup(database_url())

    from django.contrib.auth.backends import ModelBackend
    from django.contrib.auth.models import User

    from crm.auth import ThrottledModelBackend

    backends = {"Django's ModelBackend": ModelBackend(), "crm.auth": ThrottledModelBackend()}
    load = Path("/proc/loadavg").read_text().split()[:2]
    print(f"load average {' '.join(load)}; {args.repeat} calls each, taking turns")
    print("| User | Backend | Permissions | CPU ms (median) | Wall ms (median) |")
    print("|---|---|---:|---:|---:|")
    for username in USERS:
        pk = User.objects.get(username=username).pk
        answers = {
            name: backend.get_all_permissions(User.objects.get(pk=pk))
            for name, backend in backends.items()
        }
        if len({frozenset(answer) for answer in answers.values()}) != 1:
            sys.exit(f"The backends disagree on {username}'s permissions: {answers}")
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in backends}
        for _ in range(args.repeat):
            for name, backend in backends.items():
                user = User.objects.get(pk=pk)  # no cache: a request's user object
                cpu, wall = time.process_time(), time.perf_counter()
                backend.get_all_permissions(user)
                times[name].append((time.process_time() - cpu, time.perf_counter() - wall))
        for name, pairs in times.items():
            cpu_ms = statistics.median(cpu for cpu, _ in pairs) * 1000
            wall_ms = statistics.median(wall for _, wall in pairs) * 1000
            print(f"| {username} | {name} | {len(answers[name])} | {cpu_ms:.2f} | {wall_ms:.2f} |")


if __name__ == "__main__":
    main()
