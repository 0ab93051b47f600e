"""Headless Chromium for browser tests, and a live server to point it at.

Playwright drives Debian's /usr/bin/chromium through `executable_path`: the machines
reach no browser download host, so `playwright install` is never an option, and the
Debian build is the one CI installs. Playwright's python package talks CDP to it; the
flags below keep it from reaching the network on its own (updates, sync, QUIC probes)
and from needing a GPU or a sandbox (CI runs as root in a container).

`live_server(app)` serves a Flask app from a background thread on a free loopback port,
so the browser exercises the real HTTP stack: cookies, redirects, CSRF tokens, static
files, exactly as a reviewer's browser would.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from werkzeug.serving import WSGIRequestHandler, make_server

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser

REQUIRE_ENV = "LINKER_REQUIRE_BROWSER"
CHROMIUM_ENV = "LINKER_CHROMIUM"  # another Chromium binary, e.g. on a developer's laptop
DEFAULT_CHROMIUM = "/usr/bin/chromium"
INSTALL_FIX = "apt-get install -y chromium (./dev test does this), or set LINKER_CHROMIUM"

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


class BrowserUnavailable(RuntimeError):
    """No Chromium binary on this machine (the fixture turns this into skip or fail)."""


def chromium_path() -> Path | None:
    """The Chromium to drive: $LINKER_CHROMIUM, else Debian's, else None."""
    candidate = Path(os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM)
    return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None


@contextmanager
def chromium() -> Iterator[Browser]:
    """Launch headless Chromium for the session; close it and its profile dir on exit.

    Playwright gives the launch a temp user-data-dir of its own (every test then opens
    a fresh context); HOME and the XDG dirs point into a scratch dir as well, so
    Debian's wrapper script and Chromium write no caches or crash reports into the
    real home directory.
    """
    executable = chromium_path()
    if executable is None:
        wanted = os.environ.get(CHROMIUM_ENV) or DEFAULT_CHROMIUM
        raise BrowserUnavailable(f"no executable Chromium at {wanted}")
    from playwright.sync_api import sync_playwright

    scratch = Path(tempfile.mkdtemp(prefix="linker-chromium-"))
    env: dict[str, str | float | bool] = {
        **os.environ,
        "HOME": str(scratch),
        "XDG_CONFIG_HOME": str(scratch / "config"),
        "XDG_CACHE_HOME": str(scratch / "cache"),
    }
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(executable),
                headless=True,
                args=list(CHROMIUM_ARGS),
                env=env,
            )
            try:
                yield browser
            finally:
                browser.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


class _QuietRequestHandler(WSGIRequestHandler):
    """Werkzeug's handler without the per-request access log line (errors still log)."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        pass


@contextmanager
def live_server(app: Flask) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 at a free port in a daemon thread; yield its base URL.

    Port 0 lets the OS pick, so parallel sessions never collide. The server is
    threaded because a browser opens several connections at once (page, favicon,
    static files); on exit it stops accepting, the serving thread is joined and the
    listening socket closed. The short poll interval keeps that shutdown at ~50 ms
    instead of socketserver's default half second per test.
    """
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"live-server-{server.port}",
        daemon=True,
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
