"""Idempotency-Key: a POST sent again with the same key and the same body within 24 hours
gets the first answer again and does nothing a second time; the same key with another body
(or another endpoint) is refused with 422.

The request runs in one transaction with the INSERT of its record, whose (user, key) is unique:
a second request with the key, sent while the first runs, waits on that INSERT (PostgreSQL
holds it until the first commits; SQLite's IMMEDIATE transactions queue), then finds the
record with the first answer and replays it. An answer of 500 or more is not kept (its
transaction is rolled back), so the client may try again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from api.models import IdempotencyRecord

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
LIFETIME = timedelta(hours=24)
REPLAYED_HEADER = "Idempotent-Replayed"
KEY_REUSED = (
    "This Idempotency-Key was already used with another request: send a new key for a new request."
)
KEY_INVALID = f"The Idempotency-Key header must be 1 to {KEY_MAX_LENGTH} characters."


class IdempotencyKeyError(Exception):
    """The key cannot be used: `message` says why (answered with 422)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def request_hash(request: HttpRequest) -> str:
    digest = hashlib.sha256()
    for part in (request.method or "", request.path):
        digest.update(part.encode())
        digest.update(b"\0")
    digest.update(request.body)
    return digest.hexdigest()


def _replay(record: IdempotencyRecord) -> HttpResponse:
    response = HttpResponse(
        record.body, status=record.status_code, content_type=record.content_type
    )
    if record.location:
        response["Location"] = record.location
    response[REPLAYED_HEADER] = "true"
    return response


def idempotent_run(
    *, request: HttpRequest, user: Any, answer: Callable[[], HttpResponse]
) -> HttpResponse:
    """`answer()` once per Idempotency-Key (when the request has one), else as it is."""
    key = request.headers.get(HEADER)
    if key is None:
        return answer()
    if not key.strip() or len(key) > KEY_MAX_LENGTH:
        raise IdempotencyKeyError(KEY_INVALID)
    fingerprint = request_hash(request)
    with transaction.atomic():
        IdempotencyRecord.objects.filter(
            user=user, key=key, created_at__lt=timezone.now() - LIFETIME
        ).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user=user, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            first = IdempotencyRecord.objects.get(user=user, key=key)
            if first.request_hash != fingerprint:
                raise IdempotencyKeyError(KEY_REUSED) from None
            return _replay(first)
        response = answer()
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.content_type = response.get("Content-Type", "")
        record.body = response.content.decode()
        record.location = response.get("Location", "")
        record.save(update_fields=["status_code", "content_type", "body", "location"])
    return response
