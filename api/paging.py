"""Cursor paging for the lists: each page continues after the last row of the one before
(keyset), on the list's own order with its id tie-break, so a page costs one query whatever
its depth and rows added meanwhile neither repeat nor vanish.

Written here rather than Django Ninja's CursorPagination: that one positions on the first
ordering field plus an offset, while the lead grid sorts on several columns (Name is last name,
first name) with the id tie-break. The cursor is signed, so a forged one is refused instead of
being turned into a query.
"""

from __future__ import annotations

from typing import Any

from django.core import signing
from django.db import models
from django.db.models import F, OrderBy, Q

from crm.errors import DomainError

SALT = "api.cursor"
CURSOR_INVALID = "This cursor does not belong to this list: start again without it."


class CursorError(DomainError):
    message = CURSOR_INVALID


def _value_of(row: models.Model, path: str) -> Any:
    value: Any = row
    for part in path.split("__"):
        value = getattr(value, part) if value is not None else None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _after(order: list[tuple[str, bool]], values: list[Any]) -> Q:
    """Rows after `values` in `order` ((name, descending) pairs): (a > x) or (a = x and
    b > y) or ..."""
    condition = Q()
    equal = Q()
    for (name, descending), value in zip(order, values, strict=True):
        lookup = "lt" if descending else "gt"
        condition |= equal & Q(**{f"{name}__{lookup}": value})
        equal &= Q(**{name: value})
    return condition


def _keyed[T: models.Model](
    rows: models.QuerySet[T],
) -> tuple[models.QuerySet[T], list[tuple[str, bool]]]:
    """The list's order as (name, descending) pairs that a filter can compare: a field name
    as it is, an expression (the grid's case-ignoring sorts, `Lower("last_name")`) annotated
    under a name of its own."""
    order: list[tuple[str, bool]] = []
    keys: dict[str, Any] = {}
    for position, term in enumerate(rows.query.order_by):
        if isinstance(term, str):
            order.append((term.removeprefix("-"), term.startswith("-")))
        elif isinstance(term, OrderBy) and isinstance(term.expression, F):
            order.append((term.expression.name, term.descending))
        elif isinstance(term, OrderBy):
            name = f"cursor_key_{position}"
            keys[name] = term.expression
            order.append((name, term.descending))
        else:
            raise TypeError(f"Cannot page on {term!r}")
    return (rows.annotate(**keys) if keys else rows), order


def keyset_page[T: models.Model](
    rows: models.QuerySet[T], *, cursor: str | None, size: int, scope: str
) -> tuple[list[T], str | None]:
    """One page of `rows` (ordered by fields or expressions, ending with the id) after `cursor`, and
    the cursor of the next page (None on the last). `scope` names the list and its
    parameters: a cursor only continues the list it came from."""
    rows, order = _keyed(rows)
    if cursor:
        try:
            data = signing.loads(cursor, salt=SALT)
        except signing.BadSignature:
            raise CursorError from None
        if not isinstance(data, dict) or data.get("scope") != scope:
            raise CursorError
        values = data.get("after")
        if not isinstance(values, list) or len(values) != len(order):
            raise CursorError
        rows = rows.filter(_after(order, values))
    page = list(rows[: size + 1])
    if len(page) <= size:
        return page, None
    page = page[:size]
    last = [_value_of(page[-1], name) for name, _descending in order]
    return page, signing.dumps({"scope": scope, "after": last}, salt=SALT, compress=True)
