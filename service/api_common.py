"""What every JSON blueprint shares: the 4xx error type, CSRF for browser sessions only,
and strict parsing of integer query parameters."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from flask import Blueprint, jsonify, request
from flask_login import current_user

from linker.errors import DataContractError
from service.extensions import csrf

_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# ASCII digits only: int() would also take " 5", "+5" and "٥", which an OpenAPI integer
# parameter does not allow.
_WHOLE_NUMBER = re.compile(r"-?[0-9]{1,9}")
_FLASK_ARGUMENT = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


class ApiError(Exception):
    """A request refused with a 4xx: `error` is a stable code, `message` says what to fix."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def _api_error(error: ApiError) -> Any:
    return jsonify(error=error.error, message=error.message), error.status


def _contract_error(error: DataContractError) -> Any:
    return jsonify(error="invalid_input", message=str(error)), 422


def _csrf_for_sessions() -> None:
    """Programs with a bearer token need no CSRF token; a browser session does, because
    a session cookie is sent by any page the reviewer happens to have open."""
    if request.method in _WRITES and current_user.is_authenticated:
        if not getattr(current_user, "via_token", False):
            csrf.protect()


@cache
def _documented_query_parameters() -> dict[tuple[str, str], frozenset[str]]:
    """(OpenAPI path, method) -> the query parameters the document declares."""
    from service.openapi import openapi_document

    declared = {}
    for path, operations in openapi_document()["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", []) if p["in"] == "query"}
            declared[(path, method.upper())] = frozenset(names)
    return declared


def _reject_undocumented_query() -> None:
    """A misspelt parameter (`min_chidren=5`) is an error, not silently the default."""
    if request.url_rule is None or not request.args:
        return
    path = _FLASK_ARGUMENT.sub(r"{\1}", request.url_rule.rule)
    allowed = _documented_query_parameters().get((path, request.method))
    if allowed is None:
        return
    unknown = sorted(set(request.args) - allowed)
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            f"unknown query parameter(s) {', '.join(repr(u[:40]) for u in unknown[:5])}; "
            f"this route takes {', '.join(sorted(allowed)) or 'none'}",
        )


def json_blueprint(bp: Blueprint) -> Blueprint:
    """Give a JSON blueprint the shared error handlers, CSRF rule and query checking."""
    bp.register_error_handler(ApiError, _api_error)
    bp.register_error_handler(DataContractError, _contract_error)
    bp.before_request(_csrf_for_sessions)
    bp.before_request(_reject_undocumented_query)
    csrf.exempt(bp)  # checked by _csrf_for_sessions, for session callers only
    return bp


def int_arg(name: str, default: int, low: int, high: int) -> int:
    """An integer query parameter within [low, high]; 422 otherwise."""
    text = request.args.get(name)
    if text is None:
        return default
    if not _WHOLE_NUMBER.fullmatch(text):
        raise ApiError(422, "invalid_input", f"{name} must be a whole number")
    value = int(text)
    if not low <= value <= high:
        raise ApiError(422, "invalid_input", f"{name} must be from {low} to {high}")
    return value
