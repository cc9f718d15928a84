"""Answers the endpoints build themselves: JSON from a schema, and a POST run once per
Idempotency-Key (its answer kept, refusals included)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from ninja import Schema

from api.problems import problem, problem_for
from api.services.idempotency import IdempotencyKeyError, idempotent_run

JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def json_answer(
    status: int, schema: type[Schema], data: Any, *, location: str = ""
) -> HttpResponse:
    value = data if isinstance(data, Schema) else schema.from_orm(data)
    response = HttpResponse(
        json.dumps(value.model_dump(mode="json"), cls=DjangoJSONEncoder),
        status=status,
        content_type=JSON_CONTENT_TYPE,
    )
    if location:
        response["Location"] = location
    return response


def once(request: HttpRequest, answer: Callable[[], HttpResponse]) -> HttpResponse:
    """`answer()`, or the first answer to this Idempotency-Key. A refusal is an answer too
    (kept and replayed); an unexpected error is not (it answers 500 and keeps nothing)."""

    def guarded() -> HttpResponse:
        try:
            return answer()
        except Exception as exc:
            refusal = problem_for(exc)
            if refusal is None:
                raise
            return refusal

    try:
        return idempotent_run(request=request, user=request.auth, answer=guarded)
    except IdempotencyKeyError as error:
        return problem(422, error.message)
