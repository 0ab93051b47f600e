"""The reunification pages: find a person, see their family as a picture, follow a link.

A reunification officer starts from one child or adult (an entity id, an A-number or a
name), sees everyone connected to them across CBP, ICE and HHS as a server-side SVG
(the person centred, edges styled by kind, a legend), the evidence for each relation,
where a child was last known to be and who sponsors them, and how any two people are
connected. Reviewers add or remove relations the data missed or got wrong; those are
appended to the assertion log keyed by records (see :mod:`linker.family.store`) and
audited. The JSON API over the same queries is in :mod:`service.family_api`.

The views compute nothing about families: the graph, queries and picture come from
:mod:`linker.family`; this module lays them out and writes the audit trail (entity ids
and record keys only, never names).
"""

from __future__ import annotations

import math
import re
import tempfile
from pathlib import Path
from typing import Any, Final

import numpy as np
import pandas as pd
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from markupsafe import Markup, escape

from linker.errors import DataContractError, LinkerError
from linker.family import (
    UnknownEntity,
    child_status,
    ego_graph,
    explain_path,
    family_of,
    render_family_svg,
    to_graphml,
    to_node_link,
)
from linker.family import kinds as K
from linker.family.people import FamilySettings
from linker.family.render import BOX_W, EDGE_STYLE
from linker.family.store import (
    ASSERT_RELATION,
    CHILD_STATUS,
    EXPORT_FAMILY,
    FAMILY_PATH,
    RED_FLAGS,
    REMOVE_RELATION,
    VIEW_FAMILY,
    NoRun,
    StoreFamily,
    assert_relation,
    assertions_touching,
    relation_ends,
    store_family,
)
from linker.lookup import search_query
from linker.store import audit as A
from linker.store.search import search_records
from service.auth import CAN_DECIDE, CAN_READ, roles_required, username
from service.db import db, store
from service.family_openapi import MAX_ID

bp = Blueprint("family", __name__, url_prefix="/family")

DEFAULT_MAX_DRAWN: Final = 60  # people drawn around one person; the rest are counted
MAX_RADIUS: Final = 3
FLAGS_SHOWN: Final = 50  # rows per red-flag list on the page (the API gives them all)
AUDITED_IDS: Final = 50  # entity ids listed in one audit event


# --- shared with the API -----------------------------------------------------------------------
def current_family() -> StoreFamily:
    """The latest run's graph (cached per run and assertion log, see linker.family.store)."""
    settings = current_app.config.get("FAMILY_SETTINGS")
    return store_family(store(), settings if isinstance(settings, FamilySettings) else None)


def max_drawn() -> int:
    return int(current_app.config.get("FAMILY_MAX_DRAWN", DEFAULT_MAX_DRAWN))


