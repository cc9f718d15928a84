"""Failed sign-in throttling: count failures per username and per client address in the cache.

Once either count reaches its limit inside the window, every further attempt for that username
(or from that address) is refused until the window has passed, before any password is checked.
The counters live in the default cache so that every app process shares them (production uses
a shared cache; see settings.CACHES).
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
import unicodedata

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


def _normalize_username(username: str) -> str:
    # The same folding AuthenticationForm applies (NFKC, stripped), plus case folding, so
    # "Sam", "SAM " and "sam" share one counter.
    return unicodedata.normalize("NFKC", username).strip().casefold()


def _key(kind: str, value: str, suffix: str) -> str:
    # Hashed: usernames are arbitrary user input, and some cache backends refuse long keys,
    # spaces or control characters.
    digest = hashlib.sha256(value.encode()).hexdigest()
    return f"{_KEY_PREFIX}:{kind}:{digest}:{suffix}"


def _subjects(*, username: str, address: str) -> list[tuple[str, str, int]]:
    """(kind, value, limit) for every counter an attempt touches."""
    subjects = [("user", _normalize_username(username), settings.LOGIN_FAILURE_LIMIT)]
    if address:
        subjects.append(("address", address, settings.LOGIN_FAILURE_ADDRESS_LIMIT))
    return subjects


def login_throttle_check(*, username: str, address: str) -> None:
    """Raise LoginThrottledError if this username or address is locked out right now."""
    now = time.time()
    for kind, value, _limit in _subjects(username=username, address=address):
        locked_until = cache.get(_key(kind, value, "locked-until"))
        if locked_until is not None and locked_until > now:
            raise LoginThrottledError(retry_after=math.ceil(locked_until - now))


def login_failure_record(*, username: str, address: str) -> None:
    """Count one failed sign-in; lock the username or address once it reaches its limit."""
    window = settings.LOGIN_FAILURE_WINDOW_SECONDS
    for kind, value, limit in _subjects(username=username, address=address):
        key = _key(kind, value, "failures")
        # add() starts the window on the first failure; incr() keeps the counter's expiry.
        cache.add(key, 0, timeout=window)
        try:
            failures = cache.incr(key)
        except ValueError:
            # The counter expired between add() and incr(): this failure opens a new window.
            cache.set(key, 1, timeout=window)
            failures = 1
        if failures >= limit:
            cache.set(_key(kind, value, "locked-until"), time.time() + window, timeout=window)
            cache.delete(key)
            logger.warning(
                "Sign-in locked for %s seconds: %s failed attempts for one %s%s.",
                window,
                failures,
                kind,
                f" ({address})" if kind == "address" else "",
            )


def login_failures_clear(*, username: str) -> None:
    """A successful sign-in forgets the username's earlier failures."""
    normalized = _normalize_username(username)
    cache.delete_many(
        [_key("user", normalized, "failures"), _key("user", normalized, "locked-until")]
    )
