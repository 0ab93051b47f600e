"""The real-service test infrastructure works: PostgreSQL, SQLite, Chromium, live server.

These guard the fixtures every store, service and browser test stands on; if one of
them fails, read it first.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, Response, jsonify
from infra import unavailable
from infra.browser import live_server as serve_app
from infra.postgres import find_bin_dir, fresh_database, psycopg_url
from playwright.sync_api import Page, expect

PERSONS = [
    (1, "José Núñez", "CBP"),
    (2, "Zoë O'Brien", "ICE"),
    (3, "Nguyễn Văn An", "HHS"),
]


def _persons_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "persons",
        metadata,
        sa.Column("record_id", sa.Integer, primary_key=True),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("source", sa.String(8), nullable=False),
    )


def test_database_round_trip(database_url: str, request: pytest.FixtureRequest) -> None:
    engine = sa.create_engine(database_url)
    try:
        assert engine.dialect.name == request.node.callspec.params["database_url"]
        metadata = sa.MetaData()
        persons = _persons_table(metadata)
        with engine.begin() as conn:
            assert sa.inspect(conn).get_table_names() == []  # every test starts empty
            metadata.create_all(conn)
            conn.execute(
                persons.insert(),
                [{"record_id": r, "full_name": n, "source": s} for r, n, s in PERSONS],
            )
        with engine.connect() as conn:
            rows = conn.execute(sa.select(persons).order_by(persons.c.record_id)).all()
        assert [tuple(row) for row in rows] == PERSONS
    finally:
        engine.dispose()


def test_postgres_is_a_real_server(postgres_database: str) -> None:
    engine = sa.create_engine(postgres_database)
    try:
        with engine.connect() as conn:
            version = conn.execute(sa.text("select version()")).scalar_one()
            database = conn.execute(sa.text("select current_database()")).scalar_one()
        assert version.startswith("PostgreSQL ")
        assert database.startswith("test_")
        assert engine.dialect.driver == "psycopg"
    finally:
        engine.dispose()


def test_fresh_databases_are_isolated_and_dropped(postgres_url: str) -> None:
    with fresh_database(postgres_url) as first, fresh_database(postgres_url) as second:
        assert first.database != second.database
        first_engine, second_engine = sa.create_engine(first), sa.create_engine(second)
        try:
            _persons_table(metadata := sa.MetaData())
            metadata.create_all(first_engine)
            # A forgotten open connection must not stop the drop (DROP ... WITH FORCE).
            leaked = first_engine.connect()
            assert sa.inspect(second_engine).get_table_names() == []
        finally:
            second_engine.dispose()
    leaked.close()
    first_engine.dispose()
    server = sa.create_engine(postgres_url)
    try:
        with server.connect() as conn:
            names = conn.execute(sa.text("select datname from pg_database")).scalars().all()
        assert first.database not in names
        assert second.database not in names
    finally:
        server.dispose()


def test_psycopg_url_forces_the_psycopg3_driver() -> None:
    assert psycopg_url("postgresql://u@h:5433/db").drivername == "postgresql+psycopg"
    assert psycopg_url("postgresql+psycopg2://u@h/db").render_as_string() == (
        "postgresql+psycopg://u@h/db"
    )
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        psycopg_url("sqlite:///x.db")


def test_find_bin_dir_picks_the_newest_major_numerically(tmp_path: Path) -> None:
    assert find_bin_dir(tmp_path) is None
    for version in ("9.6", "15", "16", "notaversion"):
        (tmp_path / version / "bin").mkdir(parents=True)
        (tmp_path / version / "bin" / "initdb").touch()
    (tmp_path / "17" / "bin").mkdir(parents=True)  # no initdb: client-only install
    assert find_bin_dir(tmp_path) == tmp_path / "16" / "bin"


def test_missing_service_skips_unless_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LINKER_REQUIRE_DEMO", raising=False)
    with pytest.raises(pytest.skip.Exception, match="demo unavailable: gone"):
        unavailable("demo", "LINKER_REQUIRE_DEMO", "gone", "install it")
    monkeypatch.setenv("LINKER_REQUIRE_DEMO", "1")
    with pytest.raises(pytest.fail.Exception, match="Fix: install it"):
        unavailable("demo", "LINKER_REQUIRE_DEMO", "gone", "install it")


def _greeting_app() -> Flask:
    """A page whose button fetches from the server and rewrites a paragraph via JS."""
    app = Flask(__name__)

    @app.get("/")
    def index() -> str:
        return """<!doctype html><html><body>
<p id="status">waiting</p>
<button id="go" onclick="fetch('/greeting').then(r => r.json())
  .then(j => { document.getElementById('status').textContent = j.text; })">Link</button>
</body></html>"""

    @app.get("/greeting")
    def greeting() -> Response:
        return jsonify(text="linked 3 records")

    return app


def test_browser_clicks_through_a_live_app(
    page: Page, live_server: Callable[[Flask], str], tmp_path: Path
) -> None:
    base_url = live_server(_greeting_app())
    page.goto(base_url)
    status = page.locator("#status")
    expect(status).to_have_text("waiting")
    page.get_by_role("button", name="Link").click()
    expect(status).to_have_text("linked 3 records")
    shot = tmp_path / "page.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert shot.stat().st_size > 1000


def test_live_server_stops_listening_on_exit() -> None:
    with serve_app(_greeting_app()) as base_url:
        with urllib.request.urlopen(f"{base_url}/greeting", timeout=5) as response:
            assert response.status == 200
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"{base_url}/greeting", timeout=5)