def jsonable(value: Any) -> Any:
    """Plain JSON values: numpy scalars as Python ones, NaN and NA as null."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is not None and not isinstance(value, str | int | float | bool):
        try:
            if pd.isna(value):
                return None
        except (TypeError, ValueError):
            pass
        return str(value)
    return value


def family_answer(family: StoreFamily, entity_id: str, radius: int, max_nodes: int) -> dict:
    """The ego graph as plain data, plus the size of the person's whole family group (so
    a capped answer says how much it left out)."""
    answer = family_of(family.graph, entity_id, radius=radius, max_nodes=max_nodes)
    groups = family.graph.people[K.FAMILY_GROUP_ID].to_numpy()
    answer["family_group_size"] = int((groups == answer["family_group_id"]).sum())
    return jsonable(answer)


def flag_frames(family: StoreFamily, min_children: int) -> dict[str, pd.DataFrame]:
    """The three red-flag lists by name (cached on the graph per threshold)."""
    flags = family.red_flags(min_children)
    return {
        "shared_sponsor_contacts": flags.shared_sponsor_contacts,
        "separated_children": flags.separated_children,
        "children_without_relatives": flags.children_without_relatives,
    }


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return list(frame.astype(object).where(frame.notna(), None).to_dict("records"))


def audit_read(action: str, targets: list[str], **detail: Any) -> None:
    with db() as session:
        A.audit(session, username(), action, ",".join(targets[:AUDITED_IDS]), **detail)


# --- pages ------------------------------------------------------------------------------------
@bp.errorhandler(UnknownEntity)
def _unknown(error: UnknownEntity) -> Any:
    return render_template(
        "error.html", code=404, name="Not Found", message="No such person in the latest run."
    ), 404


@bp.errorhandler(NoRun)
def _no_run(error: NoRun) -> Any:
    return render_template(
        "error.html",
        code=404,
        name="Not Found",
        message="No run is stored yet: run `linker reconcile --db` first.",
    ), 404


def _entity_id(value: str) -> str:
    if not value or len(value) > MAX_ID:
        raise UnknownEntity("no such entity")
    return value


def _int_arg(name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.args.get(name, default))
    except ValueError:
        return default
    return min(max(value, low), high)


@bp.get("/")
@roles_required(*CAN_READ)
def index() -> Any:
    """Search for a person (entity id, A-number, name, date of birth, case key) and the
    red-flag lists."""
    text = request.args.get("q", "").strip()[:200]
    min_children = _int_arg("min_children", 3, 2, 1000)
    try:
        family = current_family()
    except NoRun:
        return render_template("family/index.html", q=text, no_run=True)
    if text and text in family.graph.graph:
        return redirect(url_for("family.person", entity_id=text))
    people = None
    if text:
        query = search_query(text)
        with db() as session:
            hits = search_records(session, query, limit=50)
            A.audit(
                session,
                username(),
                A.SEARCH,
                ",".join(h.target for h in hits[:AUDITED_IDS]),
                criteria=query.criteria,
                results=len(hits),
                page="family",
            )
        people = _people_of_hits(family, hits)
    flags = flag_frames(family, min_children)
    totals = {name: len(frame) for name, frame in flags.items()}
    audit_read(RED_FLAGS, [], min_children=min_children, **totals)
    return render_template(
        "family/index.html",
        q=text,
        people=people,
        flags={name: jsonable(_rows(frame.head(FLAGS_SHOWN))) for name, frame in flags.items()},
        totals=totals,
        min_children=min_children,
        no_run=False,
    )


def _people_of_hits(family: StoreFamily, hits: list[Any]) -> list[dict[str, Any]]:
    """Search hits (records) as people: one row per entity, its best score first."""
    best: dict[str, float] = {}
    for hit in hits:
        best[hit.entity_id] = max(best.get(hit.entity_id, 0.0), hit.score)
    rows = []
    for entity_id, score in sorted(best.items(), key=lambda item: -item[1]):
        if entity_id not in family.graph.graph:
            continue
        rows.append({**jsonable(family.graph.person(entity_id)), "score": score})
    return rows


@bp.get("/<entity_id>")
@roles_required(*CAN_READ)
def person(entity_id: str) -> Any:
    """A person's family: picture, relations with evidence, a child's whereabouts and
    sponsors, the path to another person, the assertion history, exports."""
    entity_id = _entity_id(entity_id)
    family = current_family()
    fg = family.graph
    radius = _int_arg("radius", 2, 1, MAX_RADIUS)
    answer = family_answer(family, entity_id, radius, max_drawn())
    ego = ego_graph(fg, entity_id, radius=radius, max_nodes=max_drawn())
    keys = {n["entity_id"]: n["record_keys"] for n in answer["nodes"]}
    svg = link_people(render_family_svg(ego, entity_id, record_keys=keys))
    names = {n["entity_id"]: n["name"] or n["entity_id"] for n in answer["nodes"]}
    status = None
    center = answer["nodes"][0]
    has_sponsor = any(e[K.RELATION] == K.SPONSOR_OF and e[K.ENTITY_B] == entity_id
                      for e in answer["edges"])  # fmt: skip
    if center.get("minor") or has_sponsor:
        status = jsonable(child_status(fg, entity_id))
    path, path_to, path_error = None, request.args.get("to", "").strip()[:MAX_ID], None
    if path_to:
        if path_to in fg.graph:
            path = jsonable(explain_path(fg, entity_id, path_to))
        else:
            path_error = "No person with that entity id in the latest run."
    with db() as session:
        history = assertions_touching(session, family, entity_id)
        shown = [n["entity_id"] for n in answer["nodes"]]
        A.audit(
            session,
            username(),
            VIEW_FAMILY,
            entity_id,
            people=shown[:AUDITED_IDS],
            more=answer["more"],
            radius=radius,
        )
        if status is not None:
            A.audit(session, username(), CHILD_STATUS, entity_id)
        if path is not None:
            A.audit(session, username(), FAMILY_PATH, f"{entity_id},{path_to}",
                    connected=path["connected"])  # fmt: skip
    return render_template(
        "family/person.html",
        answer=answer,
        center=center,
        svg=svg,
        names=names,
        status=status,
        path=path,
        path_to=path_to,
        path_error=path_error,
        history=history,
        radius=radius,
        kinds=K.RELATION_KINDS,
        directed=K.DIRECTED_KINDS,
        styles=EDGE_STYLE,
        can_assert=_can_assert(),
    )


def _can_assert() -> bool:
    from flask_login import current_user

    return bool(current_user.is_authenticated and current_user.role in CAN_DECIDE)


_PERSON = re.compile(
    r'<g class="(person[^"]*)" data-entity="([^"]+)">'
    r'(<rect x="(-?[\d.]+)" y="(-?[\d.]+)".*?)</g>',
    re.DOTALL,
)


def link_people(svg: str) -> Markup:
    """The picture with each person a link to their family page, and a small badge in
    the box's corner linking to their entity page (records side by side)."""

    def linked(match: re.Match[str]) -> str:
        css, entity_id, body = match.group(1), match.group(2), match.group(3)
        x, y = float(match.group(4)), float(match.group(5))
        family_href = escape(url_for("family.person", entity_id=entity_id))
        entity_href = escape(url_for("review.entity", entity_id=entity_id))
        cx, cy = x + BOX_W, y  # on the box's corner, clear of the name
        return (
            f'<g class="{css}" data-entity="{entity_id}">'
            f'<a class="to-family" href="{family_href}">{body}</a>'
            f'<a class="to-entity" href="{entity_href}"><title>entity page: records</title>'
            f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="9" fill="#1f5fbf" stroke="#fff"/>'
            f'<text x="{cx:.1f}" y="{cy + 4:.1f}" text-anchor="middle" fill="#fff" '
            f'font-size="11" font-weight="bold">R</text></a></g>'
        )

    return Markup(_PERSON.sub(linked, svg))


