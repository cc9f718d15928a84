"""Merge duplicate accounts, or duplicate contacts, into one master record.

One transaction, rows locked first: every row that points at the merged records (contacts,
opportunities as customer and as account or contact, leads' Existing and Parent links, origins,
qualification records, timeline entries; `crm.links` finds them through `_meta`, including the
ones declared in higher apps) is re-pointed at the master, the master takes the winning value
of each field, the others are deleted, and the master's timeline says who merged what, when.

Locks are taken in one global order, so that two merges (of accounts, of contacts, or one of
each) never wait on each other in a circle: the accounts a contact merge reads, then the merged
records, then the rows pointing at them, table by table in `crm.links.record_links` order, each
in id order. A merge that finds a record gone (merged or deleted by the merge it waited for)
refuses and writes nothing, so no row that pointed at a record is ever lost.

Rows that point at several merged records through a unique constraint (the one-to-one
Originating Lead of an account) cannot all move: the master's row stays, the others' are
deleted, and the master's timeline names each one dropped.

The number of queries depends on the kinds of links, never on the number of rows re-pointed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import OperationalError, models, transaction

from crm.models import Account, Contact
from crm.selectors.merge import (
    MERGE_FIELDS,
    MERGE_MAX_RECORDS,
    merge_sources_default,
    merge_stored_value,
)
from crm.selectors.permissions import owner_or_manager
from crm.services.errors import (
    MergeConflictError,
    MergePermissionError,
    MergeRecordGoneError,
    MergeSameRecordError,
    MergeSourceError,
    MergeTooFewError,
    MergeTooManyError,
    RecordError,
)
from crm.services.fields import (
    ACCOUNT_MATCH_FIELDS,
    CONTACT_MATCH_FIELDS,
    account_match_keys,
    contact_match_keys,
)
from crm.services.merge.pointing import lock_pointing_rows, repoint
from crm.services.timeline import timeline_event_add

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# The match columns each record type refills after its fields changed.
MATCH_KEYS: dict[type[models.Model], Callable[[Any], models.Model]] = {
    Account: account_match_keys,
    Contact: contact_match_keys,
}
MATCH_KEY_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Account: ACCOUNT_MATCH_FIELDS,
    Contact: CONTACT_MATCH_FIELDS,
}
# Foreign keys of a merged record whose targets are locked before the records themselves
# (accounts come before contacts in the lock order): the master may take one of them.
LOCKED_TARGETS: dict[type[models.Model], tuple[str, ...]] = {Account: (), Contact: ("account",)}
# PostgreSQL's deadlock and serialization failures: the transaction was rolled back whole.
RETRYABLE_SQLSTATES = {"40P01", "40001"}


@dataclass
class MergeResult:
    master: models.Model
    merged: list[str]  # "CONTOSO (#9)", in the order given
    taken: list[str] = field(default_factory=list)  # "Website: ... (from CONTOSO (#9))"
    moved: list[tuple[str, int]] = field(default_factory=list)  # ("contacts (Account Name)", 3)
    dropped: list[str] = field(default_factory=list)


def _plural(model: type[models.Model]) -> str:
    return str(model._meta.verbose_name_plural)


def _label(record: models.Model) -> str:
    return f"{record} (#{record.pk})"


def merge_ids_check(*, model: type[models.Model], master_id: int, other_ids: list[int]) -> None:
    """Refuse a merge of a record with itself, of fewer than two or of too many records."""
    records = _plural(model)
    if master_id in other_ids or len(set(other_ids)) != len(other_ids):
        raise MergeSameRecordError(records=records)
    if not other_ids:
        raise MergeTooFewError(records=records)
    if len(other_ids) + 1 > MERGE_MAX_RECORDS:
        raise MergeTooManyError(records=records, limit=MERGE_MAX_RECORDS)


def records_merge_refusal(
    *, records: list[models.Model], acting_user: AbstractBaseUser | AnonymousUser
) -> RecordError | None:
    """Why `records_merge` would refuse these records for this user (None: it would not):
    every one of them must be the user's, or the user a sales manager."""
    if not records:
        return None
    not_allowed = [
        record
        for record in records
        if not owner_or_manager(user=acting_user, owner_id=record.owner_id)
    ]
    if not_allowed:
        names = ", ".join(_label(record) for record in not_allowed)
        return MergePermissionError(records=_plural(type(records[0])), names=names)
    return None


def accounts_merge(
    *,
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    acting_user: AbstractBaseUser,
) -> MergeResult:
    """Merge the accounts `other_ids` into the account `master_id` (see `records_merge`)."""
    return records_merge(
        model=Account,
        master_id=master_id,
        other_ids=other_ids,
        field_sources=field_sources,
        acting_user=acting_user,
    )


def contacts_merge(
    *,
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    acting_user: AbstractBaseUser,
) -> MergeResult:
    """Merge the contacts `other_ids` into the contact `master_id` (see `records_merge`)."""
    return records_merge(
        model=Contact,
        master_id=master_id,
        other_ids=other_ids,
        field_sources=field_sources,
        acting_user=acting_user,
    )


