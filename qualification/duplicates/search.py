"""What the account and contact searches share: gathering each record's matches with their
reasons, the key sets they look up, and the row locks of a writing qualify."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import models

from crm.matching.similarity import Match
from crm.models import Account, Contact

# The duplicate dialog shows at most this many matches per record type.
MAX_MATCHES_SHOWN = 10
LARGEST_ID = 2**63 - 1


class Found:
    """The matches of one candidate being gathered: each record once, its reasons in order."""

    def __init__(self) -> None:
        self.records: dict[int, Account | Contact] = {}
        self.reasons: dict[int, list[str]] = defaultdict(list)
        self.scores: dict[int, float] = {}
        self.clear: dict[int, bool] = {}

    def add(self, record: Account | Contact, reason: str, *, score: float, clear: bool) -> None:
        if reason in self.reasons[record.pk]:
            return
        self.records.setdefault(record.pk, record)
        self.reasons[record.pk].append(reason)
        self.scores[record.pk] = max(self.scores.get(record.pk, 0.0), score)
        self.clear[record.pk] = self.clear.get(record.pk, False) or clear

    def matches(self) -> list[Match]:
        return [
            Match(
                record=record,
                reasons=tuple(self.reasons[pk]),
                score=self.scores[pk],
                clear=self.clear[pk],
            )
            for pk, record in self.records.items()
        ]


def unique[T: Account | Contact](records: Iterable[T]) -> list[T]:
    seen: set[int] = set()
    unique: list[T] = []
    for record in records:
        if record.pk not in seen:
            seen.add(record.pk)
            unique.append(record)
    return unique


def clean(keys: Iterable[str]) -> set[str]:
    return {key for key in keys if key}


def wanted_ids(ids: Iterable[int]) -> set[int]:
    """The ids that can name a row (a posted id past the bigint range names none)."""
    return {pk for pk in ids if pk and 0 < pk <= LARGEST_ID}


def locked[T: models.Model](records: models.QuerySet[T], lock: bool) -> models.QuerySet[T]:
    """The rows locked until the transaction ends, so that a record about to be linked cannot be
    deleted (or merged away) before the qualify commits. FOR NO KEY UPDATE: it stops deletes
    and other linking qualifies, not the inserts that merely reference the row. Rows are locked
    in id order, as every writer locks them, so two writers queue instead of deadlocking."""
    records = records.order_by("pk")
    return records.select_for_update(no_key=True, of=("self",)) if lock else records


def pairs[K](pairs: Iterable[tuple[K, str]]) -> set[tuple[K, str]]:
    return {(key, name) for key, name in pairs if key and name}
