"""Load and faults: many reviewers against the real server, and a server killed mid-load.

The service runs under gunicorn exactly as in production (separate worker processes
sharing one store), on SQLite and on PostgreSQL. Reviewers work the queue through the
JSON API; afterwards the decisions table is counted, not the server's word for it:

* under load: every response is 2xx, and every acknowledged decision is stored once;
* SIGKILL of master and workers mid-load: every decision the server acknowledged with
  201 is in the store when it is opened again, and a restarted server serves it.
  Requests in flight at the kill may fail or may have been applied; neither counts
  against the server, only an acknowledged decision that is missing does.

`benchmarks/bench_review_load.py` runs the same harness (tests/loadkit.py) at full
scale (50 reviewers, 60 s) and reports the latencies.
"""

from __future__ import annotations

import http.client
import json
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import loadkit as L
import pandas as pd
import pytest
import sqlalchemy as sa
from infra import postgres as infra_postgres
from sqlalchemy.engine import URL
from sqlalchemy.pool import NullPool

from linker.reconcile import ReconcileResult

REVIEWERS = 20
LOAD_SECONDS = 8.0
ACKNOWLEDGED_BEFORE_KILL = 5 * REVIEWERS


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[ReconcileResult, pd.DataFrame]:
    """One real batch on ~1,500 sample people, persisted into each test's own store."""
    return L.reconciled_sample(tmp_path_factory.mktemp("load-run"), people=1500, seed=7)


@pytest.fixture(scope="module")
def seeded_sqlite(
    tmp_path_factory: pytest.TempPathFactory, sample_run: tuple[ReconcileResult, pd.DataFrame]
) -> tuple[Path, list[L.Reviewer]]:
    """A SQLite store with the run and the reviewers, built once and copied per test."""
    path = tmp_path_factory.mktemp("load-template") / "linker.db"
    reviewers = L.seed_store(f"sqlite:///{path}", *sample_run, reviewers=REVIEWERS)
    return path, reviewers


@pytest.fixture(scope="module")
def seeded_postgres(
    postgres_url: str, sample_run: tuple[ReconcileResult, pd.DataFrame]
) -> Iterator[tuple[URL, list[L.Reviewer]]]:
    """The same on PostgreSQL: a database each test clones (CREATE DATABASE ... TEMPLATE)."""
    with infra_postgres.fresh_database(postgres_url) as template:
        url = template.render_as_string(hide_password=False)
        yield template, L.seed_store(url, *sample_run, reviewers=REVIEWERS)


