"""Production settings (DEBUG off), checked in fresh processes with a clean environment: the
deploy checks pass, a missing or weak SECRET_KEY stops the start, static files are collected
and served by whitenoise from the manifest."""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.test import Client

BASE_DIR = Path(django_settings.BASE_DIR)
PRODUCTION_HOST = "crm.example.com"

_DUMP_SETTINGS = """
import json, sys
import django
django.setup()
from django.conf import settings
print(json.dumps({name: getattr(settings, name) for name in sys.argv[1:]}, default=str))
"""


def production_env(tmp_path: Path, **overrides: str | None) -> dict[str, str]:
    """A clean production environment: nothing inherited, no `.env` read, a fresh random key.
    An override of None removes the variable."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "crm.settings",
        "ENV_FILE": str(tmp_path / "absent.env"),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(45),
        "ALLOWED_HOSTS": PRODUCTION_HOST,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
    }
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


def run_manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def production_settings(tmp_path: Path, *names: str) -> dict[str, object]:
    """The named settings as a production process sees them."""
    result = subprocess.run(
        [sys.executable, "-c", _DUMP_SETTINGS, *names],
        cwd=BASE_DIR,
        env=production_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_passes_the_deploy_checks_without_warnings(tmp_path: Path) -> None:
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], production_env(tmp_path))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNINGS" not in result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    "secret_key",
    [
        pytest.param(None, id="unset"),
        pytest.param("", id="empty"),
        pytest.param("dev-insecure-change-me", id="the-development-key"),
        pytest.param("too-short-to-be-safe", id="short"),
        pytest.param("ab" * 40, id="few-distinct-characters"),
        pytest.param("django-insecure-" + secrets.token_urlsafe(45), id="django-insecure"),
    ],
)
def test_it_refuses_to_start_without_a_real_secret_key(
    tmp_path: Path, secret_key: str | None
) -> None:
    result = run_manage(["check"], production_env(tmp_path, SECRET_KEY=secret_key))

    assert result.returncode != 0
    assert "django.core.exceptions.ImproperlyConfigured: SECRET_KEY must be set to a long " in (
        result.stderr
    )


def test_it_treats_an_unset_debug_as_production(tmp_path: Path) -> None:
    result = run_manage(["check"], production_env(tmp_path, DEBUG=None, SECRET_KEY=None))

    assert result.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY must be set" in result.stderr


def test_it_starts_in_debug_with_the_development_key(tmp_path: Path) -> None:
    result = run_manage(["check"], production_env(tmp_path, DEBUG="true", SECRET_KEY=None))

    assert result.returncode == 0, result.stderr


def test_it_turns_on_the_production_security_settings(tmp_path: Path) -> None:
    values = production_settings(
        tmp_path,
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_PROXY_SSL_HEADER",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SESSION_COOKIE_SECURE",
        "SESSION_COOKIE_HTTPONLY",
        "CSRF_COOKIE_SECURE",
        "X_FRAME_OPTIONS",
        "SECURE_CONTENT_TYPE_NOSNIFF",
        "SECURE_REFERRER_POLICY",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY",
        "ALLOWED_HOSTS",
    )

    assert values == {
        "DEBUG": False,
        "SECURE_SSL_REDIRECT": True,
        # The scheme comes from gunicorn, which believes X-Forwarded-Proto only from trusted peers.
        "SECURE_PROXY_SSL_HEADER": None,
        "SECURE_HSTS_SECONDS": 31536000,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": True,
        "SECURE_HSTS_PRELOAD": True,
        "SESSION_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "CSRF_COOKIE_SECURE": True,
        "X_FRAME_OPTIONS": "DENY",
        "SECURE_CONTENT_TYPE_NOSNIFF": True,
        "SECURE_REFERRER_POLICY": "same-origin",
        "SECURE_CROSS_ORIGIN_OPENER_POLICY": "same-origin",
        "ALLOWED_HOSTS": [PRODUCTION_HOST],
    }


def test_it_serves_static_files_with_whitenoise_and_shares_its_cache(tmp_path: Path) -> None:
    values = production_settings(tmp_path, "MIDDLEWARE", "STORAGES", "CACHES")

    middleware = values["MIDDLEWARE"]
    assert middleware[:2] == [
        "django.middleware.security.SecurityMiddleware",
        "whitenoise.middleware.WhiteNoiseMiddleware",
    ]
    assert "django.middleware.csp.ContentSecurityPolicyMiddleware" in middleware
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )
    # The failed sign-in counters must be shared by every worker, not kept per process.
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert cache["LOCATION"] == "crm_cache"
    # A flood of guesses cannot push live counters out of the table.
    assert cache["OPTIONS"]["MAX_ENTRIES"] == 100000


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """collectstatic run once, as production runs it, into a folder of its own."""
    work = tmp_path_factory.mktemp("production")
    static_root = work / "static"
    result = run_manage(
        ["collectstatic", "--noinput"], production_env(work, STATIC_ROOT=str(static_root))
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return static_root


def test_it_collects_static_files_with_a_manifest(collected_static: Path) -> None:
    manifest = json.loads((collected_static / "staticfiles.json").read_text())

    hashed_css = manifest["paths"]["css/app.css"]
    assert re.fullmatch(r"css/app\.[0-9a-f]{12}\.css", hashed_css)
    assert (collected_static / hashed_css).is_file()
    assert (collected_static / f"{hashed_css}.gz").is_file()
    assert (collected_static / manifest["paths"]["js/app.js"]).is_file()


def test_it_renders_the_login_page_with_debug_off(
    collected_static: Path, settings, client: Client, db
) -> None:
    settings.DEBUG = False
    settings.STATIC_ROOT = collected_static
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    settings.WHITENOISE_USE_FINDERS = False
    settings.WHITENOISE_AUTOREFRESH = False

    page = client.get("/login/")

    assert page.status_code == 200
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page.content.decode())
    assert stylesheet, "the page links the hashed stylesheet from the manifest"
    css = client.get(stylesheet.group(1), HTTP_ACCEPT_ENCODING="gzip")
    assert css.status_code == 200
    assert css["Content-Encoding"] == "gzip"
    assert "immutable" in css["Cache-Control"]
