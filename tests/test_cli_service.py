"""The commands around the store and the service: users, serve, reconcile --db, train, demo.

The batch tests share one sample and one first `reconcile --db` (module fixture); each
test copies the SQLite store so decisions made in one never leak into another.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from werkzeug.serving import make_server

from linker.cli import main
from linker.cli_service import QuietRequestHandler
from linker.store import Store
from linker.store.decisions import record_decision
from linker.store.runs import latest_run
from linker.store.schema import Decision
from linker.store.users import authenticate, user_for_token
from linker.train_decisions import labelled_pairs, stored_model
from models import FellegiSunterModel
from service import create_app

REPO = Path(__file__).resolve().parents[1]


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# --- users ------------------------------------------------------------------------------


def test_users_add_prints_a_one_time_password_that_logs_in(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    output = _invoke("users", "add", "rita", "--role", "reviewer", "--db", url)
    password = output.strip().splitlines()[-1].removeprefix("one-time password: ")
    with Store.open(url).session() as session:
        user = authenticate(session, "rita", password)
        assert user is not None and user.role == "reviewer"
    again = CliRunner().invoke(main, ["users", "add", "rita", "--role", "admin", "--db", url])
    assert again.exit_code == 2 and "already exists" in again.output


def test_users_add_with_token_prints_the_token_alone_last(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    output = _invoke("users", "add", "bot", "--role", "analyst", "--token", "--db", url)
    token = output.splitlines()[-1]
    assert token == token.strip() and " " not in token and token.startswith("lk_")
    with Store.open(url).session() as session:
        user = user_for_token(session, token)
        assert user is not None and user.username == "bot"


# --- serve ------------------------------------------------------------------------------


def test_dev_server_access_log_leaves_out_query_strings(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'linker.db'}"})
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with caplog.at_level(logging.INFO, logger="werkzeug"):
            url = f"http://127.0.0.1:{server.server_port}/healthz?q=MARIA+LOPEZ&dob=2011-02-03"
            with urllib.request.urlopen(url, timeout=10) as response:
                assert response.status == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "werkzeug")
    assert '"GET /healthz" 200' in logged
    assert "MARIA" not in logged and "2011" not in logged and "?" not in logged


def test_serve_builds_the_app_on_the_given_store(monkeypatch, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'served.db'}"
    served = {}

    def fake_run(app, host, port):  # the real one blocks until Ctrl-C
        served.update(app=app, host=host, port=port)

    monkeypatch.setattr("linker.cli_service.run_dev_server", fake_run)
    output = _invoke("serve", "--db", url, "--port", "5123")
    assert "http://127.0.0.1:5123" in output
    assert served["host"] == "127.0.0.1" and served["port"] == 5123
    assert served["app"].extensions["linker_store"].url == url
    assert (tmp_path / "served.db").is_file()  # opened and migrated


@pytest.mark.slow  # four workers each import the app: ~5 s idle, far more on a busy box
def test_documented_gunicorn_command_serves_the_health_check(tmp_path: Path) -> None:
    """The production command of docs/service.md, as written there, answers /healthz, and
    its access log carries no query string."""
    docs = (REPO / "docs" / "service.md").read_text()
    assert "gunicorn -w 4 -k gthread --threads 8 'service:create_app()'" in docs
    log_format = '%(h)s "%(m)s %(U)s" %(s)s %(M)sms'
    assert log_format in docs
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    Store.open(url).close()  # migrate once, before the workers start
    port = _free_port()
    access_log = tmp_path / "access.log"
    command = [
        sys.executable, "-m", "gunicorn", "-w", "4", "-k", "gthread", "--threads", "8",
        "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
        "--access-logformat", log_format, "service:create_app()",
        # Test-only: no shared ~/.gunicorn control socket, a quick stop.
        "--no-control-socket", "--graceful-timeout", "5",
    ]  # fmt: skip
    env = {**os.environ, "DATABASE_URL": url, "LINKER_SECRET_KEY": "test-" + "k" * 32}
    process = subprocess.Popen(
        command,
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        body = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                target = f"http://127.0.0.1:{port}/healthz?q=MARIA+LOPEZ"
                with urllib.request.urlopen(target, timeout=5) as response:
                    body = json.loads(response.read())
                break
            except OSError:
                time.sleep(0.2)
        assert body is not None, f"gunicorn did not answer: exit {process.poll()}"
        assert body["status"] == "ok"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    logged = access_log.read_text()
    assert '"GET /healthz" 200' in logged, stderr.decode(errors="replace")[-2000:]
    assert "MARIA" not in logged and "q=" not in logged


# --- reconcile --db, train --------------------------------------------------------------


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Sample extracts and a first `reconcile --db` into a SQLite store."""
    work = tmp_path_factory.mktemp("batch")
    _invoke("sample-data", "--people", "400", "--seed", "5", "--out", str(work / "sample"))
    db = work / "linker.db"
    output = _invoke(
        "reconcile", str(work / "sample" / "mapping.toml"), "--out", str(work / "run1"),
        "--db", f"sqlite:///{db}", "--quiet",
    )  # fmt: skip
    assert "run 1 stored in sqlite:///" in output
    return {"work": work, "db": db, "mapping": work / "sample" / "mapping.toml"}


