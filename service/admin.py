"""Admin pages: the audit log (browse, export), conflicts, second reviews, users.

Admins only; reviewers and analysts get 403. Every form posts with a CSRF token (the
app-wide CSRFProtect rejects a POST without one). Every admin action writes an audit
event, the export of the audit log included. A new user's one-time password and a new
API token are shown once, in the response to the POST that made them: never flashed
(the session cookie is signed, not encrypted) and never stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Regexp

from linker.errors import LinkerError
from linker.store import audit as A
from linker.store.decisions import (
    PairState,
    awaiting_second,
    conflicts,
    record_decision,
)
from linker.store.schema import DECISION_KINDS, ROLES
from linker.store.users import (
    add_user,
    issue_token,
    reset_password,
    revoke_tokens,
    set_active,
    user_by_name,
    users_with_token_counts,
)
from service.auth import ADMIN, roles_required, username
from service.db import db

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
EXPORT_LIMIT = 100_000  # rows in one CSV export; narrow the filters for more


def register(app: Flask) -> None:
    app.register_blueprint(bp)


@bp.before_request
@roles_required(*ADMIN)
def _admins_only() -> None:
    """Every admin page, present and future, is for admins only."""


# --- overview ---------------------------------------------------------------------------


@bp.get("/")
def index() -> Any:
    with db() as session:
        counts = {
            "conflicts": len(conflicts(session)),
            "awaiting": len(awaiting_second(session)),
            "users": len(users_with_token_counts(session)),
        }
        recent, total = A.audit_events(session, limit=10)
        recent = list(recent)
    return render_template("admin/index.html", counts=counts, recent=recent, audit_total=total)


# --- audit log --------------------------------------------------------------------------


def _day(text: str | None, what: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=f"{what} must be a date as YYYY-MM-DD")


def _audit_filters() -> dict[str, Any]:
    """The filters of the audit pages from the query string (dates are UTC days, the
    `to` day included)."""
    start = _day(request.args.get("from"), "from")
    end = _day(request.args.get("to"), "to")
    return {
        "username": request.args.get("user", "").strip() or None,
        "action": request.args.get("action", "").strip() or None,
        "target": request.args.get("target", "").strip() or None,
        "since": datetime.combine(start, time(), UTC) if start else None,
        "until": datetime.combine(end + timedelta(days=1), time(), UTC) if end else None,
    }


def _int_arg(name: str, default: int, lowest: int, highest: int) -> int:
    value = request.args.get(name, type=int)
    return default if value is None else max(lowest, min(highest, value))


ACTIONS = tuple(
    sorted(
        value
        for name, value in vars(A).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    )
)


@bp.get("/audit")
def audit() -> Any:
    filters = _audit_filters()
    per_page = _int_arg("per_page", PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _int_arg("page", 1, 1, 10**9)
    with db() as session:
        events, total = A.audit_events(
            session, **filters, limit=per_page, offset=(page - 1) * per_page
        )
        events = list(events)
    pages = max(1, -(-total // per_page))
    query = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "admin/audit.html",
        events=events,
        total=total,
        page=page,
        pages=pages,
        per_page=per_page,
        query=query,
        actions=ACTIONS,
        args=request.args,
    )


@bp.get("/audit.csv")
def audit_export() -> Any:
    filters = _audit_filters()
    with db() as session:
        events, total = A.audit_events(session, **filters, limit=EXPORT_LIMIT)
        text = A.audit_csv(events)
        shown = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in filters.items()}
        A.audit(
            session,
            username(),
            A.EXPORT_AUDIT,
            "audit_log",
            rows=len(events),
            matching=total,
            filters={k: v for k, v in shown.items() if v},
        )
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return Response(
        text,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.csv"',
            "X-Rows-Exported": str(len(events)),
            "X-Rows-Matching": str(total),
        },
    )


# --- conflicts and second reviews -------------------------------------------------------


class PairDecisionForm(FlaskForm):
    """A decision on a pair named by its two records' (source, record_key)."""

    left_source = StringField(validators=[DataRequired(), Length(max=64)])
    left_record_key = StringField(validators=[DataRequired(), Length(max=200)])
    right_source = StringField(validators=[DataRequired(), Length(max=64)])
    right_record_key = StringField(validators=[DataRequired(), Length(max=200)])
    decision = SelectField(choices=list(DECISION_KINDS))
    note = StringField(validators=[Length(max=2000)])


def _pair_rows(states: list[PairState]) -> list[dict[str, Any]]:
    """Per pair: its records and each reviewer's latest decision (oldest first)."""
    rows = []
    for state in states:
        first = state.history[0]
        latest: dict[str, Any] = {}
        for d in state.history:
            latest[d.reviewer] = d
        rows.append(
            {
                "left": (first.left_source, first.left_record_key),
                "right": (first.right_source, first.right_record_key),
                "opinions": sorted(latest.values(), key=lambda d: (d.decided_at, d.id)),
                "in_force": state.in_force,
                "decisions": len(state.history),
            }
        )
    return rows


