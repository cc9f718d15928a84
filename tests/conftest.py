from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from qualification.models import FieldMapping
from tests.factories import DEFAULT_PASSWORD, UserFactory

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or ""
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path: Path) -> None:
    """Attachments written by a test land in its own folder, never in the project's media;
    passwords hash fast (the factories hash one for every user they create)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# What the data migrations seed. A transactional test (browser, concurrency) ends with a flush
# that empties every table, so the next one puts these back before it starts.
SEEDING_MIGRATIONS = (
    ("leads.migrations.0002_sales_groups", "create_groups"),
    ("qualification.migrations.0002_default_field_mappings", "create_defaults"),
)


@functools.cache
def _migrated_apps():
    return MigrationLoader(connection).project_state().apps


@pytest.fixture(autouse=True)
def _seeded_data(request) -> None:
    if not {"transactional_db", "live_server"} & set(request.fixturenames) and not any(
        mark.kwargs.get("transaction") for mark in request.node.iter_markers("django_db")
    ):
        return
    request.getfixturevalue("transactional_db")
    # The flush also recreated the content types under new ids.
    ContentType.objects.clear_cache()
    if Group.objects.filter(name="Salespeople").exists() and FieldMapping.objects.exists():
        return
    for module, function in SEEDING_MIGRATIONS:
        getattr(import_module(module), function)(_migrated_apps(), None)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Failed-login counters live in the cache: no test inherits another's."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def salesperson(db) -> User:
    return UserFactory(username="sam", first_name="Sam", last_name="Seller", salesperson=True)


@pytest.fixture
def other_salesperson(db) -> User:
    return UserFactory(username="olga", first_name="Olga", last_name="Other", salesperson=True)


@pytest.fixture
def manager(db) -> User:
    return UserFactory(username="mia", first_name="Mia", last_name="Manager", manager=True)


@pytest.fixture
def admin_user(db) -> User:
    return UserFactory(username="admin", admin=True)


@pytest.fixture
def sales_client(client: Client, salesperson: User) -> Client:
    client.force_login(salesperson)
    return client


# Browser tests: Playwright drives the system Chromium (Playwright cannot download its own here).
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    args = {**browser_type_launch_args, "args": CHROMIUM_FLAGS}
    if CHROMIUM:
        args["executable_path"] = CHROMIUM
    return args


@pytest.fixture
def login(live_server, page):
    """Sign in through the real login page: login(user) and the page is on My Open Leads."""

    def _login(user: User) -> None:
        page.goto(f"{live_server.url}/login/")
        page.get_by_label("Username").fill(user.username)
        page.get_by_label("Password").fill(DEFAULT_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(f"{live_server.url}/leads/**")

    return _login


@pytest.fixture(autouse=True)
def _browser_page(request) -> Iterator[None]:
    if "page" not in request.fixturenames:
        yield
        return
    page = request.getfixturevalue("page")
    page.set_default_timeout(10_000)
    yield
    # Let the page's last requests (a late htmx swap, a poll) finish and stop it polling before
    # the database is reset: the live server shares the test database with the test itself.
    page.wait_for_load_state("networkidle")
    page.goto("about:blank")
