from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type views see: django-htmx adds `htmx`; login is required everywhere."""

    htmx: HtmxDetails
    user: AbstractBaseUser | AnonymousUser


SEARCH_TEXT_MAX_LENGTH = 100


def search_text(request: HttpRequest, name: str = "q") -> str:
    """A search box's text from the query string: trimmed, at most 100 characters, and without
    NUL characters (PostgreSQL refuses them in any text parameter)."""
    return request.GET.get(name, "").replace("\x00", "").strip()[:SEARCH_TEXT_MAX_LENGTH]
