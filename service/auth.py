"""Login, logout, roles, and bearer tokens for programs.

Every route needs a logged-in user except the login page, the health check and static
files; `require_login` enforces it once for the whole app rather than per view, so a new
view cannot forget it. Browsers log in with a password (a session cookie, HttpOnly,
SameSite=Lax); programs send `Authorization: Bearer <token>`. Roles:

- reviewer: the review queue, decisions, search, entity and family pages;
- analyst: search, entity and family pages, lookups, reports (no decisions);
- admin: everything, plus the audit log, conflicts and users.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from linker.store import audit as A
from linker.store.users import authenticate, get_user, user_for_token
from service.db import db
from service.extensions import limiter, login_manager

bp = Blueprint("auth", __name__)
F = TypeVar("F", bound=Callable[..., Any])

PUBLIC_ENDPOINTS = frozenset({"auth.login", "healthz", "static"})
CAN_DECIDE = ("reviewer", "admin")
CAN_READ = ("reviewer", "analyst", "admin")
ADMIN = ("admin",)


class SessionUser:
    """The logged-in user as views see it (detached from any database session)."""

    def __init__(self, user_id: int, username: str, role: str, via_token: bool = False):
        self.id = user_id
        self.username = username
        self.role = role
        self.via_token = via_token

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return str(self.id)


@login_manager.user_loader
def load_user(user_id: str) -> SessionUser | None:
    if not user_id.isdigit():
        return None
    with db() as session:
        user = get_user(session, int(user_id))
        if user is None or not user.active:
            return None
        return SessionUser(user.id, user.username, user.role)


@login_manager.request_loader
def load_user_from_token(req: Any) -> SessionUser | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    with db() as session:
        user = user_for_token(session, header[7:].strip())
        if user is None:
            return None
        return SessionUser(user.id, user.username, user.role, via_token=True)


@login_manager.unauthorized_handler
def unauthorized() -> Any:
    if request.path.startswith("/api/"):
        abort(401)
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def require_login() -> Any:
    """App-wide before_request: nothing but the public endpoints without a user."""
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


def roles_required(*roles: str) -> Callable[[F], F]:
    """Limit a view to some roles; others get 403 (logged in) or the login page."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return cast(F, wrapper)

    return decorate


def username() -> str:
    return str(current_user.username) if current_user.is_authenticated else "anonymous"


class LoginForm(FlaskForm):
    username = StringField("User name", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    """Only a local path: never redirect a fresh login to another site."""
    if not target:
        return url_for("home")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("home")
    return target


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute; 50 per hour", methods=["POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        name = form.username.data or ""
        with db() as session:
            user = authenticate(session, name, form.password.data or "")
            if user is None:
                A.audit(session, name[:64], A.LOGIN_FAILED)
            else:
                A.audit(session, user.username, A.LOGIN)
                login_user(SessionUser(user.id, user.username, user.role))
        if user is not None:
            return redirect(_safe_next(request.args.get("next")))
        flash("Unknown user name or wrong password.", "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> Any:
    with db() as session:
        A.audit(session, username(), A.LOGOUT)
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
