"""Who calls the API: an API token (`Authorization: Bearer crm_...`) or the signed-in
browser session (with its CSRF token on every change), and the rate limit per token.

Both give the request the user whose permissions apply: the same services decide, so the API
can do exactly what that user can do on the screens.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import SimpleRateThrottle

from api.services.tokens import api_token_authenticate


class ApiTokenAuth(HttpBearer):
    """A per-user API token; the request then acts as the token's user."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = api_token_authenticate(token)
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


class BrowserSessionAuth(SessionAuth):
    """The signed-in session, for the browser (and the docs page): a change needs the CSRF
    token, as every form does. A request that sends a token is judged by the token alone."""

    def __call__(self, request: HttpRequest) -> Any:
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        return super().__call__(request)


class ApiRateThrottle(SimpleRateThrottle):
    """`API_RATE_LIMIT` requests per token (or per user for the browser session), counted in
    Django's cache (the database cache in production, shared by every worker). The limit is
    read on each request, so it can be changed in settings (and in tests)."""

    scope = "api"
    THROTTLE_RATES = {"api": "600/min"}

    def allow_request(self, request: HttpRequest) -> bool:
        self.rate = settings.API_RATE_LIMIT
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request)

    def get_cache_key(self, request: HttpRequest) -> str | None:
        api_token = getattr(request, "api_token", None)
        if api_token is not None:
            ident = f"token-{api_token.pk}"
        elif request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            return None
        return self.cache_format % {"scope": self.scope, "ident": ident}
