"""The lead grid's view as CSV: the same leads, order and columns as the grid, every row of
the view (not one page), written as it is read so that a big view does not sit in memory."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from django.db import models

from crm.grids import Column
from leads.columns import COLUMN_TEXT
from leads.models import Lead

# Rows read from the database at a time (one query on SQLite, a server-side cursor on
# PostgreSQL: the number of queries does not grow with the rows).
EXPORT_CHUNK_SIZE = 2000
# A cell that begins with one of these is a formula to a spreadsheet (CSV injection): the
# export prefixes it with an apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file as UTF-8 only when it begins with the byte order mark.
BYTE_ORDER_MARK = "\ufeff"


def csv_safe(value: str) -> str:
    """`value` as a spreadsheet shows it: never run as a formula."""
    return f"'{value}" if value.startswith(FORMULA_STARTS) else value


class _Echo:
    """A file that hands back what is written: csv.writer formats one row, the response
    streams it."""

    def write(self, value: str) -> str:
        return value


def lead_csv_lines(leads: models.QuerySet[Lead], columns: Iterable[Column]) -> Iterator[str]:
    """The header row then one row per lead, each a CSV line."""
    columns = tuple(columns)
    writer = csv.writer(_Echo())
    yield BYTE_ORDER_MARK + writer.writerow([column.label for column in columns])
    for lead in leads.iterator(chunk_size=EXPORT_CHUNK_SIZE):
        yield writer.writerow([csv_safe(COLUMN_TEXT[column.key](lead)) for column in columns])
