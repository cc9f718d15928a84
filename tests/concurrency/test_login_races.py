"""Wrong passwords guessed in parallel on both sign-in pages: no more password checks than the
limit. Each attempt takes its place in the count before its (slow) password check, so the
attempts past the limit are refused while the first ones are still being checked; a throttle
that counts failures after the check would let every parallel guess through."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from unittest import mock

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client

from tests.concurrency.tools import POSTGRES_ONLY, run_together
from tests.factories import UserFactory

pytestmark = POSTGRES_ONLY

LIMIT = 5
GUESSES = 12
PASSWORD_CHECK_SECONDS = 0.5


def _guess(path: str, n: int) -> Callable[[], int]:
    def post() -> int:
        response = Client().post(
            path, {"username": "ada", "password": f"guess {n}"}, REMOTE_ADDR=f"203.0.113.{n}"
        )
        return response.status_code

    return post


def test_parallel_guesses_on_both_pages_get_no_more_checks_than_the_limit(settings, capsys):
    # The production cache: the database, shared by every worker process.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "test_login_race_cache",
        }
    }
    call_command("createcachetable", verbosity=0)
    cache.clear()
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    UserFactory(username="ada", admin=True)
    checks = 0
    counting = threading.Lock()
    check_password = ModelBackend.authenticate

    def slow_check(self: ModelBackend, *args: Any, **kwargs: Any) -> Any:
        nonlocal checks
        with counting:
            checks += 1
        time.sleep(PASSWORD_CHECK_SECONDS)
        return check_password(self, *args, **kwargs)

    paths = ["/login/", "/admin/login/"]
    with mock.patch.object(ModelBackend, "authenticate", slow_check):
        outcomes = run_together(*[_guess(paths[n % 2], n) for n in range(GUESSES)])

    statuses = Counter(outcome.value for outcome in outcomes)
    with capsys.disabled():
        print(
            f"\n{GUESSES} parallel wrong passwords on /login/ and /admin/login/ (limit {LIMIT}): "
            f"{checks} password checks, {statuses[200]} answered 'wrong', "
            f"{statuses[429]} refused with 429"
        )
    assert [outcome.error for outcome in outcomes] == [None] * GUESSES
    assert checks == LIMIT
    assert statuses == {200: LIMIT, 429: GUESSES - LIMIT}
    cache.clear()
