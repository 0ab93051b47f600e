"""Helpers of the Flask test-client tests: CSRF tokens, logging in, audit events."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from linker.store import Store
from linker.store.schema import AuditEvent

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


def login(client: FlaskClient, name: str, *, landing: str, password: str = PASSWORD) -> str:
    """Log in through the form; returns a CSRF token read from the `landing` page."""
    token = csrf_token(client.get("/login").text)
    response = client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302
    return csrf_token(client.get(landing).text)


def audit_events(store: Store, action: str) -> list[AuditEvent]:
    with store.session() as s:
        return list(s.scalars(select(AuditEvent).where(AuditEvent.action == action)))
