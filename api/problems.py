"""Errors as RFC 9457 problem details (`application/problem+json`), with the messages the
screens show: every refusal is a service's `DomainError`, raised once and answered here.

    {"type": "about:blank", "title": "Conflict", "status": 409,
     "detail": "This lead is already qualified.", "errors": [...], "matches": {...}}
"""

from __future__ import annotations

import json
from http import HTTPStatus
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from api.services.tokens import ApiTokenError
from crm.errors import DomainError
from leads.services.errors import (
    DisqualifyReasonError,
    LeadClosedError,
    LeadGoneError,
    LeadHasOpportunityError,
    LeadNotClosedError,
    LeadPermissionError,
    LeadReadOnlyError,
)
from qualification.engine import (
    DuplicatesFoundError,
    LeadNotOwnedError,
    NeedsReviewError,
    QualifyValidationError,
)
from qualification.engine import LeadGoneError as QualifyLeadGoneError
from qualification.tasks import BulkJobError

PROBLEM_CONTENT_TYPE = "application/problem+json"
NOT_SIGNED_IN = "Sign in, or send an API token: Authorization: Bearer <token>."
NOT_FOUND = "Not found."
NOT_ALLOWED = "You are not allowed to do this."
BAD_INPUT = "Correct the errors below."
TOO_MANY = "Too many requests: try again in {seconds} seconds."

# The status each refusal answers with; the first class in the error's MRO that is listed wins.
STATUS_OF: dict[type[DomainError], int] = {
    LeadPermissionError: 403,
    LeadNotOwnedError: 403,
    LeadGoneError: 404,
    QualifyLeadGoneError: 404,
    ApiTokenError: 404,
    DuplicatesFoundError: 409,
    NeedsReviewError: 409,
    LeadClosedError: 409,
    LeadReadOnlyError: 409,
    LeadNotClosedError: 409,
    LeadHasOpportunityError: 409,
    BulkJobError: 409,
    QualifyValidationError: 422,
    DisqualifyReasonError: 422,
}


def problem(status: int, detail: str, **extra: Any) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
        **extra,
    }
    return HttpResponse(
        json.dumps(body, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE
    )


def _status_of(error: DomainError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 422


def _account_match(account: Any) -> dict[str, Any]:
    return {
        "id": account.pk,
        "name": account.name,
        "website": account.website,
        "email": account.email,
        "city": account.city,
    }


def _contact_match(contact: Any) -> dict[str, Any]:
    return {
        "id": contact.pk,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email,
        "account_id": contact.account_id,
    }


def domain_problem(error: DomainError) -> HttpResponse:
    """The answer to a service's refusal: its message, and what it carries (the fields in
    error, the duplicate matches)."""
    extra: dict[str, Any] = {}
    if isinstance(error, QualifyValidationError):
        extra["errors"] = [
            {
                "record": str(item.record),
                "position": item.position,
                "field": item.field,
                "message": item.message,
                "text": item.text,
            }
            for item in error.problems
        ]
    if isinstance(error, DuplicatesFoundError):
        extra["matches"] = {
            "accounts": [_account_match(account) for account in error.accounts],
            "contacts": [_contact_match(contact) for contact in error.contacts],
        }
    return problem(_status_of(error), error.message, **extra)


def validation_problem(error: DjangoValidationError) -> HttpResponse:
    """A model's own validation (full_clean): the messages the forms show under each field."""
    if hasattr(error, "error_dict"):
        errors = [
            {"field": None if name == "__all__" else name, "message": message}
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        errors = [{"field": None, "message": message} for message in error.messages]
    return problem(422, BAD_INPUT, errors=errors)


def _input_problem(error: NinjaValidationError) -> HttpResponse:
    errors = []
    for item in error.errors:
        location = [str(part) for part in item.get("loc", ())]
        # ("body", "payload", "email") -> "email"; ("query", "limit") -> "limit".
        field = location[-1] if len(location) > 1 else None
        errors.append({"field": field, "location": ".".join(location), "message": item["msg"]})
    return problem(422, BAD_INPUT, errors=errors)


def _throttled(error: Throttled) -> HttpResponse:
    seconds = max(1, round(error.wait or 1))
    return problem(429, TOO_MANY.format(seconds=seconds))


def problem_for(exc: Exception) -> HttpResponse | None:
    """The answer to a refusal a service or a selector raised; None for anything else (a bug:
    it goes on up and answers 500)."""
    if isinstance(exc, DomainError):
        return domain_problem(exc)
    if isinstance(exc, DjangoValidationError):
        return validation_problem(exc)
    if isinstance(exc, Http404):
        return problem(404, NOT_FOUND)
    if isinstance(exc, PermissionDenied):
        return problem(403, str(exc) or NOT_ALLOWED)
    return None


def problem_handlers_install(api: NinjaAPI) -> None:
    def on(exc_class: type[Exception], build: Any) -> None:
        api.add_exception_handler(exc_class, lambda request, exc: build(exc))

    for exc_class in (DomainError, DjangoValidationError, Http404, PermissionDenied):
        on(exc_class, problem_for)
    on(NinjaValidationError, _input_problem)
    on(Throttled, _throttled)

    def authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(401, NOT_SIGNED_IN)
        response["WWW-Authenticate"] = "Bearer"
        return response

    api.add_exception_handler(AuthenticationError, authentication)
    on(HttpError, lambda exc: problem(exc.status_code, str(exc)))
