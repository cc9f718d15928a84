"""The account, contact and opportunity grids at scale: query plans and server time per page.

Not a test. It fills the PostgreSQL database DATABASE_URL names (it must be empty or one this
script filled before: it migrates it and, with --load, adds rows), then requests each grid view
and sort through Django's test Client, and prints the plan of each name sort's page query:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_bench_x \\
        .venv/bin/python bench/record_grids.py --load 50000
    DATABASE_URL=... .venv/bin/python bench/record_grids.py --explain

--load N adds N accounts, 2N contacts and N opportunities (a third open, won, lost) owned by
eight salespeople, with mixed-case names ("CONTOSO 17", "contoso 18") so that the
case-insensitive sort has work to do. Times are medians of --repeat requests after a warm-up.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

import django

django.setup()

from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from crm.models import Account, Contact, Opportunity  # noqa: E402
from crm.selectors import account_list, contact_list, opportunity_list  # noqa: E402
from crm.services.fields import account_match_keys, contact_match_keys  # noqa: E402

WORDS = ("Contoso", "Fabrikam", "Northwind", "Tailspin", "Litware", "Adventure", "City Power")
STATES = (("open", "in_progress"), ("won", "won"), ("lost", "out_sold"))


def _name(rng: random.Random, index: int) -> str:
    word = rng.choice(WORDS)
    return f"{rng.choice((word, word.upper(), word.lower()))} {index}"


def load(count: int) -> None:
    rng = random.Random(2026)
    group = Group.objects.get(name="Salespeople")
    users = []
    for number in range(1, 9):
        user, _ = User.objects.get_or_create(username=f"grid{number}")
        user.groups.add(group)
        users.append(user)
    start = Account.objects.count()
    accounts = Account.objects.bulk_create(
        [
            account_match_keys(Account(name=_name(rng, start + n), owner=rng.choice(users)))
            for n in range(count)
        ],
        batch_size=5000,
    )
    Contact.objects.bulk_create(
        [
            contact_match_keys(
                Contact(
                    first_name=rng.choice(("ann", "Bob", "CARL")),
                    last_name=_name(rng, n),
                    account=rng.choice(accounts),
                    owner=rng.choice(users),
                )
            )
            for n in range(2 * count)
        ],
        batch_size=5000,
    )
    opportunities = []
    for n in range(count):
        state, reason = STATES[n % 3]
        account = rng.choice(accounts)
        opportunities.append(
            Opportunity(
                topic=_name(rng, n),
                customer_account=account,
                account=account,
                owner=rng.choice(users),
                state=state,
                status_reason=reason,
            )
        )
    Opportunity.objects.bulk_create(opportunities, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


PAGES = {
    "accounts, Account Name": "/accounts/?sort=name",
    "accounts, Account Name descending": "/accounts/?sort=-name",
    "accounts, page 400": "/accounts/?sort=name&page=400",
    "accounts, quick find": "/accounts/?q=conto",
    "contacts, Full Name": "/contacts/?sort=name",
    "contacts, page 400": "/contacts/?sort=name&page=400",
    "opportunities, My Open": "/opportunities/",
    "opportunities, All, Topic": "/opportunities/?view=all&sort=topic",
    "opportunities, Won": "/opportunities/?view=won",
    "opportunities, Closed": "/opportunities/?view=closed",
    "opportunities, All, 100 rows": "/opportunities/?view=all&per_page=100",
}


def time_pages(repeat: int) -> None:
    client = Client()
    client.force_login(User.objects.get(username="grid1"))
    print(f"{'page':38} {'median ms':>10} {'queries':>8}")
    for label, url in PAGES.items():
        client.get(url)
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        print(f"{label:38} {statistics.median(timings):10.1f} {len(queries):8}")
        reset_queries()


def explain() -> None:
    user = User.objects.get(username="grid1")
    grids = {
        "accounts by Account Name": account_list(sort="name"),
        "accounts by Account Name, descending": account_list(sort="-name"),
        "contacts by Full Name": contact_list(sort="name"),
        "opportunities (All) by Topic": opportunity_list(user=user, view="all", sort="topic"),
        "My Open Opportunities, newest first": opportunity_list(user=user, view="my_open"),
    }
    for label, rows in grids.items():
        # The grid's pager reads a page's ids first (crm.pagination.DeferredJoinPaginator).
        print(f"\n== {label}: the ids of the first page")
        print(rows.values("pk")[:25].explain(analyze=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--load", type=int, default=0, help="add this many accounts first")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--explain", action="store_true", help="print the name sorts' plans")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("DATABASE_URL must name a PostgreSQL database.")
    call_command("migrate", verbosity=0)
    if args.load:
        load(args.load)
    print(
        f"{Account.objects.count():,} accounts, {Contact.objects.count():,} contacts, "
        f"{Opportunity.objects.count():,} opportunities; load average {os.getloadavg()[0]:.2f}"
    )
    if args.explain:
        explain()
    else:
        time_pages(args.repeat)


if __name__ == "__main__":
    main()
