"""Many rows into one table in one statement, without a model instance per row.

`bulk_create` spends most of a large insert in Python: a model instance per row, then per row
and field `pre_save`, `get_db_prep_save` and the compiler's placeholders, then the driver
quoting every value. On PostgreSQL `rows_insert` sends the rows as one JSON document instead
(`json.dumps`, in C) and lets the server turn it into typed rows:

    INSERT INTO t (c1, ..., cn) SELECT c1, ..., cn
    FROM json_populate_recordset(NULL::t, %s) RETURNING id

`json_populate_recordset` converts each value with the column's own type, length limit
included (a value too long for a varchar(n) fails as an INSERT would), and the rows come back
in the order given, as `bulk_create` relies on too. Elsewhere (SQLite, development and tests)
the same rows go through `bulk_create`, so both databases store the same values.

The values are the database values a model field holds in Python (str, int, bool, None,
Decimal, date, datetime, and a JSONField's dict or list); a row names every column it writes,
by attname; a column it does not name gets the field's default. Nothing here runs `pre_save`:
the caller sets `auto_now` timestamps itself.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin


@cache
def _columns(model: type[models.Model], attnames: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(model._meta.get_field(name).column for name in attnames)


@cache
def _unnamed_fields(model: type[models.Model], attnames: tuple[str, ...]) -> tuple[Any, ...]:
    """The concrete fields a row does not name (the auto primary key aside): they get their
    default, as a model instance would give them (`bulk_create` does the same on SQLite), so
    a field added to the model later is never sent as NULL."""
    return tuple(
        field
        for field in model._meta.concrete_fields
        if field.attname not in attnames and not isinstance(field, AutoFieldMixin)
    )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not a database value")


def _json_default_once() -> Any:
    """`_json_default`, converting each value object once: the rows of one insert share their
    timestamp (one `now` in every row), which is then formatted once, not once per row."""
    converted: dict[int, Any] = {}

    def default(value: Any) -> Any:
        # By identity: the values are alive for the whole `json.dumps`, and equal values of
        # different text (Decimal("1.0"), Decimal("1.00")) stay apart.
        key = id(value)
        if key not in converted:
            converted[key] = _json_default(value)
        return converted[key]

    return default


def rows_insert(
    *,
    model: type[models.Model],
    attnames: Sequence[str],
    rows: Sequence[Sequence[Any]],
    returning: bool = True,
) -> list[int]:
    """Insert `rows` (one value per attname, in that order) in one statement; their new
    primary keys in the same order (none when `returning` is False)."""
    if not rows:
        return []
    attnames = tuple(attnames)
    if connection.vendor != "postgresql":
        objs = model._default_manager.bulk_create(
            [model(**dict(zip(attnames, row, strict=True))) for row in rows]
        )
        return [obj.pk for obj in objs] if returning else []
    unnamed = _unnamed_fields(model, attnames)
    if unnamed:
        attnames += tuple(field.attname for field in unnamed)
        rows = [(*row, *(field.get_default() for field in unnamed)) for row in rows]
    columns = _columns(model, attnames)
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    names = ", ".join(quote(column) for column in columns)
    sql = (
        f"INSERT INTO {table} ({names}) SELECT {names} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s)"
    )
    if returning:
        sql += f" RETURNING {quote(model._meta.pk.column)}"
    payload = json.dumps(
        [dict(zip(columns, row, strict=True)) for row in rows],
        default=_json_default_once(),
        separators=(",", ":"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])
        return [pk for (pk,) in cursor.fetchall()] if returning else []


@cache
def _slots(model: type[models.Model]) -> tuple[tuple[str, Any, Any], ...]:
    """(attname, default, default factory) of every concrete field, in the order `Model(*args)`
    takes them: a callable default is called for each instance (the factory), any other is
    the one value `Field.get_default` would return every time."""
    slots = []
    for field in model._meta.concrete_fields:
        if field.has_default() and callable(field.default):
            slots.append((field.attname, None, field.default))
        else:
            slots.append((field.attname, field.get_default(), None))
    return tuple(slots)


def instance_new(*, model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """A new (unsaved) instance with `values` ({attname: value}), every other field at its
    default, as `model(**values)` gives it; built from positional values, Django's fast path
    (the one it takes for a row read from the database), which bulk qualify takes for every
    account, contact and opportunity it creates."""
    args = []
    used = 0
    for attname, default, factory in _slots(model):
        if attname in values:
            args.append(values[attname])
            used += 1
        else:
            args.append(factory() if factory is not None else default)
    if used != len(values):
        unknown = sorted(set(values) - {attname for attname, _, _ in _slots(model)})
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    return model(*args)


def instances_insert(
    *, model: type[models.Model], objs: Sequence[models.Model], now: datetime
) -> None:
    """Insert new (unsaved) instances in one statement, as `bulk_create` would, and give them
    their primary keys: every concrete field but the auto primary key is written, `auto_now`
    and `auto_now_add` fields get `now` (set on the instances too), and a relation assigned
    as an object before that object was saved gets its id."""
    if not objs:
        return
    fields = _insert_fields(model)
    stamped = [field.attname for field in fields if _is_stamped(field)]
    relations = [field for field in fields if field.is_relation]
    attnames = tuple(field.attname for field in fields)
    for obj in objs:
        for name in stamped:
            setattr(obj, name, now)
        for field in relations:
            if getattr(obj, field.attname) is None and field.is_cached(obj):
                related = field.get_cached_value(obj)
                if related is not None:
                    if related.pk is None:
                        raise ValueError(f"{field.name} of {model.__name__} is not saved yet.")
                    setattr(obj, field.attname, related.pk)
    if connection.vendor != "postgresql":
        model._default_manager.bulk_create(objs)
        return
    values = _values_getter(model)
    pks = rows_insert(model=model, attnames=attnames, rows=[values(obj) for obj in objs])
    database = connection.alias
    for obj, pk in zip(objs, pks, strict=True):
        obj.pk = pk
        obj._state.adding = False
        obj._state.db = database


def _is_stamped(field: models.Field) -> bool:
    return isinstance(field, models.DateField) and (field.auto_now or field.auto_now_add)


@cache
def _insert_fields(model: type[models.Model]) -> tuple[models.Field, ...]:
    pk = model._meta.pk
    return tuple(
        field
        for field in model._meta.concrete_fields
        if not (field is pk and isinstance(field, AutoFieldMixin))
    )


@cache
def _values_getter(model: type[models.Model]) -> Any:
    from operator import attrgetter

    attnames = [field.attname for field in _insert_fields(model)]
    getter = attrgetter(*attnames)
    return getter if len(attnames) > 1 else lambda obj: (getter(obj),)
