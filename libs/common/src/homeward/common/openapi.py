"""The OpenAPI document says what the API really answers: every error is one `Problem`
(RFC 9457, `application/problem+json`), documented on the operations that can send it.

The app builder derives each operation's usual errors from its route (a token required: 401;
roles required: 403; path parameters: 404; parameters or a body: 422; a body: 400 and 413;
POST and PATCH: the `Idempotency-Key` header with its 409 and 422); a route adds only what
is special to it (`responses=problem_responses(409)`). FastAPI's own 422 schema, which the
real 422 body never matched, is gone.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from homeward.common.auth.deps import API_PREFIX, current_principal, required_roles
from homeward.common.errors import PROBLEM_JSON
from homeward.common.idempotency import IDEMPOTENT_METHODS, MAX_KEY_LENGTH

PROBLEM_REF = "#/components/schemas/Problem"

# Exactly what `problem_response` and the handlers of homeward.common.errors send.
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "An error (RFC 9457 problem details) with Homeward's extension members.",
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string", "description": "Always `about:blank`."},
        "title": {"type": "string", "example": "Not found"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599, "example": 404},
        "detail": {"type": "string", "example": "no such referral"},
        "instance": {"type": "string", "description": "The request's path."},
        "request_id": {"type": "string", "description": "Quote it when asking for support."},
        "errors": {
            "type": "array",
            "description": "422 only: each field to fix (never the value that was sent).",
            "items": {
                "type": "object",
                "required": ["loc", "msg", "type"],
                "properties": {
                    "loc": {"type": "array", "items": {"type": ["string", "integer"]}},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
        "allowed_next_states": {
            "type": "array",
            "description": "409 on an illegal transition: the states reachable from here.",
            "items": {"type": "string"},
        },
    },
}

_MEANING = {
    400: "The body could not be read (not UTF-8 JSON).",
    401: "No bearer token, or an invalid or expired one.",
    403: "Your role may not call this operation.",
    404: "No such object, or one you may not see (the two look the same).",
    409: "The object's current state does not allow this (or its Idempotency-Key is in use).",
    410: "The protected data of this case were erased.",
    413: "The request body is over the size limit.",
    422: "The request is invalid; `errors` names each field to fix.",
    429: "Too many requests of this kind by you; retry after `Retry-After` seconds.",
}


IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": (
        "Retrying with the same key and request answers the first answer again "
        "(`Idempotent-Replayed: true`); the same key with another request: 422; "
        "while the first is still being handled: 409."
    ),
    "schema": {"type": "string", "minLength": 1, "maxLength": MAX_KEY_LENGTH},
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The `responses=` of a route for errors of its own, each a `Problem`."""
    return {
        status: {
            "description": _MEANING[status],
            "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


def document_errors(app: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Give every operation of `routers` its usual errors (call before the app serves), and
    the document the `Problem` schema."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute):
                usual = problem_responses(*_usual_errors(route))
                route.responses = {**usual, **route.responses}

    generate = app.openapi  # FastAPI's, which caches the document in app.openapi_schema

    def openapi() -> dict[str, Any]:
        document = generate()
        document.setdefault("components", {}).setdefault("schemas", {})
        document["components"]["schemas"]["Problem"] = PROBLEM_SCHEMA
        for path, operations in document.get("paths", {}).items():
            for method, operation in operations.items():
                if method.upper() in IDEMPOTENT_METHODS and path.startswith(API_PREFIX):
                    parameters = operation.setdefault("parameters", [])
                    if IDEMPOTENCY_KEY_PARAMETER not in parameters:
                        parameters.append(IDEMPOTENCY_KEY_PARAMETER)
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _usual_errors(route: APIRoute) -> list[int]:
    calls, has_path, has_parameters = set(), False, False
    pending = [route.dependant]
    while pending:
        dependant = pending.pop()
        calls.add(dependant.call)
        has_path = has_path or bool(dependant.path_params)
        has_parameters = has_parameters or bool(
            dependant.path_params
            or dependant.query_params
            or dependant.header_params
            or dependant.cookie_params
        )
        pending.extend(dependant.dependencies)
    has_body = route.body_field is not None
    keyed = bool(route.methods & IDEMPOTENT_METHODS)  # a key in flight: 409; a bad one: 422
    wanted = {
        400: has_body,
        401: current_principal in calls,
        403: any(required_roles(call) for call in calls),
        404: has_path,
        409: keyed,
        413: has_body,
        422: has_parameters or has_body or keyed,
    }
    return [status for status, applies in wanted.items() if applies]
