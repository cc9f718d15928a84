"""Fresh planner statistics for the tables a long job fills.

PostgreSQL plans each statement from the statistics `ANALYZE` left, and autovacuum refreshes
them only after a table has changed by a tenth and its next round comes (a minute apart at
best; later on a busy server). A bulk qualify that starts on empty or small tables grows its
accounts and contacts by thousands of rows a minute, so its duplicate lookups were planned for
tables a fraction of their size: sequential scans that read the whole table for every chunk,
which made a 100,000-lead job slower per lead the longer it ran (the server's CPU per lead rose
from 0.46 ms at 10,000 leads to 0.76 ms past 55,000). `TableGrowth` runs `ANALYZE` on such a
table each time the job has grown it by half since its last statistics (and by at least
`ANALYZE_MIN_ROWS`): about ten times for a table going from empty to 100,000 rows, each a
sample of at most 30,000 rows, and never for a job that adds little to a large table.

Targeted on purpose: planning every statement afresh (`plan_cache_mode`) measured slower, and
the tables a job does not grow are left to autovacuum. SQLite plans without such statistics,
so there it does nothing.
"""

from __future__ import annotations

from django.db import connection, models

# A table is analysed again once the job has added this share of the rows it had...
ANALYZE_GROWTH = 0.5
# ... and at least this many (below it, any plan reads little).
ANALYZE_MIN_ROWS = 2_000


class TableGrowth:
    """Counts the rows a job adds to each table and refreshes the table's statistics when they
    are out of date by ANALYZE_GROWTH. Call `added` between the job's transactions."""

    def __init__(self, tables: list[type[models.Model]]) -> None:
        self.enabled = connection.vendor == "postgresql"
        self.tables = {model._meta.db_table: model for model in tables}
        self.known: dict[str, float] = {}  # rows the statistics know of, by table
        self.new: dict[str, int] = dict.fromkeys(self.tables, 0)  # rows added since then
        if self.enabled:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT relname, greatest(reltuples, 0) FROM pg_class "
                    "WHERE relname = ANY(%s) AND relkind = 'r'",
                    [list(self.tables)],
                )
                self.known = {name: float(rows) for name, rows in cursor.fetchall()}

    def added(self, model: type[models.Model], rows: int) -> bool:
        """Note `rows` new rows of `model`'s table; True when this analysed the table."""
        table = model._meta.db_table
        if not self.enabled or not rows:
            return False
        self.new[table] += rows
        known = self.known.get(table, 0.0)
        if self.new[table] < max(ANALYZE_MIN_ROWS, known * ANALYZE_GROWTH):
            return False
        with connection.cursor() as cursor:
            cursor.execute(f'ANALYZE "{table}"')  # a model's own table name, not user input
        self.known[table] = known + self.new[table]
        self.new[table] = 0
        return True
