"""Sign in, sign out, the login redirect, and the failed sign-in throttle."""

from __future__ import annotations

import time
from collections.abc import Iterator
from unittest import mock

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from crm.services.login_throttle import (
    LOGIN_THROTTLED,
    LoginThrottledError,
    login_attempt_fail,
    login_attempt_start,
)
from tests.factories import DEFAULT_PASSWORD, UserFactory

LIMIT = 5
ADDRESS_LIMIT = 8
WINDOW = 300
THROTTLED_5_MINUTES = LOGIN_THROTTLED.format(minutes=5, unit="minutes")
INVALID_LOGIN = "Please enter a correct username and password"


@pytest.fixture(autouse=True)
def _throttle(settings, db) -> Iterator[None]:
    """Known limits, and counters that neither leak into nor come from other tests."""
    settings.LOGIN_FAILURE_LIMIT = LIMIT
    settings.LOGIN_FAILURE_ADDRESS_LIMIT = ADDRESS_LIMIT
    settings.LOGIN_FAILURE_WINDOW_SECONDS = WINDOW
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def still_clock() -> Iterator[None]:
    """The clock stands still, so that Retry-After is the whole window however long the
    attempts before took (seconds pass between them on a busy machine)."""
    with mock.patch("time.time", return_value=time.time()):
        yield


