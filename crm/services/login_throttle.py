"""Failed sign-in throttling, per username (case-insensitive) and per client address.

Every attempt first claims one of `limit` slots for its username and one for its address, each
slot a cache key that lives for the window. A failure keeps its slots; a success frees the
username's slots and its own address slot. When a subject's slots are all taken it is locked
for the window, and attempts are refused before any password is checked. The authentication
backend (crm/auth.py) calls these around every password check, so every sign-in page shares
them; an empty field never reaches it, so it is not counted.

Slots are claimed with `cache.add()`, which succeeds for one caller only (memcached, Redis, the
memory cache; a unique INSERT on the database cache), so parallel attempts cannot slip past the
limit the way a read-then-write counter (the database cache's incr()) would let them; and each
slot carries its own expiry, so the window is the same on every backend. The cache must be
shared by all app processes (production: the database).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

LOGIN_THROTTLED = "Too many failed sign-in attempts. Try again in {minutes} {unit}."
_KEY_PREFIX = "login-throttle"


class LoginThrottledError(Exception):
    """Sign-in refused for a while; `retry_after` is the number of seconds left."""

    def __init__(self, *, retry_after: int) -> None:
        self.retry_after = max(retry_after, 1)
        minutes = math.ceil(self.retry_after / 60)
        self.message = LOGIN_THROTTLED.format(
            minutes=minutes, unit="minute" if minutes == 1 else "minutes"
        )
        super().__init__(self.message)


@dataclass(frozen=True)
class _Subject:
    """One thing attempts are counted against: a username or a client address."""

    kind: str
    value: str
    limit: int

    def _key(self, suffix: str) -> str:
        # Hashed: usernames are arbitrary user input, and some cache backends refuse long keys,
        # spaces or control characters.
        digest = hashlib.sha256(self.value.encode()).hexdigest()
        return f"{_KEY_PREFIX}:{self.kind}:{digest}:{suffix}"

    @property
    def lock_key(self) -> str:
        return self._key("locked-until")

    @property
    def slot_keys(self) -> list[str]:
        return [self._key(f"slot-{n}") for n in range(self.limit)]


@dataclass(frozen=True)
class LoginAttempt:
    """A sign-in attempt in progress and the slots it holds."""

    username: _Subject
    address: _Subject | None
    username_slot: str
    address_slot: str | None

    @property
    def subjects(self) -> list[_Subject]:
        return [s for s in (self.username, self.address) if s is not None]


def _normalize_username(username: str) -> str:
    # The folding AuthenticationForm applies (NFKC, stripped), plus case folding, so "Sam",
    # "SAM " and "sam" share one count.
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _lock(subject: _Subject) -> int:
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    cache.set(subject.lock_key, time.time() + window, timeout=window)
    logger.warning(
        "Sign-in locked for %s seconds after %s failed attempts for one %s%s.",
        window,
        subject.limit,
        subject.kind,
        f" ({subject.value})" if subject.kind == "address" else "",
    )
    return window


def _claim_slot(subject: _Subject) -> str | None:
    """Take a free slot for the window; None when all are taken."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    keys = subject.slot_keys
    taken = cache.get_many(keys)
    for key in keys:
        # add() fails if a parallel attempt took this slot first: try the next one.
        if key not in taken and cache.add(key, time.time(), timeout=window):
            return key
    return None


def login_attempt_start(*, username: str, address: str) -> LoginAttempt:
    """Claim a slot for this username and this address, or raise LoginThrottledError when
    either is locked or out of slots. Call before checking the password."""
    subjects = [_Subject("user", _normalize_username(username), settings.LOGIN_FAILURE_LIMIT)]
    if address:
        subjects.append(_Subject("address", address, settings.LOGIN_FAILURE_ADDRESS_LIMIT))

    now = time.time()
    locks = cache.get_many([subject.lock_key for subject in subjects])
    for subject in subjects:
        locked_until = locks.get(subject.lock_key)
        if locked_until is not None and locked_until > now:
            raise LoginThrottledError(retry_after=math.ceil(locked_until - now))

    claimed: list[str] = []
    for subject in subjects:
        slot = _claim_slot(subject)
        if slot is None:
            cache.delete_many(claimed)
            raise LoginThrottledError(retry_after=_lock(subject))
        claimed.append(slot)
    return LoginAttempt(
        username=subjects[0],
        address=subjects[1] if address else None,
        username_slot=claimed[0],
        address_slot=claimed[1] if address else None,
    )


def login_attempt_fail(*, attempt: LoginAttempt) -> None:
    """The password was wrong: the attempt keeps its slots; a subject whose slots are now all
    taken is locked for the window."""
    for subject in attempt.subjects:
        if len(cache.get_many(subject.slot_keys)) >= subject.limit:
            _lock(subject)


def login_attempt_succeed(*, attempt: LoginAttempt) -> None:
    """The password was right: forget the username's failures. The address keeps the others'
    failures (so signing in to one's own account cannot reset a guessing address) and frees
    only this attempt's slot."""
    cache.delete_many([*attempt.username.slot_keys, attempt.username.lock_key])
    if attempt.address_slot:
        cache.delete(attempt.address_slot)
