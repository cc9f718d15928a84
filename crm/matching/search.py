"""The candidate search's query parts, shared by the duplicate searches of every app: rows
matching any of several indexed conditions, and pg_trgm's similarity test where it exists."""

from __future__ import annotations

from django.db import connection, models
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL


def trigram_search() -> bool:
    """Whether the database has pg_trgm's `%` operator and trigram indexes (PostgreSQL); SQLite
    has neither and searches by indexed equalities that return more rows to score."""
    return connection.vendor == "postgresql"


def trigram_similar(column: str, value: str) -> RawSQL:
    """`column % value` (pg_trgm: similarity over its threshold, 0.3 by default), a condition
    for `filter()`. `column` is one of our own column names, never user input."""
    return RawSQL(f"{column} %% %s", [value], output_field=BooleanField())  # noqa: S611


def any_of(model: type[models.Model], parts: list[Q]) -> Q | None:
    """Rows matching any of the parts, as one `id IN (... UNION ...)` condition: each part is
    answered by its own index (an OR of them would make PostgreSQL scan the table and test
    every row against every key list). None without a part."""
    if len(parts) <= 1:
        return parts[0] if parts else None
    fragments, params = [], []
    for part in parts:
        query = model.objects.filter(part).order_by().values("pk").query
        sql, part_params = query.sql_with_params()
        fragments.append(sql)
        params += part_params
    return Q(pk__in=RawSQL(" UNION ".join(fragments), params))  # noqa: S611 (the ORM's SQL)