@bp.get("/<entity_id>/family.<fmt>")
@roles_required(*CAN_READ)
def export(entity_id: str, fmt: str) -> Any:
    """The drawn family as SVG, GraphML (Gephi, yEd) or node-link JSON (d3)."""
    entity_id = _entity_id(entity_id)
    if fmt not in ("svg", "graphml", "json"):
        abort(404, "Exports are family.svg, family.graphml and family.json.")
    family = current_family()
    radius = _int_arg("radius", 2, 1, MAX_RADIUS)
    ego = ego_graph(family.graph, entity_id, radius=radius, max_nodes=max_drawn())
    audit_read(EXPORT_FAMILY, [entity_id], format=fmt, people=ego.number_of_nodes())
    name = f"family-{entity_id}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{name}"'}
    if fmt == "json":
        response = jsonify(jsonable(to_node_link(ego)))
        response.headers.update(disposition)
        return response
    if fmt == "svg":
        answer = family_answer(family, entity_id, radius, max_drawn())
        keys = {n["entity_id"]: n["record_keys"] for n in answer["nodes"]}
        body = render_family_svg(ego, entity_id, record_keys=keys)
        return Response(body, mimetype="image/svg+xml", headers=disposition)
    with tempfile.TemporaryDirectory() as tmp:
        path = to_graphml(ego, Path(tmp) / name)
        body = path.read_text(encoding="utf-8")
    return Response(body, mimetype="application/graphml+xml", headers=disposition)


