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
the caller sets `auto_now` timestamps itself. `instances_update` writes saved records back the
same way, one JSON document joined on the primary key (`UPDATE ... FROM`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from operator import attrgetter
from typing import Any
from uuid import UUID

from django.db import connection, models
from django.db.models import signals
from django.db.models.base import ModelState
from django.db.models.fields import AutoFieldMixin
from django.db.models.fields.related_descriptors import ForeignKeyDeferredAttribute
from django.db.models.query_utils import DeferredAttribute


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


@cache
def _direct(model: type[models.Model]) -> bool:
    """Whether every concrete field's attribute on the class is one of Django's plain field
    descriptors: assigning to a new instance then only stores the value in its `__dict__`
    (a foreign key's descriptor also forgets a cached related object, which a new instance
    does not have yet). A field with a descriptor of its own (a file, say) needs `__init__`."""
    return all(
        type(model.__dict__.get(field.attname)) in (DeferredAttribute, ForeignKeyDeferredAttribute)
        for field in model._meta.concrete_fields
    )


def instance_new(*, model: type[models.Model], values: dict[str, Any]) -> models.Model:
    """A new (unsaved) instance with `values` ({attname: value}), every other field at its
    default, as `model(**values)` gives it. Bulk qualify builds one for every account, contact
    and opportunity it creates, so where the model allows it (`_direct`) this does what
    `Model.__init__` does with positional values (Django's fast path, the one it takes for a
    row read from the database) without its per-field `setattr`: the same signals, a new
    state, the values stored, a callable default called only for a field `values` lacks."""
    static, factories, known = _template(model)
    if not known.issuperset(values):
        unknown = sorted(set(values) - known)
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)}")
    if not _direct(model):
        return model(
            *[
                values[attname] if attname in values else factory() if factory else default
                for attname, default, factory in _slots(model)
            ]
        )
    state = dict(static)
    for attname, factory in factories:
        if attname not in values:
            state[attname] = factory()
    state.update(values)
    if signals.pre_init.has_listeners(model):
        args = tuple([state[attname] for attname, _, _ in _slots(model)])
        signals.pre_init.send(sender=model, args=args, kwargs={})
    obj = model.__new__(model)
    obj.__dict__.update(state)
    obj._state = ModelState()
    signals.post_init.send(sender=model, instance=obj)
    return obj


@cache
def _template(
    model: type[models.Model],
) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...], frozenset[str]]:
    """What every new instance of `model` starts from: ({attname: default} of the fields
    with a plain default, (attname, factory) of those with a callable one, every attname)."""
    slots = _slots(model)
    static = {attname: default for attname, default, factory in slots if factory is None}
    factories = tuple((attname, factory) for attname, _, factory in slots if factory is not None)
    return static, factories, frozenset(attname for attname, _, _ in slots)


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


def instances_update(
    *, model: type[models.Model], objs: Sequence[models.Model], fields: Sequence[str]
) -> None:
    """Write `fields` (names) of saved instances, one instance per record, in one statement,
    as `bulk_update` would: no `pre_save`, the caller sets `updated_at` itself. On PostgreSQL
    the rows go as one JSON document joined on the primary key,

        UPDATE t SET c1 = r.c1, ... FROM json_populate_recordset(NULL::t, %s) AS r
        WHERE t.id = r.id

    where `bulk_update` writes a CASE over every id for each column (quadratic in the rows);
    elsewhere through `bulk_update`."""
    if not objs or not fields:
        return
    if connection.vendor != "postgresql":
        model._default_manager.bulk_update(objs, list(fields))
        return
    pk = model._meta.pk
    targets = [model._meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    table = quote(model._meta.db_table)
    key = quote(pk.column)
    assignments = ", ".join(f"{quote(f.column)} = r.{quote(f.column)}" for f in targets)
    sql = (
        f"UPDATE {table} SET {assignments} "  # noqa: S608 (names from the model)
        f"FROM json_populate_recordset(NULL::{table}, %s) AS r WHERE {table}.{key} = r.{key}"
    )
    columns = [pk.column, *(field.column for field in targets)]
    read = attrgetter(pk.attname, *(field.attname for field in targets))
    payload = json.dumps(
        [dict(zip(columns, read(obj), strict=True)) for obj in objs],
        default=_json_default_once(),
        separators=(",", ":"),
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [payload])


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
    attnames = [field.attname for field in _insert_fields(model)]
    getter = attrgetter(*attnames)
    return getter if len(attnames) > 1 else lambda obj: (getter(obj),)
