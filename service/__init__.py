"""The reviewer and reunification web application (Flask app factory).

The service never computes a match itself: it asks `linker` (the store, the lookup, the
family graph). Configuration comes from `test_config`, then the environment:

- DATABASE_URL: the store (default: a SQLite file `linker.db` in the working folder);
- LINKER_SECRET_KEY: signs sessions and CSRF tokens; required when several workers
  serve one store (each would otherwise draw its own), generated per process if unset;
- LINKER_SECURE_COOKIES=1 behind HTTPS;
- LINKER_TWO_PERSON_RULE=0 to let one reviewer give a child an A-number.
"""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, InternalServerError

from linker import __version__
from linker.store import Store
from linker.store.runs import latest_run
from service import admin, api, auth, family, review
from service.db import STORE_KEY, db
from service.extensions import csrf, limiter, login_manager

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `test_config` overrides configuration (tests, embedded demo)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=os.environ.get("DATABASE_URL"),
        SECRET_KEY=os.environ.get("LINKER_SECRET_KEY") or secrets.token_hex(32),
        MAX_CONTENT_LENGTH=1 << 20,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("LINKER_SECURE_COOKIES") == "1",
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=None,  # a reviewer's queue page may stay open all shift
        TWO_PERSON_RULE=os.environ.get("LINKER_TWO_PERSON_RULE", "1") != "0",
        RATELIMIT_ENABLED=True,
    )
    if test_config is not None:
        app.config.from_mapping(test_config)

    app.extensions[STORE_KEY] = Store.open(app.config["DATABASE_URL"])
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.before_request(auth.require_login)
    app.register_blueprint(auth.bp)
    for blueprint in (review, api, admin, family):
        blueprint.register(app)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", version=__version__)

    @app.get("/")
    def home() -> Any:
        with db() as session:
            run = latest_run(session)
            counts = dict(run.counts) if run else {}
            finished = run.finished_at if run else None
        return render_template("home.html", counts=counts, finished=finished)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # Never echo request data: it may hold personal data.
        code = error.code or 500
        name = (error.name or "error").lower().replace(" ", "_")
        # Keep the headers the error carries (Allow on a 405, Retry-After on a 429).
        headers = [
            (k, v)
            for k, v in error.get_headers()
            if k.lower() not in ("content-type", "content-length")
        ]
        if _wants_json():
            return jsonify(error=name, message=error.description), code, headers
        page = render_template("error.html", code=code, name=error.name, message=error.description)
        return page, code, headers

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Any:
        # The traceback goes to the log by type only; request values stay out of it.
        log.error(
            "unhandled %s on %s %s",
            type(error).__name__,
            request.method,
            request.url_rule.rule if request.url_rule else "?",
        )
        return http_error(InternalServerError())

    # The nav links only to pages this app serves; routes are fixed once registered.
    endpoints = frozenset(rule.endpoint for rule in app.url_map.iter_rules())

    @app.context_processor
    def inject_user() -> dict[str, Any]:
        return {"current_user": current_user, "version": __version__, "endpoints": endpoints}

    return app
