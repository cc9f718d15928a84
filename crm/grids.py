"""What every list page shares: the rows-per-page choice and the sortable column headers.
The lead grid (leads.views) uses these too; crm never imports leads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crm.http import HtmxHttpRequest

PAGE_SIZES = (10, 25, 50, 100)


@dataclass(frozen=True)
class Column:
    key: str  # the sort key in `?sort=` ("-key" sorts descending)
    label: str


@dataclass(frozen=True)
class HeaderCell:
    label: str
    next_sort: str  # what a click on the header sorts by
    aria_sort: str  # "ascending", "descending" or "" (not the sorted column)
    url: str = ""  # the grid sorted by `next_sort`, for grids that build their own URLs


def header_cells(
    columns: tuple[Column, ...], sort: str, url: Callable[[str], str] | None = None
) -> list[HeaderCell]:
    """One header per column; a click sorts by it, or reverses it when it is the sort."""
    cells = []
    for column in columns:
        if sort == column.key:
            next_sort, aria_sort = f"-{column.key}", "ascending"
        elif sort == f"-{column.key}":
            next_sort, aria_sort = column.key, "descending"
        else:
            next_sort, aria_sort = column.key, ""
        cells.append(HeaderCell(column.label, next_sort, aria_sort, url(next_sort) if url else ""))
    return cells


def page_size(request: HtmxHttpRequest, default: int) -> int:
    """`?per_page=` when it is one of PAGE_SIZES, else `default`."""
    try:
        size = int(request.GET.get("per_page", default))
    except ValueError:
        return default
    return size if size in PAGE_SIZES else default
