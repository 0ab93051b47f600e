"""The JSON API: lookup, the review queue, decisions, entities and search, for programs.

Every route needs a user (a bearer token, or a browser session that then sends its CSRF
token in `X-CSRFToken` on writes); decisions need the reviewer or admin role. Answers
are JSON, errors too: `{"error": <code>, "message": <what to fix>}` with a 4xx, and a
request that is refused changes nothing. The views parse and check the request, call
`linker` (the lookup, the store) and shape the answer; they compute no match. Every
lookup, search, pair, entity and decision is written to the audit log by record keys
and entity ids, never by personal data. The document at `/api/openapi.json`
(`service/openapi.py`) describes all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

from flask import Blueprint, Flask, current_app, jsonify, request, url_for
from sqlalchemy.orm import Session

from linker.lookup import MAX_K, explain_levels, is_text, lookup_index, search_query
from linker.store import audit as A
from linker.store.decisions import pair_state, record_decision
from linker.store.review import EntityView, PairView, RecordView, entity_view, next_pair
from linker.store.runs import latest_run, record_by_key
from linker.store.schema import DECISION_KINDS, Decision
from linker.store.search import MAX_RESULTS, search_records
from service.api_common import ApiError, int_arg, json_blueprint
from service.auth import CAN_DECIDE, CAN_READ, roles_required, username
from service.db import db
from service.openapi import DEFAULT_LIMIT, MAX_KEY, MAX_NOTE, MAX_QUERY, openapi_document

bp = json_blueprint(Blueprint("api", __name__, url_prefix="/api"))

_BIGINT: Final = 2**63 - 1


# --- request parsing -------------------------------------------------------------------


def _json_body() -> dict[str, Any]:
    """The body as a JSON object; 400 when it is not JSON, 422 when not an object."""
    data = request.get_data(cache=True)  # over MAX_CONTENT_LENGTH: 413 from werkzeug
    try:
        body = json.loads(data)
    except (ValueError, RecursionError) as e:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from e
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_input", "the request body must be a JSON object")
    return body


def _only(body: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            f"unknown field(s) in {where}: {', '.join(unknown)}; "
            f"allowed: {', '.join(sorted(allowed))}",
        )


def _string(body: Mapping[str, Any], name: str, where: str, *, max_length: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ApiError(422, "invalid_input", f"{where}.{name} must be a non-empty string")
    if len(value) > max_length:
        raise ApiError(
            422, "invalid_input", f"{where}.{name} is longer than {max_length} characters"
        )
    if not is_text(value):
        raise ApiError(422, "invalid_input", f"{where}.{name} holds characters that are not text")
    return value


def _record_ref(body: Mapping[str, Any], side: str) -> tuple[str, str]:
    ref = body.get(side)
    if not isinstance(ref, dict):
        raise ApiError(422, "invalid_input", f"{side} must be an object with source, record_key")
    _only(ref, {"source", "record_key"}, side)
    return (
        _string(ref, "source", side, max_length=64),
        _string(ref, "record_key", side, max_length=MAX_KEY),
    )


def _require_run(session: Session) -> int:
    run = latest_run(session)
    if run is None:
        raise ApiError(404, "no_run", "no run is stored yet: run `linker reconcile --db` first")
    return run.id


# --- shaping answers -------------------------------------------------------------------


def _record_json(record: RecordView) -> dict[str, Any]:
    return {
        "source": record.source,
        "record_key": record.record_key,
        "entity_id": record.entity_id,
        "a_number": record.a_number,
        "a_number_original": record.a_number_original,
        "standardized": record.standardized,
        "raw": record.raw,
    }


def _pair_json(pair: PairView) -> dict[str, Any]:
    return {
        "pair_id": pair.pair_id,
        "left": _record_json(pair.left),
        "right": _record_json(pair.right),
        "match_probability": pair.match_probability,
        "match_weight": pair.match_weight,
        "review_rank": pair.review_rank,
        "review_reason": pair.review_reason,
        "explanation": explain_levels(pair.explanation),
        "left_members": [_record_json(m) for m in pair.left_members],
        "right_members": [_record_json(m) for m in pair.right_members],
    }


def _decision_json(decision: Decision) -> dict[str, Any]:
    return {
        "id": decision.id,
        "left": {"source": decision.left_source, "record_key": decision.left_record_key},
        "right": {"source": decision.right_source, "record_key": decision.right_record_key},
        "decision": decision.decision,
        "note": decision.note,
        "reviewer": decision.reviewer,
        "decided_at": decision.decided_at.isoformat(),
        "run_id": decision.run_id,
        "needs_second": bool(decision.needs_second),
    }


def _entity_json(entity: EntityView) -> dict[str, Any]:
    return {
        "entity_id": entity.entity_id,
        "a_number": entity.a_number,
        "size": len(entity.members),
        "sources": sorted(entity.by_source),
        "members": [_record_json(m) for m in entity.members],
        "decisions": [_decision_json(d) for d in entity.decisions],
        "linked": [
            {
                "record": _record_json(link.record),
                "member": {"source": link.member[0], "record_key": link.member[1]},
                "awaiting_second": link.awaiting_second,
            }
            for link in entity.linked
        ],
        "split_out": [{"source": s, "record_key": k} for s, k in entity.split_out],
    }


# --- routes ----------------------------------------------------------------------------


@bp.post("/match")
@roles_required(*CAN_READ)
def match() -> Any:
    """One record (canonical fields) -> the k most likely existing entities."""
    body = _json_body()
    _only(body, {"record", "k"}, "the body")
    record = body.get("record")
    if not isinstance(record, dict):
        raise ApiError(422, "invalid_input", "record must be an object of canonical fields")
    k = body.get("k", 10)
    if not isinstance(k, int) or isinstance(k, bool) or not 1 <= k <= MAX_K:
        raise ApiError(422, "invalid_input", f"k must be a whole number from 1 to {MAX_K}")
    with db() as session:
        run_id = _require_run(session)
        candidates = lookup_index(session).match(session, record, k=k)
        A.audit(
            session,
            username(),
            A.LOOKUP,
            ",".join(f"{c.source}:{c.record_key}" for c in candidates),
            fields=sorted(k for k, v in record.items() if v is not None),
            results=len(candidates),
            entities=[c.entity_id for c in candidates],
        )
    return jsonify(run_id=run_id, candidates=[c.to_json() for c in candidates])


@bp.get("/review/next")
@roles_required(*CAN_DECIDE)
def review_next() -> Any:
    """Claim the next pair in the queue for this reviewer; 204 when none is left."""
    with db() as session:
        pair = next_pair(session, username())
        if pair is None:
            return "", 204
        A.audit(
            session,
            username(),
            A.VIEW_PAIR,
            f"{pair.left.target},{pair.right.target}",
            pair_id=pair.pair_id,
        )
        return jsonify(_pair_json(pair))


@bp.post("/decisions")
@roles_required(*CAN_DECIDE)
def create_decision() -> Any:
    """Record a decision on two records of the latest run (any two: decisions are keyed
    by records, so a pair the model never compared can be linked or kept apart)."""
    body = _json_body()
    _only(body, {"left", "right", "decision", "note"}, "the body")
    left, right = _record_ref(body, "left"), _record_ref(body, "right")
    kind = body.get("decision")
    if kind not in DECISION_KINDS:
        raise ApiError(422, "invalid_input", f"decision must be one of {', '.join(DECISION_KINDS)}")
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE or not is_text(note):
        raise ApiError(422, "invalid_input", f"note must be text of at most {MAX_NOTE} characters")
    if left == right:
        raise ApiError(422, "invalid_input", "a decision needs two different records")
    with db() as session:
        run_id = _require_run(session)
        missing = [
            f"{s}:{k}" for s, k in (left, right) if record_by_key(session, run_id, s, k) is None
        ]
        if missing:
            raise ApiError(404, "unknown_record", f"no such record: {', '.join(missing)}")
        decision = record_decision(
            session,
            left,
            right,
            str(kind),
            username(),
            note=note,
            two_person_rule=bool(current_app.config.get("TWO_PERSON_RULE", True)),
        )
        state = pair_state(session, left, right)
        A.audit(
            session,
            username(),
            A.DECIDE,
            f"{left[0]}:{left[1]},{right[0]}:{right[1]}",
            decision=decision.decision,
            decision_id=decision.id,
            needs_second=bool(decision.needs_second),
        )
        answer = _decision_json(decision) | {"state": _state_json(state)}
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_decision", decision_id=answer["id"])
    return response


def _state_json(state: Any) -> dict[str, Any]:
    return {
        "in_force": state.in_force,
        "binds": state.binds,
        "awaiting_second": state.awaiting_second,
        "conflict": state.conflict,
    }


@bp.get("/decisions/<int:decision_id>")
@roles_required(*CAN_READ)
def get_decision(decision_id: int) -> Any:
    with db() as session:
        decision = session.get(Decision, decision_id) if 0 < decision_id <= _BIGINT else None
        if decision is None:
            raise ApiError(404, "not_found", f"no decision {decision_id}")
        left = (decision.left_source, decision.left_record_key)
        right = (decision.right_source, decision.right_record_key)
        answer = _decision_json(decision) | {"state": _state_json(pair_state(session, left, right))}
    return jsonify(answer)


@bp.get("/entities/<entity_id>")
@roles_required(*CAN_READ)
def get_entity(entity_id: str) -> Any:
    """An entity of the latest run: members (records by source), A-number, decisions."""
    with db() as session:
        entity = entity_view(session, entity_id) if len(entity_id) <= 32 else None
        if entity is None:
            raise ApiError(404, "not_found", "no such entity in the latest run")
        A.audit(session, username(), A.VIEW_ENTITY, entity.entity_id, members=len(entity.members))
        return jsonify(_entity_json(entity))


@bp.get("/search")
@roles_required(*CAN_READ)
def search() -> Any:
    """Records matching free text (a name, a date of birth, an A-number, a case key)."""
    text = request.args.get("q", "")
    if not text.strip():
        raise ApiError(
            422, "invalid_input", "q must be a name, a date of birth, an A-number or a case key"
        )
    if len(text) > MAX_QUERY:
        raise ApiError(422, "invalid_input", f"q is longer than {MAX_QUERY} characters")
    limit = int_arg("limit", DEFAULT_LIMIT, 1, MAX_RESULTS)
    query = search_query(text)
    with db() as session:
        hits = search_records(session, query, limit=limit)
        A.audit(
            session,
            username(),
            A.SEARCH,
            ",".join(h.target for h in hits),
            criteria=query.criteria,
            results=len(hits),
        )
        results = [
            {
                "source": h.source,
                "record_key": h.record_key,
                "entity_id": h.entity_id,
                "a_number": h.a_number,
                "full_name": h.full_name,
                "dob": h.dob,
                "dob_year": h.dob_year,
                "score": h.score,
            }
            for h in hits
        ]
    return jsonify(criteria=query.criteria, limit=limit, results=results)


@bp.get("/openapi.json")
def openapi() -> Any:
    return jsonify(openapi_document())


def register(app: Flask) -> None:
    app.register_blueprint(bp)
