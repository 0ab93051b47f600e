"""Small builders of OpenAPI fragments shared by the API's and the family routes' parts
of the document."""

from __future__ import annotations

from typing import Any, Final

JSON: Final = "application/json"
# The shared error responses, defined once under components/responses.
_ERROR_RESPONSES: Final = {
    "400": "Malformed",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "NotFound",
    "413": "TooLarge",
    "422": "Invalid",
}


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def json_content(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": schema}}}


def errors(*codes: str) -> dict[str, Any]:
    """References to the shared error responses for these status codes."""
    return {code: {"$ref": f"#/components/responses/{_ERROR_RESPONSES[code]}"} for code in codes}
