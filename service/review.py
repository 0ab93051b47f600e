"""The reviewer's pages: the queue, a pair side by side, an entity, and search.

Built for speed at the keyboard: a decision is a plain form POST that answers with a
redirect straight to the next claimed pair, so the next pair is on screen after one
round trip, with or without JavaScript (review.js only binds the keys m / d / u / s / b
to the buttons). Every page that shows a person's record, every search and every
decision writes an audit event naming records by `source:record_key` and entities by id,
never by name. The views compute no match: the store's queries (`linker.store.review`,
`linker.store.search`) do the work; this module only lays the result out (the character
diff and the contribution chart are presentation).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Final

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup, escape

from linker import columns as C
from linker.comparisons import REGISTRY
from linker.errors import DataContractError, ReviewConflict
from linker.store import audit as A
from linker.store import review as R
from linker.store.decisions import record_decision, undo_last
from linker.store.schema import DECISION_KINDS
from linker.store.search import SearchQuery, search_records
from service.auth import CAN_DECIDE, CAN_READ, roles_required, username
from service.db import db

bp = Blueprint("review", __name__, url_prefix="/review")

# Standardized fields shown side by side, in reading order, with their labels.
COMPARED_FIELDS: Final[tuple[tuple[str, str], ...]] = (
    (C.GIVEN_NAME, "Given name"),
    (C.MIDDLE_NAME, "Middle name"),
    (C.FAMILY_NAME_1, "Family name 1"),
    (C.FAMILY_NAME_2, "Family name 2"),
    (C.DOB, "Date of birth"),
    (C.DOB_QUALITY, "DOB quality"),
    (C.SEX, "Sex"),
    (C.COUNTRY, "Country"),
    (C.A_NUMBER, "A-number (record)"),
    (C.ADDRESS, "Address"),
    (C.PHONE, "Phone"),
    (C.DOCUMENT_ID, "Document"),
    (C.PERSON_ID, "Agency person id"),
    (C.EVENT_DATE, "Event date"),
    (C.FAMILY_GROUP, "Family group"),
    (C.RELATIONSHIP, "Relationship"),
    (C.CROSS_REFERENCE, "Cross-reference"),
)
SKIP_KEY: Final = "review_skip"  # pair ids this reviewer skipped (this login)
DONE_KEY: Final = "review_done"  # pair ids this reviewer decided, newest last (for undo)
MAX_REMEMBERED: Final = 200
CHART_WIDTH: Final = 420
CHART_LABEL: Final = 130
CHART_ROW: Final = 22


def register(app: Flask) -> None:
    app.register_blueprint(bp)


# --- presentation helpers --------------------------------------------------------------


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def diff_markup(left: Any, right: Any) -> tuple[Markup, Markup]:
    """Both values escaped, with the characters that differ wrapped in <mark>."""
    a, b = _text(left), _text(right)
    if a == b or not a or not b:
        return Markup(escape(a)), Markup(escape(b))
    out_a: list[str] = []
    out_b: list[str] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        part_a, part_b = str(escape(a[i1:i2])), str(escape(b[j1:j2]))
        if op == "equal":
            out_a.append(part_a)
            out_b.append(part_b)
            continue
        if part_a:
            out_a.append(f"<mark>{part_a}</mark>")
        if part_b:
            out_b.append(f"<mark>{part_b}</mark>")
    return Markup("".join(out_a)), Markup("".join(out_b))


@dataclass(frozen=True)
class FieldRow:
    label: str
    left: Markup
    right: Markup
    same: bool
    empty: bool


def compared_fields(pair: R.PairView) -> list[FieldRow]:
    rows = []
    for column, label in COMPARED_FIELDS:
        a, b = pair.left.standardized.get(column), pair.right.standardized.get(column)
        left, right = diff_markup(a, b)
        ta, tb = _text(a), _text(b)
        rows.append(FieldRow(label, left, right, ta == tb, not ta and not tb))
    return rows


@dataclass(frozen=True)
class Bar:
    label: str
    level: str
    weight: float
    x: float
    width: float
    y: float
    positive: bool


def _level_label(comparison: str, level: int) -> str:
    if level < 0:
        return "missing"
    spec = REGISTRY.get(comparison)
    try:
        return spec.spec.label_of(level) if spec is not None else str(level)
    except (KeyError, IndexError, ValueError):
        return str(level)


def contribution_bars(explanation: dict[str, tuple[int, float]]) -> tuple[list[Bar], int]:
    """Geometry of a horizontal bar chart around zero: one bar per comparison, its
    contribution (log2 Bayes factor) to the match weight; returns bars and height."""
    items = list(explanation.items())
    scale_max = max((abs(w) for _, (_, w) in items), default=1.0) or 1.0
    half = (CHART_WIDTH - CHART_LABEL) / 2
    zero = CHART_LABEL + half
    bars = []
    for i, (name, (level, weight)) in enumerate(items):
        width = abs(weight) / scale_max * (half - 4)
        bars.append(
            Bar(
                label=name.replace("_", " "),
                level=_level_label(name, level),
                weight=weight,
                x=zero if weight >= 0 else zero - width,
                width=width,
                y=i * CHART_ROW,
                positive=weight >= 0,
            )
        )
    return bars, max(1, len(items)) * CHART_ROW


def _remember(key: str, pair_id: int) -> None:
    values = [v for v in session.get(key, []) if v != pair_id]
    values.append(pair_id)
    session[key] = values[-MAX_REMEMBERED:]


def _audit_pair(pair: R.PairView) -> None:
    members = [m.target for m in (*pair.left_members, *pair.right_members)][:50]
    with db() as s:
        for record, other in ((pair.left, pair.right), (pair.right, pair.left)):
            A.audit(
                s,
                username(),
                A.VIEW_PAIR,
                record.target,
                pair_id=pair.pair_id,
                other=other.target,
                members=members,
            )


# --- views -----------------------------------------------------------------------------


@bp.get("/")
@roles_required(*CAN_READ)
def queue() -> Any:
    with db() as s:
        decided, total = R.queue_progress(s)
        upcoming = R.upcoming_pairs(s, limit=25)
    return render_template("review/queue.html", decided=decided, total=total, upcoming=upcoming)


@bp.get("/next")
@roles_required(*CAN_DECIDE)
def next_pair() -> Any:
    """Claim the next pair for this reviewer and go to it (skips are remembered)."""
    if request.args.get("restart"):
        session.pop(SKIP_KEY, None)
    with db() as s:
        pair = R.next_pair(s, username(), skip=session.get(SKIP_KEY, []))
    if pair is None:
        flash("The queue is empty: every pair has a decision.", "info")
        return redirect(url_for("review.queue"))
    return redirect(url_for("review.pair", pair_id=pair.pair_id))


@bp.get("/pair/<int:pair_id>")
@roles_required(*CAN_READ)
def pair(pair_id: int) -> Any:
    with db() as s:
        view = R.pair_view(s, pair_id)
        if view is None:
            abort(404, "No such pair in the latest run.")
        decided, total = R.queue_progress(s)
    _audit_pair(view)
    bars, height = contribution_bars(view.explanation)
    return render_template(
        "review/pair.html",
        pair=view,
        fields=compared_fields(view),
        bars=bars,
        chart_height=height,
        chart_width=CHART_WIDTH,
        chart_zero=CHART_LABEL + (CHART_WIDTH - CHART_LABEL) / 2,
        decided=decided,
        total=total,
        can_undo=bool(session.get(DONE_KEY)),
    )


@bp.post("/pair/<int:pair_id>/decide")
@roles_required(*CAN_DECIDE)
def decide(pair_id: int) -> Any:
    kind = request.form.get("decision", "")
    if kind not in DECISION_KINDS:
        abort(400, f"decision must be one of {', '.join(DECISION_KINDS)}")
    note = request.form.get("note", "")[:2000]
    reviewer = username()
    with db() as s:
        view = R.pair_view(s, pair_id)
        if view is None:
            abort(404, "No such pair in the latest run.")
        try:
            row = record_decision(
                s,
                view.left.ref,
                view.right.ref,
                kind,
                reviewer,
                note=note,
                two_person_rule=bool(current_app.config.get("TWO_PERSON_RULE", True)),
            )
        except DataContractError as error:
            abort(400, str(error))
        R.release(s, pair_id, reviewer)
        A.audit(
            s,
            reviewer,
            A.DECIDE,
            view.left.target,
            other=view.right.target,
            decision=kind,
            pair_id=pair_id,
            needs_second=row.needs_second,
        )
        needs_second = row.needs_second
    _remember(DONE_KEY, pair_id)
    if kind == "unsure":  # still open for others; not back to this reviewer this session
        _remember(SKIP_KEY, pair_id)
    message = f"Recorded {kind} on pair #{pair_id}."
    if needs_second:
        message += " This match gives a child an A-number: it needs a second reviewer."
    flash(message, "warning" if needs_second else "info")
    return redirect(url_for("review.next_pair"), code=303)


@bp.post("/pair/<int:pair_id>/skip")
@roles_required(*CAN_DECIDE)
def skip(pair_id: int) -> Any:
    with db() as s:
        R.release(s, pair_id, username())
    _remember(SKIP_KEY, pair_id)
    flash(f"Skipped pair #{pair_id}.", "info")
    return redirect(url_for("review.next_pair"), code=303)


@bp.post("/undo")
@roles_required(*CAN_DECIDE)
def undo() -> Any:
    """Undo this reviewer's latest decision (of this login) and show that pair again."""
    done: list[int] = list(session.get(DONE_KEY, []))
    if not done:
        flash("Nothing to undo.", "info")
        return redirect(request.referrer or url_for("review.queue"), code=303)
    pair_id = done.pop()
    session[DONE_KEY] = done
    reviewer = username()
    with db() as s:
        view = R.pair_view(s, pair_id)
        if view is None:
            flash("That pair is no longer in the latest run.", "error")
            return redirect(url_for("review.queue"), code=303)
        try:
            row = undo_last(s, view.left.ref, view.right.ref, reviewer)
        except ReviewConflict as error:
            flash(str(error), "error")
            return redirect(url_for("review.queue"), code=303)
        A.audit(
            s,
            reviewer,
            A.DECIDE,
            view.left.target,
            other=view.right.target,
            decision=row.decision,
            pair_id=pair_id,
            undo=True,
        )
    flash(f"Undone: pair #{pair_id} is back to {row.decision}.", "info")
    return redirect(url_for("review.pair", pair_id=pair_id), code=303)