# --- reviewer-asserted relations ------------------------------------------------------------
class NoSuchRelation(LinkerError):
    """A removal naming a relation the graph does not have (404)."""


@bp.post("/<entity_id>/relations")
@roles_required(*CAN_DECIDE)
def add_relation(entity_id: str) -> Any:
    """Assert a relation between this person and another (the form names the other by
    entity id; ``direction`` says which way a directed kind points)."""
    entity_id = _entity_id(entity_id)
    other = request.form.get("other", "").strip()[:MAX_ID]
    kind = request.form.get("relation", "")
    note = request.form.get("note", "")[:2000]
    a, b = (other, entity_id) if request.form.get("direction") == "to_me" else (entity_id, other)
    try:
        write_assertion(a, b, kind, note, active=True)
    except LinkerError as error:
        flash(str(error), "error")
    else:
        flash(f"Added {kind} between {a} and {b}.", "info")
    return redirect(url_for("family.person", entity_id=entity_id), code=303)


@bp.post("/<entity_id>/relations/remove")
@roles_required(*CAN_DECIDE)
def remove_relation(entity_id: str) -> Any:
    """Remove a relation drawn on this page (inferred by the batch or asserted)."""
    entity_id = _entity_id(entity_id)
    a = request.form.get("entity_a", "")[:MAX_ID]
    b = request.form.get("entity_b", "")[:MAX_ID]
    kind = request.form.get("relation", "")
    try:
        write_assertion(a, b, kind, request.form.get("note", "")[:2000], active=False)
    except LinkerError as error:
        flash(str(error), "error")
    else:
        flash(f"Removed {kind} between {a} and {b}.", "info")
    return redirect(url_for("family.person", entity_id=entity_id), code=303)


def write_assertion(a: str, b: str, kind: str, note: str, *, active: bool) -> dict[str, Any]:
    """Append one assertion (add or remove) keyed by the two people's records, audit it,
    and answer what was written. A removal must name a relation the graph has."""
    family = current_family()
    if kind not in K.RELATION_KINDS:
        raise DataContractError(f"relation must be one of {', '.join(K.RELATION_KINDS)}")
    ref_a, ref_b = relation_ends(family, a, b)
    if not active and not has_relation(family, a, b, kind):
        raise NoSuchRelation(f"there is no {kind} relation between {a} and {b} to remove")
    with db() as session:
        row = assert_relation(session, ref_a, ref_b, kind, username(), active=active, note=note)
        A.audit(
            session,
            username(),
            ASSERT_RELATION if active else REMOVE_RELATION,
            f"{a},{b}",
            relation=kind,
            records=[f"{ref_a[0]}:{ref_a[1]}", f"{ref_b[0]}:{ref_b[1]}"],
            assertion_id=row.id,
        )
        return {
            "id": row.id,
            K.ENTITY_A: a,
            K.ENTITY_B: b,
            K.RELATION: kind,
            "active": active,
            "note": note,
            "reviewer": row.reviewer,
            "asserted_at": row.asserted_at.isoformat(),
            "records": {
                "a": {"source": ref_a[0], "record_key": ref_a[1]},
                "b": {"source": ref_b[0], "record_key": ref_b[1]},
            },
        }


def has_relation(family: StoreFamily, a: str, b: str, kind: str) -> bool:
    graph = family.graph.graph
    if graph.has_edge(a, b, key=kind):
        return True
    return kind not in K.DIRECTED_KINDS and graph.has_edge(b, a, key=kind)


def register(app: Flask) -> None:
    from service import family_api

    app.register_blueprint(bp)
    family_api.register(app)