@pytest.fixture
def store_copy(first_run: dict[str, Path], tmp_path: Path) -> str:
    shutil.copy(first_run["db"], tmp_path / "linker.db")
    return f"sqlite:///{tmp_path / 'linker.db'}"


def test_reconcile_with_db_records_each_source_agency(
    first_run: dict[str, Path], store_copy: str
) -> None:
    # The family flags read the agencies from the run: summary.json and the store.
    agencies = {"cbp": "cbp", "ice": "ice", "hhs": "hhs"}
    summary = json.loads((first_run["work"] / "run1" / "summary.json").read_text())
    assert summary["agencies"] == agencies
    with Store.open(store_copy).session() as session:
        run = latest_run(session)
        assert run is not None and run.settings["agencies"] == agencies


def test_reconcile_with_db_records_how_each_source_wrote_its_dates_and_sex(
    first_run: dict[str, Path], store_copy: str
) -> None:
    # A lookup of one new record of a source reads "05/06/2015" as the run read its
    # extract: the sample's HHS extract writes day first, CBP's and ICE's do not. Its
    # sex reads in the source's codes (all three sample extracts write letters).
    orders = {
        "cbp": {"dob": False, "event_date": False},
        "ice": {"dob": False, "event_date": False},
        "hhs": {"dob": True, "event_date": True},
    }
    summary = json.loads((first_run["work"] / "run1" / "summary.json").read_text())
    sex = {"cbp": "letters", "ice": "letters", "hhs": "letters"}
    assert summary["date_orders"] == orders and summary["sex_codes"] == sex
    with Store.open(store_copy).session() as session:
        run = latest_run(session)
        assert run is not None and run.settings["date_orders"] == orders
        assert run.settings["sex_codes"] == sex


def _entities(run_dir: Path) -> dict[tuple[str, str], str]:
    frame = pd.read_csv(run_dir / "entities.csv", dtype=str, keep_default_na=False)
    return dict(
        zip(zip(frame["source"], frame["record_key"], strict=True), frame["entity_id"], strict=True)
    )


def test_reconcile_with_db_keeps_and_applies_every_decision(
    first_run: dict[str, Path], store_copy: str, tmp_path: Path
) -> None:
    run1 = first_run["work"] / "run1"
    entity = _entities(run1)
    pairs = pd.read_parquet(run1 / "pairs.parquet")
    left = list(zip(pairs["left_source"], pairs["left_record_key"], strict=True))
    right = list(zip(pairs["right_source"], pairs["right_record_key"], strict=True))
    same = np.array([entity[a] == entity[b] for a, b in zip(left, right, strict=True)])
    apart = np.flatnonzero(~same)
    together = np.flatnonzero(same)
    assert len(apart) >= 3 and len(together) >= 3
    # Join two records the run kept apart; split two it put together.
    to_join = [(left[i], right[i]) for i in apart[:3]]
    to_split = [(left[i], right[i]) for i in together[:3]]
    with Store.open(store_copy).session() as session:
        for a, b in to_join:
            record_decision(session, a, b, "match", "rita", two_person_rule=False)
        for a, b in to_split:
            record_decision(session, a, b, "distinct", "rita")
        before = [d.id for d in session.scalars(select(Decision).order_by(Decision.id))]
    run2 = tmp_path / "run2"
    output = _invoke(
        "reconcile", str(first_run["mapping"]), "--out", str(run2), "--db", store_copy, "--quiet"
    )
    assert "run 2 stored" in output and "6 reviewer decisions applied" in output
    entity = _entities(run2)
    assert all(entity[a] == entity[b] for a, b in to_join)
    assert all(entity[a] != entity[b] for a, b in to_split)
    with Store.open(store_copy).session() as session:
        after = [d.id for d in session.scalars(select(Decision).order_by(Decision.id))]
    assert after == before