@bp.get("/entity/<entity_id>")
@roles_required(*CAN_READ)
def entity(entity_id: str) -> Any:
    with db() as s:
        view = R.entity_view(s, entity_id)
        if view is None:
            abort(404, "No such entity in the latest run.")
        A.audit(
            s,
            username(),
            A.VIEW_ENTITY,
            entity_id,
            records=[m.target for m in view.members][:50],
            linked=[link.record.target for link in view.linked][:50],
        )
        history = [
            {
                "at": d.decided_at,
                "reviewer": d.reviewer,
                "decision": d.decision,
                "left": f"{d.left_source}:{d.left_record_key}",
                "right": f"{d.right_source}:{d.right_record_key}",
                "note": d.note,
                "needs_second": d.needs_second,
            }
            for d in reversed(view.decisions)
        ]
    return render_template("review/entity.html", entity=view, history=history)


@bp.post("/entity/<entity_id>/split")
@roles_required(*CAN_DECIDE)
def split(entity_id: str) -> Any:
    source = request.form.get("source", "")
    record_key = request.form.get("record_key", "")
    reviewer = username()
    with db() as s:
        view = R.entity_view(s, entity_id)
        if view is None:
            abort(404, "No such entity in the latest run.")
        if (source, record_key) not in {m.ref for m in view.members}:
            abort(400, "That record is not a member of this entity.")
        rows = R.split_record(s, source, record_key, reviewer)
        target = f"{source}:{record_key}"
        for row in rows:
            other = (
                f"{row.right_source}:{row.right_record_key}"
                if (row.left_source, row.left_record_key) == (source, record_key)
                else f"{row.left_source}:{row.left_record_key}"
            )
            A.audit(s, reviewer, A.DECIDE, target, other=other, decision="distinct", split=True)
    flash(
        f"{target} split out: {len(rows)} distinct decision(s) recorded; "
        "the next run keeps it apart.",
        "info",
    )
    return redirect(url_for("review.entity", entity_id=entity_id), code=303)


@bp.get("/search")
@roles_required(*CAN_READ)
def search() -> Any:
    query = SearchQuery(
        name=request.args.get("name", "")[:200],
        dob=request.args.get("dob", "")[:40],
        a_number=request.args.get("a_number", "")[:40],
        case_key=request.args.get("case_key", "")[:300],
    )
    hits = None
    if query.criteria:
        with db() as s:
            hits = search_records(s, query, limit=50)
            A.audit(
                s,
                username(),
                A.SEARCH,
                "",
                criteria=query.criteria,
                results=[h.target for h in hits][:50],
            )
    return render_template("review/search.html", query=query, hits=hits)
