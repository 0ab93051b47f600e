"""The family graph's JSON API, under /api/family (described in service/openapi.py).

Same queries as the pages (:mod:`service.family`), same rules as the rest of the API
(:mod:`service.api`): a bearer token or a browser session, which must then send its
CSRF token in ``X-CSRFToken`` on writes; errors are ``{"error", "message"}`` with a 4xx
(an unknown entity id is 404 ``unknown_entity``); every read and every assertion is in
the audit log by entity ids. Reading needs any role, asserting reviewer or admin.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Flask, jsonify, request, url_for

from linker.family import UnknownEntity, child_status, explain_path
from linker.family import kinds as K
from linker.family.store import CHILD_STATUS, FAMILY_PATH, RED_FLAGS, VIEW_FAMILY, NoRun
from service.api_common import ApiError, int_arg, json_blueprint
from service.auth import CAN_DECIDE, CAN_READ, roles_required
from service.family import (
    MAX_ID,
    NoSuchRelation,
    audit_read,
    current_family,
    family_answer,
    flag_frames,
    jsonable,
    write_assertion,
)
from service.family_openapi import (
    DEFAULT_MAX_NODES,
    MAX_MIN_CHILDREN,
    MAX_NODES,
    MAX_NOTE,
    MAX_RADIUS,
)

bp = json_blueprint(Blueprint("family_api", __name__, url_prefix="/api/family"))


@bp.errorhandler(UnknownEntity)
def _unknown(error: UnknownEntity) -> Any:
    return jsonify(error="unknown_entity", message=str(error)), 404


@bp.errorhandler(NoSuchRelation)
def _no_relation(error: NoSuchRelation) -> Any:
    return jsonify(error="not_found", message=str(error)), 404


@bp.errorhandler(NoRun)
def _no_run(error: NoRun) -> Any:
    return jsonify(error="no_run", message=str(error)), 404


def _entity(value: str) -> str:
    if len(value) > MAX_ID:
        raise UnknownEntity(f"entity ids are at most {MAX_ID} characters")
    return value


# --- reads ----------------------------------------------------------------------------------
@bp.get("/flags")
@roles_required(*CAN_READ)
def flags() -> Any:
    """Red flags: sponsor contacts shared by min_children or more unrelated children,
    children separated from their travelling adult, children with no known relative."""
    min_children = int_arg("min_children", 3, 1, MAX_MIN_CHILDREN)
    family = current_family()
    frames = flag_frames(family, min_children)
    totals = {name: len(frame) for name, frame in frames.items()}
    audit_read(RED_FLAGS, [], min_children=min_children, **totals)
    lists = {
        name: frame.astype(object).where(frame.notna(), None).to_dict("records")
        for name, frame in frames.items()
    }
    return jsonify(jsonable({"run_id": family.run_id, "min_children": min_children, **lists}))


@bp.get("/<entity_id>")
@roles_required(*CAN_READ)
def family(entity_id: str) -> Any:
    """The family of one person: nodes within radius strong steps, edges with kind and
    evidence, people left out by max_nodes counted in `more`."""
    entity_id = _entity(entity_id)
    radius = int_arg("radius", 2, 1, MAX_RADIUS)
    max_nodes = int_arg("max_nodes", DEFAULT_MAX_NODES, 1, MAX_NODES)
    family = current_family()
    answer = family_answer(family, entity_id, radius, max_nodes)
    people = [n["entity_id"] for n in answer["nodes"]]
    audit_read(VIEW_FAMILY, [entity_id], people=people[:50], more=answer["more"], api=True)
    return jsonify({"run_id": family.run_id, **answer})


@bp.get("/<entity_a>/path/<entity_b>")
@roles_required(*CAN_READ)
def path(entity_a: str, entity_b: str) -> Any:
    """How two people are connected: the shortest chain of relations, explained."""
    entity_a, entity_b = _entity(entity_a), _entity(entity_b)
    weak_arg = request.args.get("weak", "1")
    if weak_arg not in ("0", "1"):
        raise ApiError(422, "invalid_input", "weak must be 0 or 1")
    weak = weak_arg == "1"
    family = current_family()
    answer = explain_path(family.graph, entity_a, entity_b, weak=weak)
    audit_read(FAMILY_PATH, [entity_a, entity_b], connected=answer["connected"], api=True)
    return jsonify(jsonable({"from": entity_a, "to": entity_b, **answer}))


@bp.get("/<entity_id>/child")
@roles_required(*CAN_READ)
def child(entity_id: str) -> Any:
    """A child's latest known location (own record or a sponsor's placement) and sponsors."""
    entity_id = _entity(entity_id)
    family = current_family()
    answer = child_status(family.graph, entity_id)
    audit_read(CHILD_STATUS, [entity_id], api=True)
    return jsonify(jsonable(answer))


# --- reviewer-asserted relations ----------------------------------------------------------------
def _body(entity_a: str) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data(cache=True))
    except (ValueError, RecursionError) as e:
        raise ApiError(400, "malformed_json", "the request body is not valid JSON") from e
    if not isinstance(body, dict):
        raise ApiError(422, "invalid_input", "the request body must be a JSON object")
    allowed = {K.ENTITY_B, K.RELATION, "note"}
    unknown = sorted(str(k) for k in body if k not in allowed)
    if unknown:
        raise ApiError(
            422,
            "invalid_input",
            f"unknown field(s): {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}",
        )
    other = body.get(K.ENTITY_B)
    if not isinstance(other, str) or not other or len(other) > MAX_ID:
        raise ApiError(
            422, "invalid_input", f"entity_b must be an entity id of 1 to {MAX_ID} characters"
        )
    if body.get(K.RELATION) not in K.RELATION_KINDS:
        raise ApiError(
            422, "invalid_input", f"relation must be one of {', '.join(K.RELATION_KINDS)}"
        )
    note = body.get("note") or ""
    if not isinstance(note, str) or len(note) > MAX_NOTE:
        raise ApiError(422, "invalid_input", f"note must be text of at most {MAX_NOTE} characters")
    if other == entity_a:
        raise ApiError(422, "invalid_input", "a relation needs two different people")
    return {**body, "note": note}


@bp.post("/<entity_a>/relations")
@roles_required(*CAN_DECIDE)
def add_relation(entity_a: str) -> Any:
    """Assert a relation between this person and another (directed kinds read
    entity_a -> entity_b: parent -> child, sponsor -> child)."""
    entity_a = _entity(entity_a)
    body = _body(entity_a)
    answer = write_assertion(
        entity_a, body[K.ENTITY_B], body[K.RELATION], body["note"], active=True
    )
    response = jsonify(answer)
    response.status_code = 201
    response.headers["Location"] = url_for("family_api.family", entity_id=entity_a)
    return response


@bp.delete("/<entity_a>/relations/<relation>/<entity_b>")
@roles_required(*CAN_DECIDE)
def remove_relation(entity_a: str, relation: str, entity_b: str) -> Any:
    """Remove a relation the graph has (inferred by the batch or asserted); 404 when
    there is none of that kind between the two. An optional `note` says why."""
    entity_a, entity_b = _entity(entity_a), _entity(entity_b)
    if relation not in K.RELATION_KINDS:
        raise ApiError(
            422, "invalid_input", f"relation must be one of {', '.join(K.RELATION_KINDS)}"
        )
    note = request.args.get("note", "")
    if len(note) > MAX_NOTE:
        raise ApiError(422, "invalid_input", f"note must be text of at most {MAX_NOTE} characters")
    return jsonify(write_assertion(entity_a, entity_b, relation, note, active=False))


def register(app: Flask) -> None:
    app.register_blueprint(bp)