def _sign_in(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def _fail(client: Client, username: str, times: int, address: str = "127.0.0.1") -> None:
    for _ in range(times):
        response = _sign_in(client, username, "wrong password", address)
        assert response.status_code == 200
        assert INVALID_LOGIN in response.content.decode()


def test_it_shows_the_login_page(client: Client, db) -> None:
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<label for="id_username">Username</label>' in html
    assert '<label for="id_password">Password</label>' in html
    assert "csrfmiddlewaretoken" in html


def test_it_signs_in_and_goes_to_the_lead_list(client: Client, salesperson: User) -> None:
    response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-list")
    assert client.session["_auth_user_id"] == str(salesperson.pk)


def test_it_follows_next_after_signing_in(client: Client, salesperson: User) -> None:
    response = client.post(
        reverse("login"),
        {"username": "sam", "password": DEFAULT_PASSWORD, "next": "/accounts/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/accounts/"


def test_it_refuses_a_next_on_another_host(client: Client, salesperson: User) -> None:
    response = client.post(
        reverse("login"),
        {"username": "sam", "password": DEFAULT_PASSWORD, "next": "https://evil.example/"},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead-list")


def test_it_rejects_a_wrong_password_with_a_message(client: Client, salesperson: User) -> None:
    response = _sign_in(client, "sam", "wrong password")

    assert response.status_code == 200
    assert INVALID_LOGIN in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_it_names_the_missing_fields(client: Client, db) -> None:
    response = client.post(reverse("login"), {"username": "", "password": ""})

    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="id_username_error"' in html
    assert 'id="id_password_error"' in html
    assert "This field is required." in html


def test_it_redirects_anonymous_users_to_the_login_page(client: Client, db) -> None:
    response = client.get("/leads/")

    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/leads/"


def test_it_signs_out_on_post(sales_client: Client) -> None:
    response = sales_client.post(reverse("logout"))

    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert "_auth_user_id" not in sales_client.session
    assert sales_client.get("/leads/")["Location"] == "/login/?next=/leads/"


def test_it_rejects_get_on_logout(sales_client: Client, salesperson: User) -> None:
    response = sales_client.get(reverse("logout"))

    assert response.status_code == 405
    assert sales_client.session["_auth_user_id"] == str(salesperson.pk)


def test_it_refuses_logout_without_the_csrf_token(salesperson: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(salesperson)

    response = client.post(reverse("logout"))

    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(salesperson.pk)


@pytest.mark.usefixtures("still_clock")
def test_it_throttles_after_the_limit_even_with_the_right_password(
    client: Client, salesperson: User
) -> None:
    _fail(client, "sam", LIMIT)

    response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW)
    html = response.content.decode()
    assert THROTTLED_5_MINUTES == ("Too many failed sign-in attempts. Try again in 5 minutes.")
    assert THROTTLED_5_MINUTES in html
    assert 'role="alert"' in html
    assert 'value="sam"' in html
    assert "_auth_user_id" not in client.session


def test_it_does_not_check_the_password_while_throttled(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT)

    # The password check is ModelBackend's, which the throttled backend calls after it has
    # taken the attempt's place in the count (it used to be the form's authenticate() call,
    # before the throttle moved into the backend that every sign-in page shares).
    with mock.patch.object(ModelBackend, "authenticate", return_value=None) as password_check:
        _sign_in(client, "olga", "any password")
        assert password_check.call_count == 1, "an unthrottled attempt checks the password"
        response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert password_check.call_count == 1


def test_it_allows_attempts_below_the_limit(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT - 1)

    response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_it_counts_usernames_case_insensitively(client: Client, salesperson: User) -> None:
    _fail(client, "Sam", 2)
    _fail(client, "SAM ", 2)
    _fail(client, "sam", 1)

    response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 429


def test_it_leaves_other_usernames_alone(
    client: Client, salesperson: User, other_salesperson: User
) -> None:
    _fail(client, "sam", LIMIT)

    response = _sign_in(client, "olga", DEFAULT_PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(other_salesperson.pk)


def test_it_clears_the_username_count_on_success(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT - 1)
    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 302
    client.post(reverse("logout"))

    # Another address, so only the username's counter can refuse: without the clear it would
    # reach the limit here.
    _fail(client, "sam", LIMIT - 1, address="198.51.100.2")
    response = _sign_in(client, "sam", DEFAULT_PASSWORD, address="198.51.100.2")

    assert response.status_code == 302


def test_it_does_not_count_empty_fields(client: Client, salesperson: User) -> None:
    for _ in range(LIMIT + 1):
        assert client.post(reverse("login"), {"username": "sam", "password": ""}).status_code == 200

    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 302


def test_it_lets_the_user_in_once_the_window_has_passed(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT)
    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 429
    later = time.time() + WINDOW + 1

    with mock.patch("time.time", return_value=later):
        response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 302


def test_it_tells_the_minutes_left(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT)
    almost_over = time.time() + WINDOW - 30

    with mock.patch("time.time", return_value=almost_over):
        response = _sign_in(client, "sam", DEFAULT_PASSWORD)

    assert response.status_code == 429
    assert "Try again in 1 minute." in response.content.decode()


def test_it_throttles_an_address_that_tries_many_usernames(
    client: Client, salesperson: User
) -> None:
    for n in range(ADDRESS_LIMIT):
        _fail(client, f"guess{n}", 1, address="203.0.113.7")

    refused = _sign_in(client, "sam", DEFAULT_PASSWORD, address="203.0.113.7")
    elsewhere = _sign_in(client, "sam", DEFAULT_PASSWORD, address="198.51.100.2")

    assert refused.status_code == 429
    assert THROTTLED_5_MINUTES in refused.content.decode()
    assert elsewhere.status_code == 302


def test_it_ignores_a_forged_forwarded_for_header(client: Client, salesperson: User) -> None:
    for n in range(ADDRESS_LIMIT):
        client.post(
            reverse("login"),
            {"username": f"guess{n}", "password": "wrong password"},
            REMOTE_ADDR="203.0.113.7",
            HTTP_X_FORWARDED_FOR=f"10.0.0.{n}",
        )

    response = _sign_in(client, "sam", DEFAULT_PASSWORD, address="203.0.113.7")

    assert response.status_code == 429


def test_it_keeps_next_while_throttled(client: Client, salesperson: User) -> None:
    _fail(client, "sam", LIMIT)

    response = client.post(
        reverse("login"),
        {"username": "sam", "password": DEFAULT_PASSWORD, "next": "/accounts/"},
    )

    assert response.status_code == 429
    assert 'name="next" value="/accounts/"' in response.content.decode()


def test_it_does_not_clear_the_address_count_on_success(client: Client, salesperson: User) -> None:
    # Otherwise signing in to one's own account between guesses would reset the address.
    for n in range(ADDRESS_LIMIT - 1):
        _fail(client, f"guess{n}", 1)
    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 302

    _fail(client, "guess-last", 1)

    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 429


def test_it_counts_inactive_users_like_wrong_passwords(client: Client, db) -> None:
    UserFactory(username="gone", is_active=False)
    _fail(client, "gone", LIMIT)

    assert _sign_in(client, "gone", DEFAULT_PASSWORD).status_code == 429


def test_it_counts_users_that_do_not_exist(client: Client, db) -> None:
    _fail(client, "ghost", LIMIT)

    response = _sign_in(client, "ghost", "anything")

    assert response.status_code == 429


# Every sign-in page shares the one throttle ----------------------------------------------------

ADMIN_LOGIN = "/admin/login/"
INVALID_ADMIN_LOGIN = "Please enter the correct username and password for a staff account."


def _admin_sign_in(client: Client, username: str, password: str, address: str = "127.0.0.1"):
    return client.post(
        f"{ADMIN_LOGIN}?next=/admin/",
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def _admin_fail(client: Client, username: str, times: int) -> None:
    for _ in range(times):
        response = _admin_sign_in(client, username, "wrong password")
        assert response.status_code == 200
        assert INVALID_ADMIN_LOGIN in response.content.decode()


def _assert_refused(client: Client, response) -> None:
    assert response.status_code == 429
    assert response["Retry-After"] == str(WINDOW)
    assert THROTTLED_5_MINUTES in response.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302, "no session: admin sends to its sign-in"
    assert client.get("/leads/")["Location"] == "/login/?next=/leads/"


@pytest.fixture
def staff(db) -> User:
    return UserFactory(username="ada", admin=True)


@pytest.mark.usefixtures("still_clock")
def test_a_user_locked_on_the_app_page_cannot_sign_in_to_admin(client: Client, staff) -> None:
    _fail(client, "ada", LIMIT)

    response = _admin_sign_in(client, "ada", DEFAULT_PASSWORD)

    _assert_refused(client, response)
    assert 'name="next" value="/admin/"' in response.content.decode()


@pytest.mark.usefixtures("still_clock")
def test_a_user_locked_on_the_admin_page_cannot_sign_in_on_either(client: Client, staff) -> None:
    _admin_fail(client, "ada", LIMIT)

    _assert_refused(client, _sign_in(client, "ada", DEFAULT_PASSWORD))
    _assert_refused(client, _admin_sign_in(client, "ADA", DEFAULT_PASSWORD))


@pytest.mark.usefixtures("still_clock")
def test_failures_on_both_pages_count_together(client: Client, staff) -> None:
    _fail(client, "ada", 3)
    _admin_fail(client, "ada", LIMIT - 3)

    _assert_refused(client, _sign_in(client, "ada", DEFAULT_PASSWORD))
    _assert_refused(client, _admin_sign_in(client, "ada", DEFAULT_PASSWORD))


def test_the_admin_page_signs_in_below_the_limit(client: Client, staff) -> None:
    _admin_fail(client, "ada", LIMIT - 1)

    response = _admin_sign_in(client, "ada", DEFAULT_PASSWORD)

    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["_auth_user_id"] == str(staff.pk)


@pytest.mark.usefixtures("still_clock")
def test_an_address_guessing_on_the_admin_page_is_locked_on_both(client: Client, staff) -> None:
    for n in range(ADDRESS_LIMIT):
        _admin_sign_in(client, f"guess{n}", "wrong password", address="203.0.113.7")

    _assert_refused(client, _sign_in(client, "ada", DEFAULT_PASSWORD, address="203.0.113.7"))
    _assert_refused(client, _admin_sign_in(client, "ada", DEFAULT_PASSWORD, "203.0.113.7"))
    assert _admin_sign_in(client, "ada", DEFAULT_PASSWORD, "198.51.100.2").status_code == 302


def test_a_sign_in_from_code_is_refused_too(client: Client, staff) -> None:
    _fail(client, "ada", LIMIT)

    with pytest.raises(LoginThrottledError):
        authenticate(username="ada", password=DEFAULT_PASSWORD)


@pytest.fixture(params=["memory", "database"])
def any_cache(request, settings, db) -> str:
    """The development cache and the production one (the database, shared by every worker)."""
    if request.param == "database":
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.db.DatabaseCache",
                "LOCATION": "test_login_throttle_cache",
            }
        }
        call_command("createcachetable", verbosity=0)
    return request.param


def test_it_throttles_on_every_cache_backend(
    any_cache: str, client: Client, salesperson: User, other_salesperson: User
) -> None:
    _fail(client, "sam", LIMIT)

    assert _sign_in(client, "sam", DEFAULT_PASSWORD).status_code == 429
    assert _sign_in(client, "olga", DEFAULT_PASSWORD).status_code == 302


def test_it_clears_on_success_on_every_cache_backend(
    any_cache: str, client: Client, salesperson: User
) -> None:
    _fail(client, "sam", LIMIT - 1, address="198.51.100.1")
    assert _sign_in(client, "sam", DEFAULT_PASSWORD, address="198.51.100.1").status_code == 302

    _fail(client, "sam", LIMIT - 1, address="198.51.100.2")

    assert _sign_in(client, "sam", DEFAULT_PASSWORD, address="198.51.100.2").status_code == 302


def test_it_lets_no_more_parallel_attempts_through_than_the_limit(any_cache: str) -> None:
    # Attempts that have started but not finished (their password checks running at the same
    # time) already hold their slots, so the next one is refused before its password is checked.
    started = [login_attempt_start(username="sam", address="203.0.113.7") for _ in range(LIMIT)]

    with pytest.raises(LoginThrottledError) as refused:
        login_attempt_start(username="SAM", address="203.0.113.8")

    assert refused.value.message == THROTTLED_5_MINUTES
    for attempt in started:
        login_attempt_fail(attempt=attempt)
    with pytest.raises(LoginThrottledError):
        login_attempt_start(username="sam", address="203.0.113.9")


def test_the_favicon_needs_no_login(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")
