"""API tokens: created and revoked by their user (the API tokens page) or by an admin.

A token is 32 random bytes (URL-safe base64, with a `crm_` prefix so that it is recognisable
in a leaked log). Only its SHA-256 is stored: a token is random and long, so a fast hash is
enough (a slow password hash would protect guessable secrets, which these are not), and it lets
a request find its token with one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from api.models import ApiToken
from crm.errors import DomainError

TOKEN_PREFIX = "crm_"
PREFIX_SHOWN = 10
# last_used_at is written at most this often per token, not on every request.
LAST_USED_GRANULARITY = timedelta(minutes=1)
TOKEN_NAME_REQUIRED = "Give the token a name, such as the tool that will use it."
TOKEN_NOT_YOURS = "This token does not exist or is not yours."
TOKEN_ALREADY_REVOKED = "This token was already revoked."


class ApiTokenError(DomainError):
    message = TOKEN_NOT_YOURS


@dataclass(frozen=True)
class NewApiToken:
    """A token just created: `key` is shown once and never stored."""

    token: ApiToken
    key: str


def api_token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def api_token_create(*, user: Any, name: str) -> NewApiToken:
    name = name.strip()
    if not name:
        raise ApiTokenError(TOKEN_NAME_REQUIRED)
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], prefix=key[:PREFIX_SHOWN], key_hash=api_token_hash(key)
    )
    return NewApiToken(token=token, key=key)


def api_token_revoke(*, token_id: int, acting_user: Any) -> ApiToken:
    """Revoke one of the user's tokens; requests with it are refused from now on."""
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update().filter(pk=token_id, user_id=acting_user.pk).first()
        )
        if token is None:
            raise ApiTokenError(TOKEN_NOT_YOURS)
        if token.revoked_at is not None:
            raise ApiTokenError(TOKEN_ALREADY_REVOKED)
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def api_token_authenticate(key: str) -> ApiToken | None:
    """The active token with this key and its (active) user, or None. One query, plus one
    UPDATE of last_used_at at most once a minute per token."""
    if not key.startswith(TOKEN_PREFIX) or len(key) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=api_token_hash(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_GRANULARITY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def api_tokens_of(*, user: Any) -> list[ApiToken]:
    return list(ApiToken.objects.filter(user_id=user.pk))


def api_tokens_revoke(*, token_ids: list[int]) -> int:
    """Revoke tokens whoever they belong to (Django admin); the number revoked."""
    return ApiToken.objects.filter(pk__in=token_ids, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