def test_train_from_decisions_moves_m_toward_the_labelled_pairs(
    first_run: dict[str, Path], store_copy: str, tmp_path: Path
) -> None:
    """Label true matches (as reviewers would) and check m moves toward their levels."""
    truth = pd.read_csv(first_run["work"] / "sample" / "truth" / "records.csv", dtype=str)
    person = dict(
        zip(zip(truth["source"], truth["record_key"], strict=True), truth["person_id"], strict=True)
    )
    pairs = pd.read_parquet(first_run["work"] / "run1" / "pairs.parquet")
    left = list(zip(pairs["left_source"], pairs["left_record_key"], strict=True))
    right = list(zip(pairs["right_source"], pairs["right_record_key"], strict=True))
    true = [(a, b) for a, b in zip(left, right, strict=True) if person.get(a) == person.get(b)]
    false = [(a, b) for a, b in zip(left, right, strict=True) if person.get(a) != person.get(b)]
    assert len(true) >= 40 and len(false) >= 5
    with Store.open(store_copy).session() as session:
        for a, b in true[:80]:
            record_decision(session, a, b, "match", "rita", two_person_rule=False)
        for a, b in false[:20]:
            record_decision(session, a, b, "distinct", "rita")
    with Store.open(store_copy).session() as session:
        before = stored_model(session)
        labelled = labelled_pairs(session, before)
    out = tmp_path / "model.json"
    output = _invoke("train", "--from-decisions", "--db", store_copy, "--out", str(out))
    assert f"learned from {min(80, len(true))} match" in output
    after = FellegiSunterModel.load(out)
    matches = labelled.gammas[labelled.is_match]
    moved = 0
    for comparison in before.comparisons:
        levels = matches[comparison.gamma_column].to_numpy()
        levels = levels[levels >= 0]
        if len(levels) < 20:
            continue
        share = np.bincount(levels, minlength=comparison.num_levels) / len(levels)
        old, new = before.m[comparison.name], after.m[comparison.name]
        for gamma in np.flatnonzero(np.abs(share - old) > 0.1):
            assert abs(new[gamma] - share[gamma]) < abs(old[gamma] - share[gamma])
            moved += 1
    assert moved > 0, "the labelled pairs should disagree with EM on some level"
    # The model scores the next batch.
    _invoke(
        "reconcile", str(first_run["mapping"]), "--out", str(tmp_path / "run"),
        "--model", str(out), "--quiet",
    )  # fmt: skip


def test_train_needs_decisions(store_copy: str, tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    no_flag = CliRunner().invoke(main, ["train", "--db", store_copy, "--out", str(out)])
    assert no_flag.exit_code == 2 and "--from-decisions" in no_flag.output
    empty = CliRunner().invoke(
        main, ["train", "--from-decisions", "--db", store_copy, "--out", str(out)]
    )
    assert empty.exit_code == 1 and "no binding match or distinct decisions" in empty.output
    assert not out.exists()


# --- demo -------------------------------------------------------------------------------


def test_demo_stores_the_run_and_prints_an_admin_login(tmp_path: Path) -> None:
    first = _invoke("demo", "--out", str(tmp_path), "--people", "150", "--no-serve")
    line = first.strip().splitlines()[-1]
    assert line.startswith("log in at http://127.0.0.1:5000 as demo / ")
    password = line.rsplit(" / ", 1)[1]
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    with Store.open(url).session() as session:
        user = authenticate(session, "demo", password)
        assert user is not None and user.role == "admin"
    # A second demo keeps the store's users and gives the demo admin a fresh password.
    second = _invoke("demo", "--out", str(tmp_path), "--people", "150", "--no-serve")
    fresh = second.strip().splitlines()[-1].rsplit(" / ", 1)[1]
    assert "run 2 stored" in second
    with Store.open(url).session() as session:
        assert authenticate(session, "demo", fresh) is not None
        assert authenticate(session, "demo", password) is None
