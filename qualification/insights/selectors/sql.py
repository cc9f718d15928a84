"""SQL expressions the Insights selectors need and Django does not have, for SQLite and
PostgreSQL alike."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db.models import Aggregate, F, FloatField, Func, IntegerField

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler


class DaysBetween(Func):
    """Days, with their fraction, from the first datetime to the second."""

    output_field = FloatField()
    arity = 2

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> tuple[str, list]:
        start, end = (compiler.compile(expression) for expression in self.get_source_expressions())
        if connection.vendor == "postgresql":
            # date_part gives a double; EXTRACT a numeric, twice as slow to compute and sort.
            sql = f"(date_part('epoch', {end[0]} - {start[0]}) / 86400.0)"
        else:
            sql = f"(julianday({end[0]}) - julianday({start[0]}))"
        return sql, [*end[1], *start[1]]


class WeekIndex(Func):
    """Which of the weeks starting at `starts` (in order, without gaps) a datetime falls in, as
    its index: compared with the weeks' first moments by halves, a few comparisons a row. The
    moments are the site's midnights, so no time zone arithmetic runs per row (TruncWeek's),
    and a week is right across a change to or from summer time. Written out as SQL: Django's
    Case and When take longer to build for a year of weeks than the query takes to run."""

    output_field = IntegerField()

    def __init__(self, field: str, starts: list[datetime]) -> None:
        super().__init__(F(field))
        self.starts = starts

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: object
    ) -> tuple[str, list]:
        column, _no_params = compiler.compile(self.get_source_expressions()[0])  # a column
        params: list = []

        def among(first: int, last: int) -> str:
            if last - first == 1:
                return str(first)
            middle = (first + last) // 2
            params.append(connection.ops.adapt_datetimefield_value(self.starts[middle]))
            lower, upper = among(first, middle), among(middle, last)
            return f"CASE WHEN {column} < %s THEN {lower} ELSE {upper} END"

        return among(0, len(self.starts)), params


class Median(Aggregate):
    """PostgreSQL's median (percentile_cont(0.5): the mean of the two middle values when their
    number is even), one sort per aggregate and no window. SQLite has no ordered-set aggregate:
    there the selector takes the median from CUME_DIST instead (`funnel._median_of`)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)%(filter)s"
    output_field = FloatField()
