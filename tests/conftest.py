from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Generator, Iterator
from contextlib import ExitStack
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, settings
from infra import browser as infra_browser
from infra import postgres as infra_postgres
from infra import unavailable

if TYPE_CHECKING:
    from flask import Flask
    from playwright.sync_api import Browser, Page

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=40, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


# --- real services: PostgreSQL and headless Chromium (see tests/infra/) -------------------


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL of a database on a throwaway PostgreSQL server shared by the whole session.

    Started on first use only, so a run without PostgreSQL tests never pays for it.
    Prefer `postgres_database` / `database_url`, which give each test an empty database.
    """
    try:
        with infra_postgres.postgres_server() as url:
            yield url.render_as_string(hide_password=False)
    except infra_postgres.PostgresUnavailable as missing:
        unavailable(
            "PostgreSQL", infra_postgres.REQUIRE_ENV, str(missing), infra_postgres.INSTALL_FIX
        )


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[str]:
    """URL of a fresh, empty PostgreSQL database for one test, dropped afterwards."""
    with infra_postgres.fresh_database(postgres_url) as url:
        yield url.render_as_string(hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database URL per test, once on SQLite and once on PostgreSQL.

    The store must behave the same on both: SQLite for a reviewer's laptop, PostgreSQL
    in production. PostgreSQL is requested lazily, so `-k sqlite` starts no server.
    """
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "linker.db"
        return f"sqlite:///{path}"
    url: str = request.getfixturevalue("postgres_database")
    return url


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's headless Chromium under Playwright, launched once per session."""
    try:
        with infra_browser.chromium() as launched:
            yield launched
    except infra_browser.BrowserUnavailable as missing:
        unavailable("Chromium", infra_browser.REQUIRE_ENV, str(missing), infra_browser.INSTALL_FIX)


_phase_reports = pytest.StashKey[dict[str, pytest.TestReport]]()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the item, so `page` can tell whether the test failed."""
    report = yield
    item.stash.setdefault(_phase_reports, {})[report.when] = report
    return report


@pytest.fixture
def page(
    browser: Browser, request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Page]:
    """A page in a fresh browser context (no cookies or storage shared between tests).

    Timeouts are 10 s, not Playwright's 30 s, so a broken selector fails quickly. When
    the test fails, a full-page screenshot lands in <pytest basetemp>/screenshots/ and
    its path is printed with the test's captured output.
    """
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    opened = context.new_page()
    try:
        yield opened
    finally:
        call_report = request.node.stash.get(_phase_reports, {}).get("call")
        if call_report is not None and call_report.failed:
            shots = tmp_path_factory.getbasetemp() / "screenshots"
            shots.mkdir(exist_ok=True)
            target = shots / (re.sub(r"[^\w.-]+", "_", request.node.nodeid) + ".png")
            try:
                opened.screenshot(path=str(target), full_page=True)
                print(f"screenshot of the failed page: {target}", file=sys.stderr)
            except Exception as error:  # a crashed page must not hide the real failure
                print(f"no screenshot of the failed page: {error}", file=sys.stderr)
        context.close()


@pytest.fixture
def live_server() -> Iterator[Callable[[Flask], str]]:
    """Factory: `base_url = live_server(app)` serves a Flask app until the test ends."""
    with ExitStack() as servers:

        def serve(app: Flask) -> str:
            return servers.enter_context(infra_browser.live_server(app))

        yield serve


# --- a small real run in a SQLite store (review store, UI and browser tests) --------------

# Wide, so 800 people give a queue of about 60 pairs, some of them joining two entities.
REVIEW_BAND = (0.01, 0.999)


@pytest.fixture(scope="session")
def review_store_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Path of a SQLite store holding one persisted run of 800 sample people (seed 7),
    built once per session; copy it per test with `review_db_url`."""
    import pandas as pd

    from linker.mapping import load_mapping
    from linker.reconcile import ReconcileSettings, reconcile
    from linker.sampledata import generate_sample
    from linker.store import Store
    from linker.store.runs import persist_run

    base = tmp_path_factory.mktemp("review_run")
    generate_sample(800, 7, base / "sample")
    records_path = base / "records.parquet"
    result = reconcile(
        load_mapping(base / "sample" / "mapping.toml"),
        settings=ReconcileSettings(review_band=REVIEW_BAND),
        records_path=records_path,
    )
    path = base / "linker.db"
    store = Store.open(f"sqlite:///{path}")
    try:
        persist_run(
            store,
            result,
            pd.read_parquet(records_path),
            settings={"review_band": REVIEW_BAND, "threshold": 0.5},
        )
    finally:
        store.close()
    return str(path)


@pytest.fixture
def review_db_url(review_store_template: str, tmp_path: os.PathLike[str]) -> str:
    """A private copy of the review run's store for one test."""
    import shutil

    target = f"{tmp_path}/linker.db"
    shutil.copyfile(review_store_template, target)
    return f"sqlite:///{target}"