def _decide(*, settles: bool) -> Any:
    form = PairDecisionForm()
    target = "admin.conflicts" if settles else "admin.awaiting"
    if not form.validate_on_submit():
        abort(400, description="the decision form is incomplete or its CSRF token is missing")
    left = (form.left_source.data or "", form.left_record_key.data or "")
    right = (form.right_source.data or "", form.right_record_key.data or "")
    decision = form.decision.data or ""
    try:
        with db() as session:
            record_decision(
                session,
                left,
                right,
                decision,
                username(),
                note=form.note.data or "",
                two_person_rule=bool(current_app.config.get("TWO_PERSON_RULE", True)),
                settles=settles,
            )
            A.audit(
                session,
                username(),
                A.SETTLE_CONFLICT if settles else A.DECIDE,
                f"{A.record_target(*left)}|{A.record_target(*right)}",
                decision=decision,
            )
    except LinkerError as e:
        flash(str(e), "error")
        return redirect(url_for(target), 303)
    flash(f"Recorded {decision} for the pair.", "info")
    return redirect(url_for(target), 303)


@bp.get("/conflicts", endpoint="conflicts")
def conflicts_page() -> Any:
    with db() as session:
        rows = _pair_rows(conflicts(session))
    return render_template(
        "admin/pairs.html",
        title="Conflicts",
        intro="Reviewers disagree on these pairs. Your decision is final: it binds every "
        "later run and ends the conflict.",
        rows=rows,
        action=url_for("admin.settle"),
        button="Settle",
    )


@bp.post("/conflicts/settle")
def settle() -> Any:
    return _decide(settles=True)


@bp.get("/awaiting")
def awaiting() -> Any:
    with db() as session:
        rows = _pair_rows(awaiting_second(session))
    return render_template(
        "admin/pairs.html",
        title="Awaiting a second reviewer",
        intro="Matches that would give a child's record an A-number bind only when a second "
        "reviewer also says match (two-person rule).",
        rows=rows,
        action=url_for("admin.second"),
        button="Decide",
    )


@bp.post("/awaiting/decide")
def second() -> Any:
    return _decide(settles=False)


# --- users ------------------------------------------------------------------------------


class AddUserForm(FlaskForm):
    new_username = StringField(
        "User name",
        validators=[
            DataRequired(),
            Regexp(r"^[A-Za-z0-9_.@-]{2,64}$", message="2-64 of A-Z a-z 0-9 _ . @ -"),
        ],
    )
    role = SelectField("Role", choices=list(ROLES))


def _users_page(
    form: AddUserForm, *, secret: dict[str, str] | None = None, status: int = 200
) -> Any:
    with db() as session:
        users = [
            {
                "username": u.username,
                "role": u.role,
                "active": u.active,
                "created_at": u.created_at,
                "tokens": n,
            }
            for u, n in users_with_token_counts(session)
        ]
    page = render_template("admin/users.html", users=users, form=form, secret=secret, me=username())
    response = Response(page, status=status)
    if secret:
        response.headers["Cache-Control"] = "no-store"  # the one-time secret stays off disk
    return response


@bp.get("/users")
def users() -> Any:
    return _users_page(AddUserForm())


@bp.post("/users")
def add() -> Any:
    form = AddUserForm()
    if not form.validate_on_submit():
        return _users_page(form, status=400)
    name, role = form.new_username.data or "", form.role.data or ""
    try:
        with db() as session:
            new = add_user(session, name, role)
            A.audit(session, username(), A.ADD_USER, f"user:{name}", role=role)
    except LinkerError as e:
        form.new_username.errors = [str(e)]
        return _users_page(form, status=400)
    secret = {"username": new.username, "kind": "one-time password", "value": new.password}
    return _users_page(AddUserForm(formdata=None), secret=secret, status=201)


def _user_action(name: str, action: str) -> Any:
    """Deactivate / reactivate / reset password / issue or revoke a token for `name`."""
    if action == "deactivate" and name == username():
        flash("You cannot deactivate yourself: ask another admin.", "error")
        return redirect(url_for("admin.users"), 303)
    secret = None
    with db() as session:
        user = user_by_name(session, name)
        if user is None:
            abort(404, description="no such user")
        target = f"user:{name}"
        if action == "deactivate":
            set_active(session, name, False)
            revoked = revoke_tokens(session, name)
            A.audit(session, username(), A.DEACTIVATE_USER, target, tokens_revoked=revoked)
            message = f"{name} is deactivated; {revoked} API token(s) revoked."
        elif action == "reactivate":
            set_active(session, name, True)
            A.audit(session, username(), A.REACTIVATE_USER, target)
            message = f"{name} is active again."
        elif action == "revoke":
            revoked = revoke_tokens(session, name)
            A.audit(session, username(), A.REVOKE_TOKENS, target, tokens_revoked=revoked)
            message = f"{revoked} API token(s) of {name} revoked."
        elif action == "token":
            if not user.active:
                abort(409, description="the user is deactivated: reactivate first")
            token = issue_token(session, user)
            A.audit(session, username(), A.ISSUE_TOKEN, target)
            secret = {"username": name, "kind": "API token", "value": token}
        elif action == "password":
            password = reset_password(session, name)
            A.audit(session, username(), A.RESET_PASSWORD, target)
            secret = {"username": name, "kind": "one-time password", "value": password}
        else:
            abort(404)
    if secret is not None:
        return _users_page(AddUserForm(formdata=None), secret=secret)
    flash(message, "info")
    return redirect(url_for("admin.users"), 303)


@bp.post("/users/<name>/<any(deactivate, reactivate, revoke, token, password):action>")
def user_action(name: str, action: str) -> Any:
    return _user_action(name, action)