def records_merge(
    *,
    model: type[models.Model],
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    acting_user: AbstractBaseUser,
) -> MergeResult:
    """Merge `other_ids` into `master_id`, all records of `model` (Account or Contact).

    `field_sources` names, per merge field (MERGE_FIELDS), the record whose value the master
    keeps; a field left out keeps the default (the master's, or the first other value where
    the master's is empty). Refused, writing nothing, for a record merged with itself, fewer
    than two or more than MERGE_MAX_RECORDS records, a record gone, a record the user may not
    change, or a field source that is not one of the records.
    """
    merge_ids_check(model=model, master_id=master_id, other_ids=other_ids)
    unknown = sorted(set(field_sources) - set(MERGE_FIELDS[model]))
    if unknown:
        raise TypeError(f"Not merge fields of {model.__name__}: {', '.join(unknown)}.")
    try:
        with transaction.atomic():
            return _merge_locked(model, master_id, other_ids, field_sources, acting_user)
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) in RETRYABLE_SQLSTATES:
            raise MergeConflictError(records=_plural(model)) from error
        raise


def _merge_locked(
    model: type[models.Model],
    master_id: int,
    other_ids: list[int],
    field_sources: dict[str, int],
    acting_user: AbstractBaseUser,
) -> MergeResult:
    ids = [master_id, *other_ids]
    # Every lock first, in the global order; then the checks; then the writes.
    targets = lock_targets(model, ids)
    records = _lock_records(model, ids, targets)
    pointing = lock_pointing_rows(model, ids)
    refusal = records_merge_refusal(records=list(records.values()), acting_user=acting_user)
    if refusal is not None:
        raise refusal
    master = records[master_id]
    others = [records[pk] for pk in other_ids]
    sources = _sources(model, [master, *others], master_id, field_sources)
    result = MergeResult(master=master, merged=[_label(record) for record in others])
    labels = {record.pk: _label(record) for record in others}
    for rows in pointing:
        moved, dropped = repoint(
            model, rows, master_id=master_id, other_ids=other_ids, labels=labels
        )
        result.moved += moved
        result.dropped += dropped
    result.taken = _master_write(model, master, records, sources)
    timeline_event_add(
        record=master, author=acting_user, title=_event_title(model, others), body=_body(result)
    )
    model._base_manager.filter(pk__in=other_ids).delete()
    return result


def lock_targets(model: type[models.Model], ids: list[int]) -> set[int]:
    """Lock the accounts the merged contacts sit under (before the contacts: the global lock
    order), so that the master's new Account Name cannot be merged away under it."""
    names = LOCKED_TARGETS[model]
    if not names:
        return set()
    columns = [model._meta.get_field(name).attname for name in names]
    target_ids: set[int] = set()
    for row in model._base_manager.filter(pk__in=ids).values_list(*columns):
        target_ids.update(value for value in row if value is not None)
    locked: set[int] = set()
    for name in names:
        target_model = model._meta.get_field(name).related_model
        # NO KEY UPDATE: a merge of these targets waits for this one, while new rows pointing
        # at them (a key share lock) do not.
        locked.update(
            target_model._base_manager.select_for_update(no_key=True)
            .filter(pk__in=target_ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    return locked


def _lock_records(
    model: type[models.Model], ids: list[int], targets: set[int]
) -> dict[int, models.Model]:
    locked = {
        record.pk: record
        for record in model._base_manager.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    if len(locked) != len(ids):
        raise MergeRecordGoneError(records=_plural(model))
    for name in LOCKED_TARGETS[model]:
        attname = model._meta.get_field(name).attname
        if any(getattr(r, attname) not in targets | {None} for r in locked.values()):
            # A contact moved to another account between the two locks: start again.
            raise MergeConflictError(records=_plural(model))
    return locked


def _sources(
    model: type[models.Model],
    records: list[models.Model],
    master_id: int,
    field_sources: dict[str, int],
) -> dict[str, int]:
    ids = {record.pk for record in records}
    sources = merge_sources_default(model=model, records=records, master_id=master_id)
    for name, source in field_sources.items():
        if source not in ids:
            label = str(model._meta.get_field(name).verbose_name)
            raise MergeSourceError(records=_plural(model), field=label)
        sources[name] = source
    return sources


def _master_write(
    model: type[models.Model],
    master: models.Model,
    records: dict[int, models.Model],
    sources: dict[str, int],
) -> list[str]:
    """Give the master the winning values; return what it took from the others."""
    taken = []
    changed = []
    for name, source_id in sources.items():
        if source_id == master.pk:
            continue
        source = records[source_id]
        model_field = model._meta.get_field(name)
        value = merge_stored_value(source, name)
        if value == merge_stored_value(master, name):
            continue
        setattr(master, model_field.attname, value)
        changed.append(model_field.attname)
        taken.append(f"{model_field.verbose_name} from {_label(source)}")
    MATCH_KEYS[model](master)
    master.save(update_fields=[*changed, *MATCH_KEY_FIELDS[model], "updated_at"])
    return taken


def _event_title(model: type[models.Model], others: list[models.Model]) -> str:
    noun = model._meta.verbose_name if len(others) == 1 else model._meta.verbose_name_plural
    return f"Merged {len(others)} {noun} into this one"


def _body(result: MergeResult) -> str:
    lines = [f"Merged: {', '.join(result.merged)}."]
    if result.taken:
        lines.append(f"Values taken: {'; '.join(result.taken)}.")
    if result.moved:
        lines.append(
            "Moved here: " + ", ".join(f"{count} {label}" for label, count in result.moved) + "."
        )
    lines += [f"Dropped: {line}." for line in result.dropped]
    return "\n".join(lines)
