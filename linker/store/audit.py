"""The audit log: every view of a person's record and every decision, with who and when.

Entries name records by `(source, record_key)` and entities by id; `detail` holds
decision kinds, counts and similar, never names, dates of birth or addresses.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from linker.store.schema import AuditEvent

VIEW_RECORD = "view_record"
VIEW_PAIR = "view_pair"
VIEW_ENTITY = "view_entity"
DECIDE = "decision"
SEARCH = "search"
LOOKUP = "lookup"
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOGOUT = "logout"
EXPORT_AUDIT = "export_audit"
ADD_USER = "add_user"
RESET_PASSWORD = "reset_password"
DEACTIVATE_USER = "deactivate_user"
REACTIVATE_USER = "reactivate_user"
ISSUE_TOKEN = "issue_token"
REVOKE_TOKENS = "revoke_tokens"
SETTLE_CONFLICT = "settle_conflict"


def audit(
    session: Session, username: str, action: str, target: str = "", **detail: Any
) -> AuditEvent:
    event = AuditEvent(username=username, action=action, target=target[:500], detail=detail)
    session.add(event)
    return event


def record_target(source: str, record_key: str) -> str:
    return f"{source}:{record_key}"


def audit_events(
    session: Session,
    *,
    username: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[Sequence[AuditEvent], int]:
    """A page of events, newest first, and how many match in all (`until` exclusive)."""
    query = select(AuditEvent)
    if username:
        query = query.where(AuditEvent.username == username)
    if action:
        query = query.where(AuditEvent.action == action)
    if target:
        query = query.where(AuditEvent.target == target)
    if since is not None:
        query = query.where(AuditEvent.at >= since)
    if until is not None:
        query = query.where(AuditEvent.at < until)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    page = session.scalars(
        query.order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit).offset(offset)
    ).all()
    return page, int(total)


def audit_csv(events: Sequence[AuditEvent]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["at", "username", "action", "target", "detail"])
    for e in events:
        writer.writerow(
            [e.at.isoformat(), e.username, e.action, e.target, json.dumps(e.detail, sort_keys=True)]
        )
    return out.getvalue()
