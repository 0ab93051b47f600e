"""The running app against its own OpenAPI document (schemathesis, property-based).

Every operation gets generated requests, valid and invalid by the schema, sent with a
reviewer's bearer token through the WSGI app: no answer may be a 5xx, and every answer's
status, content type, headers and body must be the ones the document declares.
"""

from __future__ import annotations

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from schemathesis import checks

from linker.store import Store
from linker.store.users import add_user
from service import create_app

TOKEN_KEY = "reviewer_token"


@pytest.fixture
def api_app(review_db_url: str) -> Flask:
    with Store.open(review_db_url).session() as session:
        user = add_user(session, "rita", "reviewer", token=True)
    app = create_app({"TESTING": True, "DATABASE_URL": review_db_url, "RATELIMIT_ENABLED": False})
    app.config[TOKEN_KEY] = user.token
    return app


@pytest.fixture
def api_schema(api_app: Flask) -> schemathesis.BaseSchema:
    headers = {"Authorization": f"Bearer {api_app.config[TOKEN_KEY]}"}
    return schemathesis.openapi.from_wsgi("/api/openapi.json", api_app, headers=headers)


schema = schemathesis.pytest.from_fixture("api_schema")
# "Valid by the schema" is not "acceptable": a record whose only field is `sex` is
# well-formed yet has nothing to match on (422 by design, documented), and a decision
# may name two records the run does not hold (404). Every other built-in check runs.
EXCLUDED = [checks.positive_data_acceptance]


@schema.parametrize()
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_conforms_to_its_document(case: schemathesis.Case, api_app: Flask) -> None:
    headers = {"Authorization": f"Bearer {api_app.config[TOKEN_KEY]}"}
    # call_and_validate raises on any failed check (5xx, undocumented status or body,
    # schema-violating input accepted ...); the assertion states the floor explicitly.
    response = case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)
    assert response.status_code < 500
