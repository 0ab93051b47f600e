"""The reviewer and reunification web application (Flask app factory).

The service never computes a match itself: it asks `linker`. This first slice serves
the health check that load balancers and the test set-up poll; the review, family and
API blueprints register here as they land.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from linker import __version__


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `test_config` overrides configuration (tests, embedded demo)."""
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(MAX_CONTENT_LENGTH=1 << 20, JSON_SORT_KEYS=False)
    if test_config is not None:
        app.config.from_mapping(test_config)

    @app.get("/healthz")
    def healthz() -> Any:
        return jsonify(status="ok", version=__version__)

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        # JSON for every error; never echo request data (it may hold personal data).
        body = jsonify(
            error=(error.name or "error").lower().replace(" ", "_"), message=error.description
        )
        return body, error.code or 500

    return app
