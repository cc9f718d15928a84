"""The candidate search's query parts, shared by the duplicate searches of every app: rows
matching any of several indexed conditions, a long list of keys looked up by its index, and
pg_trgm's similarity test where it exists.

On PostgreSQL a bulk chunk looks up hundreds of keys per column. Planned as constants, a long
`IN` list and the `id IN (... UNION ...)` around the parts let the planner pick a sequential
scan of the whole table (a hashed key list tested on every row), more often as the table grows
between two ANALYZE runs during a large bulk job. Given as arrays it cannot see through (an
`ARRAY(SELECT ...)` computed once, before the scan), the planner probes the column's index once
per key, and the outer query fetches the rows found by the primary key's index.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection, models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL


def _postgresql() -> bool:
    return connection.vendor == "postgresql"


def trigram_search() -> bool:
    """Whether the database has pg_trgm's `%` operator and trigram indexes (PostgreSQL); SQLite
    has neither and searches by indexed equalities that return more rows to score."""
    return _postgresql()


def text_array(values: Iterable[str]) -> str:
    """A PostgreSQL array literal of `values` for a `%s::text[]` parameter: '{"a","b \\"c\\""}'.
    A bulk chunk sends a dozen arrays of 500 keys; psycopg quotes a list element by element in
    Python (0.5 ms for 500 names), this joins them in one pass (0.08 ms). Every element is
    quoted, a backslash or a double quote in it escaped, so any text comes back as it was."""
    quoted = ('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return "{" + ",".join(quoted) + "}"


def bigint_array(values: Iterable[int]) -> str:
    """A PostgreSQL array literal of integers for a `%s::bigint[]` parameter: '{1,-2,3}'."""
    return "{" + ",".join(str(int(value)) for value in values) + "}"


# pg_trgm's `%` threshold (its default similarity_threshold).
TRIGRAM_THRESHOLD = 0.3


def trigram_similar(column: str, value: str) -> RawSQL:
    """`column % value` (pg_trgm: a similarity above its threshold, 0.3 unless the server is
    configured otherwise) and `similarity(column, value) > 0.3`, as a condition for `filter()`
    within a place (a company's initials, an email domain). The operator lets PostgreSQL answer
    it from a trigram index of the place and the name (`leads/0015`): a company's initials are a
    place of 7,400 open leads at 1,000,000, and testing each name's similarity cost 16 ms where
    the index finds the similar ones in 3. The function keeps the threshold 0.3 whatever the
    server's setting. `column` is one of our own column names, never user input."""
    sql = f"({column} %% %s AND similarity({column}, %s) > {TRIGRAM_THRESHOLD})"
    return RawSQL(sql, [value, value], output_field=BooleanField())  # noqa: S611


def keys_in(column: str, keys: Iterable[str]) -> Q:
    """`column IN keys`, answered by the column's index however many keys (see above). `column`
    is one of the model's own column names, never user input."""
    ordered = sorted(keys)
    if not _postgresql():
        return Q(**{f"{column}__in": ordered})
    sql = f"{column} = ANY(ARRAY(SELECT unnest(%s::text[])))"
    return Q(RawSQL(sql, [text_array(ordered)], output_field=BooleanField()))  # noqa: S611


def any_of(model: type[models.Model], parts: list[Q]) -> Q | None:
    """Rows matching any of the parts, as one condition `id IN (... UNION ...)` (on PostgreSQL
    `id = ANY(ARRAY(... UNION ...))`): each part is answered by its own index (an OR of them
    would make the database scan the table and test every row against every key list), and
    the rows by the primary key. None without a part."""
    if len(parts) <= 1:
        return parts[0] if parts else None
    fragments, params = [], []
    for part in parts:
        query = model.objects.filter(part).order_by().values("pk").query
        sql, part_params = query.sql_with_params()
        fragments.append(sql)
        params += part_params
    union = " UNION ".join(fragments)
    if not _postgresql():
        return Q(pk__in=RawSQL(union, params))  # noqa: S611 (the ORM's SQL)
    quote = connection.ops.quote_name
    pk = f"{quote(model._meta.db_table)}.{quote(model._meta.pk.column)}"
    found = RawSQL(f"{pk} = ANY(ARRAY({union}))", params, output_field=BooleanField())  # noqa: S611
    return Q(found)