@contextmanager
def _clone(template: URL) -> Iterator[str]:
    """A new database copied from `template` (nobody may be connected to it), dropped after."""
    name = f"test_{uuid.uuid4().hex}"
    admin = sa.create_engine(template, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{template.database}"'))
        try:
            yield template.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def loaded_store(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[str, list[L.Reviewer]]]:
    """This test's own store, SQLite or PostgreSQL, holding the run and the reviewers.

    Seeding costs seconds (reviewers' password hashes, the run's rows), so each backend
    is seeded once per module and copied per test; PostgreSQL is started only when a
    postgresql case runs (`-k sqlite` starts no server).
    """
    if request.param == "sqlite":
        template, reviewers = request.getfixturevalue("seeded_sqlite")
        copy = tmp_path / "linker.db"
        shutil.copyfile(template, copy)
        yield f"sqlite:///{copy}", reviewers
        return
    pg_template, reviewers = request.getfixturevalue("seeded_postgres")
    with _clone(pg_template) as url:
        yield url, reviewers


@pytest.fixture
def server_logs(tmp_path: Path) -> Iterator[Path]:
    """gunicorn's log dir; its tail is printed when a test fails, for the reason why."""
    logs = tmp_path / "gunicorn"
    yield logs
    for log in sorted(logs.glob("*.log")):
        print(f"--- {log.name} ---\n" + "\n".join(log.read_text().splitlines()[-30:]))


def _get(base_url: str, path: str, token: str) -> tuple[int, dict]:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        body = response.read()
        return response.status, json.loads(body) if body else {}
    finally:
        conn.close()


def test_the_count_finds_lost_duplicated_and_unacknowledged_decisions() -> None:
    """The checker itself: a count that could not see a loss would pass every load."""
    acked = [
        L.Acknowledged(1, "ana", "match", "load ana 1"),
        L.Acknowledged(2, "ana", "distinct", "load ana 2"),  # stored as another kind
        L.Acknowledged(3, "bo", "unsure", "load bo 1"),  # never stored
    ]
    stored = [
        L.StoredDecision(1, "ana", "match", "load ana 1"),
        L.StoredDecision(2, "ana", "match", "load ana 2"),
        L.StoredDecision(4, "ana", "match", "load ana 1"),  # stored twice
        L.StoredDecision(5, "bo", "unsure", "load bo 2"),  # in flight at a kill
    ]
    count = L.tally(acked, stored)
    assert [a.decision_id for a in count.lost] == [2, 3]
    assert (count.acknowledged, count.stored, count.duplicated, count.unacknowledged) == (
        3,
        4,
        1,
        2,
    )
    assert L.tally(acked[:1], stored[:1]) == L.Tally(1, 1, (), 0, 0)


@pytest.mark.slow  # starts gunicorn, seconds of load
def test_reviewers_under_load_get_no_errors_and_lose_no_decision(
    loaded_store: tuple[str, list[L.Reviewer]], server_logs: Path
) -> None:
    url, reviewers = loaded_store
    fallback = L.known_pairs(url)
    with L.gunicorn_server(url, server_logs) as server:
        report = L.run_load(server.base_url, reviewers, fallback, duration_s=LOAD_SECONDS)
        pgid = server.pgid
    assert L.process_group_members(pgid) == [], "gunicorn outlived its test"

    assert dict(report.errors) == {}, "every response must be 2xx"
    # The queue is worked off and the reviewers kept going on known pairs: both routes
    # were exercised for the whole run, not a handful of requests.
    assert report.queue_empty > 0
    assert len(report.acknowledged) >= 5 * len(reviewers)
    assert len(report.latencies_s[L.REVIEW_NEXT]) >= len(report.acknowledged)

    count = L.tally(report.acknowledged, L.stored_decisions(url))
    assert count.lost == ()
    assert count.duplicated == 0
    assert count.unacknowledged == 0  # with no errors, nothing stored went unanswered
    assert count.stored == count.acknowledged == len(report.acknowledged)
    assert len({a.decision_id for a in report.acknowledged}) == count.acknowledged


@pytest.mark.slow  # starts gunicorn twice, seconds of load
def test_sigkill_mid_load_loses_no_acknowledged_decision(
    loaded_store: tuple[str, list[L.Reviewer]], server_logs: Path
) -> None:
    url, reviewers = loaded_store
    fallback = L.known_pairs(url)
    stop = threading.Event()
    reports: list[L.LoadReport] = []
    acknowledged = threading.Semaphore(0)

    with L.gunicorn_server(url, server_logs) as server:

        def load() -> None:
            reports.append(
                L.run_load(
                    server.base_url,
                    reviewers,
                    fallback,
                    duration_s=60,
                    stop=stop,
                    on_ack=lambda _: acknowledged.release(),
                )
            )

        loader = threading.Thread(target=load, name="load")
        loader.start()
        try:
            # Kill once the load is in full swing: every reviewer has had time to decide.
            for _ in range(ACKNOWLEDGED_BEFORE_KILL):
                assert acknowledged.acquire(timeout=30), "the load never got going"
            server.kill()  # master and workers, mid-request
            assert L.process_group_members(server.pgid) == []
            time.sleep(0.5)  # reviewers now meet a dead server
        finally:
            stop.set()
            loader.join(timeout=60)
    assert not loader.is_alive()
    (report,) = reports
    # The kill landed mid-load: decisions were acknowledged before it, and requests
    # after it went unanswered.
    assert len(report.acknowledged) >= ACKNOWLEDGED_BEFORE_KILL
    assert report.failed_requests > 0

    count = L.tally(report.acknowledged, L.stored_decisions(url))
    assert count.lost == (), f"{len(count.lost)} acknowledged decisions lost"
    assert count.duplicated == 0
    # At most one request per reviewer was in flight: its decision may be stored
    # without its 201 having reached the reviewer, never more.
    assert count.unacknowledged <= len(reviewers)

    # A restarted server serves what the killed one acknowledged (each reviewer's last
    # decision: the nearest to the kill) and takes new work, counted as strictly.
    last = {a.reviewer: a for a in sorted(report.acknowledged, key=lambda a: a.decision_id)}
    tokens = {r.username: r.token for r in reviewers}
    # One worker is enough to serve, and boots in half the CPU time.
    with L.gunicorn_server(url, server_logs, workers=1) as again:
        for ack in last.values():
            status, served = _get(
                again.base_url, f"/api/decisions/{ack.decision_id}", tokens[ack.reviewer]
            )
            assert status == 200
            assert (served["reviewer"], served["decision"], served["note"]) == (
                ack.reviewer,
                ack.decision,
                ack.note,
            )
        after = L.run_load(
            again.base_url, reviewers[:2], fallback, duration_s=1.0, seed=1, seq_start=10**6
        )
    assert dict(after.errors) == {}
    assert after.acknowledged
    recount = L.tally(report.acknowledged + after.acknowledged, L.stored_decisions(url))
    assert recount.lost == () and recount.duplicated == 0
    assert recount.stored == count.stored + len(after.acknowledged)
