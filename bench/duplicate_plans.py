"""Benchmark: the PostgreSQL plans of one bulk chunk's duplicate search at 50,000 accounts and
50,000 contacts. Not a test.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/crm_plans_bench \\
        .venv/bin/python bench/duplicate_plans.py

It works in a PostgreSQL database whose name ends in `_bench`, which it drops, creates,
migrates, fills (set-based SQL: accounts with two-word names, each with a website domain and a
phone; a contact under each, with an email at its domain and two phones) and drops again. One
chunk's lookups, `accounts_find` and `contacts_find` as the engine calls them for 500 leads
(half the keys of existing records, half new; the similar-name rule on), are captured and each
statement is run again under EXPLAIN ANALYZE. It prints the plan nodes (no costs) and the
sequential scans of crm_account and crm_contact, which a chunk's lookups should not have.
"""

from __future__ import annotations

import os
import re
import sys
from urllib.parse import urlsplit, urlunsplit

from duplicate_quality import _database, _django_setup

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/crm_plans_bench"
RECORDS = 50_000
CHUNK = 500
FILL_SQL = [
    "INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, "
    "is_staff, is_active, date_joined) "
    "VALUES ('!', false, 'bench', '', '', '', false, true, now())",
    # Names of two words of 16 letters (md5's hex digits turned into letters, so no name has
    # digits): their initials spread over 136 blocks of about 370 accounts, the block the
    # similar-name rule compares within (crm.matching.name_initials).
    "INSERT INTO crm_account (created_at, updated_at, street1, street2, street3, city, "
    "state_province, postal_code, country, name, normalized_name, website_domain, website, phone, "
    "email, industry, description, owner_id, phone_normalized, name_initials) "
    "SELECT now(), now(), '', '', '', '', '', '', '', w.name, w.name, "
    "'company' || g || '.example', "
    "'https://company' || g || '.example', '', '', '', '', (SELECT min(id) FROM auth_user), "
    "lpad((100000000 + g)::text, 9, '0'), "
    "(SELECT string_agg(left(x, 1), ' ' ORDER BY left(x, 1)) "
    " FROM unnest(string_to_array(w.name, ' ')) AS x) "
    "FROM generate_series(1, %(n)s) AS g, "
    "LATERAL (SELECT translate(left(md5(g::text), 7) || ' ' || left(md5((g + 7)::text), 6), "
    "'0123456789', 'ghijklmnop') AS name) AS w",
    "INSERT INTO crm_contact (created_at, updated_at, street1, street2, street3, city, "
    "state_province, postal_code, country, first_name, last_name, email_normalized, "
    "full_name_normalized, job_title, email, business_phone, mobile_phone, description, "
    "account_id, owner_id, business_phone_normalized, email_domain, mobile_phone_normalized, "
    "name_key) "
    "SELECT now(), now(), '', '', '', '', '', '', '', 'First' || g, 'Last' || g, "
    "'p' || g || '@company' || g || '.example', 'first' || g || ' last' || g, '', "
    "'p' || g || '@company' || g || '.example', '', '', '', a.id, a.owner_id, "
    "lpad((200000000 + g)::text, 9, '0'), 'company' || g || '.example', "
    "lpad((300000000 + g)::text, 9, '0'), 'first' || g || ' last' || g "
    "FROM generate_series(1, %(n)s) AS g JOIN crm_account a ON a.website_domain = "
    "'company' || g || '.example'",
    "ANALYZE crm_account",
    "ANALYZE crm_contact",
]
SEQ_SCAN = re.compile(r"Seq Scan on (crm_account|crm_contact)\b")


def main() -> None:
    url = os.environ.get("DATABASE_URL", DEFAULT_URL)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.scheme not in ("postgres", "postgresql") or not name.endswith("_bench"):
        sys.exit(f"DATABASE_URL must name a PostgreSQL database ending in _bench: {url}")
    admin_url = urlunsplit(parts._replace(scheme="postgresql", path="/postgres"))
    _database(admin_url, name, create=True)
    try:
        _django_setup(url)
        _fill()
        plans()
    finally:
        from django.db import connections

        connections.close_all()
        _database(admin_url, name, create=False)


def _fill() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in FILL_SQL:
            cursor.execute(statement, {"n": RECORDS})


def _chunk_keys() -> dict[str, set]:
    """One chunk's keys: every 200th record's (half the chunk), and as many new ones."""
    from crm.models import Account

    half = CHUNK // 2
    step = RECORDS // half
    names = list(Account.objects.order_by("pk").values_list("normalized_name", flat=True))
    known = range(1, RECORDS + 1, step)
    return {
        "names": {names[g - 1] for g in known} | {f"newco{g} traders" for g in range(half)},
        "domains": {f"company{g}.example" for g in known}
        | {f"new{g}.example" for g in range(half)},
        "phones": {f"{100000000 + g:09d}" for g in known},
        "emails": {f"p{g}@company{g}.example" for g in known}
        | {f"n{g}@new.example" for g in known},
        "contact_phones": {f"{200000000 + g:09d}" for g in known},
        "people_in_companies": {(names[g - 1], f"first{g} last{g}") for g in known},
        "people_in_domains": {(f"company{g}.example", f"first{g} last{g}") for g in known},
    }


def plans() -> None:
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from qualification.duplicates import DuplicateRules, accounts_find, contacts_find

    keys = _chunk_keys()
    rules = DuplicateRules()
    with transaction.atomic(), CaptureQueriesContext(connection) as captured:
        accounts_find(
            names=keys["names"],
            domains=keys["domains"],
            phones=keys["phones"],
            rules=rules,
            lock=True,
        )
        contacts_find(
            emails=keys["emails"],
            phones=keys["contact_phones"],
            people_in_companies=keys["people_in_companies"],
            people_in_domains=keys["people_in_domains"],
            rules=rules,
            lock=True,
        )
    print(f"{RECORDS:,} accounts, {RECORDS:,} contacts; one chunk of {CHUNK} candidates")
    print(f"{len(captured)} statements (one per record type)")
    with connection.cursor() as cursor:
        for number, query in enumerate(captured.captured_queries, start=1):
            cursor.execute("EXPLAIN (ANALYZE, COSTS OFF, SUMMARY ON) " + query["sql"])
            lines = [row[0] for row in cursor.fetchall()]
            scans = [line.strip() for line in lines if SEQ_SCAN.search(line)]
            print(f"\n-- statement {number}: sequential scans of crm_*: {len(scans)}")
            for line in lines:
                if "->" in line or line.startswith(("LockRows", "Execution Time")):
                    print(line[:140])


if __name__ == "__main__":
    main()
