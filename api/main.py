"""The JSON API, /api/v1/ (Django Ninja): its auth, rate limit, errors and OpenAPI schema.

Every error answer is `application/problem+json`: the schema says so for every 4xx answer of
every operation, and every operation declares the refusals any request may get (401, 403, 404,
409, 422, 429), so a client (and the fuzz run) can rely on the schema for every answer.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from api.auth import ApiRateThrottle, ApiTokenAuth, BrowserSessionAuth
from api.endpoints import leads, qualify, records
from api.problems import PROBLEM_CONTENT_TYPE, problem_handlers_install
from api.schemas import Problem
from api.services.idempotency import HEADER, KEY_MAX_LENGTH

REFUSALS = (401, 403, 404, 409, 422, 429)


class CrmApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        for path in schema["paths"].values():
            for method, operation in path.items():
                _refusals_declare(operation)
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
        schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = (
            Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        )
        return schema


IDEMPOTENCY_PARAMETER = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "description": (
        "Sent again with the same body within 24 hours: the first answer again, nothing done "
        "twice (`Idempotent-Replayed: true`). The same key with another body: 422."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH},
}


def _refusals_declare(operation: dict[str, Any]) -> None:
    responses = operation["responses"]
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for status in REFUSALS:
        responses.setdefault(status, {"description": "Refused (problem details)"})
    for status, response in responses.items():
        if int(status) >= 400:
            response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": problem_ref}}


api = CrmApi(
    title="CRM API",
    version="1",
    description=(
        "Leads, qualification, accounts, contacts and opportunities. Authenticate with "
        "`Authorization: Bearer <token>` (create tokens on the API tokens page), or the "
        "signed-in browser session with its CSRF token."
    ),
    urls_namespace="api",
    auth=[ApiTokenAuth(), BrowserSessionAuth()],
    throttle=[ApiRateThrottle()],
    docs=Swagger(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)
problem_handlers_install(api)
api.add_router("", leads.router)
api.add_router("", qualify.router)
api.add_router("", records.router)


def api_urls() -> tuple[list[Any], str, str]:
    """The API's URLs. They answer 401 themselves, so the site's login redirect is off."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback.login_required = False
    return patterns, app_name, namespace
