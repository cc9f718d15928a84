from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """The request type views see: django-htmx adds `htmx`; login is required everywhere."""

    htmx: HtmxDetails
    user: AbstractBaseUser | AnonymousUser
