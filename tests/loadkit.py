"""Load and fault harness for the reviewer API: a real gunicorn, many reviewers, a count.

Shared by `tests/test_load_faults.py` (small and fast, in CI) and
`benchmarks/bench_review_load.py` (50 reviewers for 60 s). Both need the same three
parts, so they live here once:

* a store holding a small real run (sample extracts -> reconcile -> `persist_run`) and
  reviewer users with API tokens (`seed_store`);
* the service under gunicorn as it runs in production, in its own process group so
  that a fault test can SIGKILL master and workers at once, and so that nothing
  outlives the test (`gunicorn_server`);
* reviewers as threads, each on its own keep-alive HTTP connection, working the queue
  through `GET /api/review/next` and `POST /api/decisions` (`run_load`), and the count
  afterwards, read from the decisions table rather than from what the server said
  (`stored_decisions`, `tally`).

Every decision the load makes carries the note "load <reviewer> <seq>", unique per
reviewer, so a decision stored twice shows up as a repeated (reviewer, note), and a
decision acknowledged (201 with its id in `Location`) but missing from the table is a
lost one. stdlib `http.client` is the client: the test pays for no extra dependency,
and nothing retries behind our back (a client that silently re-sent a POST would hide
exactly the duplicates we count).

Tests import this module as `loadkit` (`tests/` is on pytest's path, like `helpers`);
the benchmark, run from the repository root, imports it as `tests.loadkit`.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import aliased

from linker.mapping import load_mapping
from linker.reconcile import ReconcileResult, reconcile
from linker.sampledata import generate_sample
from linker.store import Store
from linker.store.runs import latest_run, persist_run
from linker.store.schema import Decision, Pair, Record
from linker.store.users import add_user

REVIEW_NEXT = "GET /api/review/next"
DECIDE = "POST /api/decisions"
ROUTES = (REVIEW_NEXT, DECIDE)
DECISION_KINDS = ("match", "distinct", "unsure")
NOTE_PREFIX = "load"
SERVICE_APP = "service:create_app()"  # the production entry point
REPO_ROOT = Path(__file__).resolve().parent.parent

RecordRef = tuple[str, str]  # (source, record_key)
KnownPair = tuple[RecordRef, RecordRef]


# --- the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class Reviewer:
    username: str
    token: str


def reconciled_sample(
    workdir: Path, *, people: int, seed: int
) -> tuple[ReconcileResult, pd.DataFrame]:
    """A real batch on sample extracts: the result and its full records (raw rows kept).

    Built once and persisted into as many stores as a caller needs; the records come
    back from the Parquet file reconcile streams them to, as `linker reconcile` does.
    """
    sample = workdir / "sample"
    generate_sample(people=people, seed=seed, out_dir=sample)
    records_path = workdir / "records.parquet"
    result = reconcile(load_mapping(sample / "mapping.toml"), records_path=records_path)
    return result, pd.read_parquet(records_path)


def seed_store(
    url: str, result: ReconcileResult, records: pd.DataFrame, *, reviewers: int
) -> list[Reviewer]:
    """Persist the run into the (empty) store at `url` and add reviewers with API tokens."""
    store = Store.open(url)
    try:
        persist_run(store, result, records)
        with store.session() as session:
            users = [
                add_user(session, f"loadrev{i:02d}", "reviewer", token=True)
                for i in range(reviewers)
            ]
    finally:
        store.close()
    return [Reviewer(u.username, u.token) for u in users if u.token is not None]


def known_pairs(url: str) -> list[KnownPair]:
    """Every pair of the latest run by its records' agency keys.

    Reviewers fall back to deciding one of these when the queue is empty, so that a
    60-second load keeps writing decisions after the (small) queue has been worked off.
    """
    store = Store.open(url, migrate=False)
    try:
        with store.session() as session:
            run = latest_run(session)
            if run is None:
                raise RuntimeError(f"no run stored at {store.safe_url}")
            left, right = aliased(Record), aliased(Record)
            rows = session.execute(
                select(left.source, left.record_key, right.source, right.record_key)
                .select_from(Pair)
                .join(left, Pair.left_id == left.id)
                .join(right, Pair.right_id == right.id)
                .where(Pair.run_id == run.id)
                .order_by(Pair.id)
            ).all()
    finally:
        store.close()
    return [((ls, lk), (rs, rk)) for ls, lk, rs, rk in rows]


@dataclass(frozen=True)
class StoredDecision:
    decision_id: int
    reviewer: str
    decision: str
    note: str


def stored_decisions(url: str) -> list[StoredDecision]:
    """The load's decisions as the store holds them, read afresh (a new engine)."""
    store = Store.open(url, migrate=False)
    try:
        with store.session() as session:
            rows = session.execute(
                select(Decision.id, Decision.reviewer, Decision.decision, Decision.note)
                .where(Decision.note.startswith(f"{NOTE_PREFIX} "))
                .order_by(Decision.id)
            ).all()
    finally:
        store.close()
    return [StoredDecision(int(i), r, d, n) for i, r, d, n in rows]


# --- the server --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def process_group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes in a process group, read from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone while we looked
            continue
        # "pid (comm) state ppid pgrp ...": comm may hold spaces, so split after ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


@dataclass
class GunicornServer:
    """A running gunicorn (master + workers) in its own process group."""

    process: subprocess.Popen[bytes]
    base_url: str
    log_path: Path

    @property
    def pgid(self) -> int:
        return self.process.pid  # start_new_session: the master leads its group

    def kill(self) -> None:
        """SIGKILL master and workers at once, as a crashed host or OOM killer would."""
        try:
            os.killpg(self.pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        _wait_until_gone(self.pgid, timeout=10)

    def stop(self) -> None:
        """SIGQUIT (gunicorn's quick shutdown), SIGKILL whatever is left after 10 s.

        Not SIGTERM's graceful shutdown: the load is over by now, and waiting on idle
        keep-alive connections costs seconds per test.
        """
        if self.process.poll() is None:
            try:
                os.killpg(self.pgid, signal.SIGQUIT)
                self.process.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        # Also after the master exited: a worker must not outlive it.
        if process_group_members(self.pgid):
            self.kill()
        elif self.process.poll() is None:
            self.process.wait(timeout=10)

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _wait_until_gone(pgid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while process_group_members(pgid):
        if time.monotonic() > deadline:
            raise RuntimeError(f"process group {pgid} still alive after SIGKILL")
        time.sleep(0.05)


def _healthy(base_url: str) -> bool:
    parts = urlsplit(base_url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=2)
    try:
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _start(
    app: str,
    database_url: str,
    port: int,
    log_path: Path,
    workers: int,
    threads: int,
    secret: str,
) -> GunicornServer:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--graceful-timeout",
        "5",
        # gunicorn 27 opens a control socket at ~/.gunicorn/gunicorn.ctl by default:
        # one path for every server on the machine, so concurrent runs would collide.
        "--no-control-socket",
        "--error-logfile",
        str(log_path),
        app,
    ]
    env = {**os.environ, "DATABASE_URL": database_url, "LINKER_SECRET_KEY": secret}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    return GunicornServer(process, f"http://127.0.0.1:{port}", log_path)


@contextmanager
def gunicorn_server(
    database_url: str,
    log_dir: Path,
    *,
    workers: int = 2,
    threads: int = 8,
    startup_timeout: float = 60.0,
    app: str = SERVICE_APP,
) -> Iterator[GunicornServer]:
    """Serve `service:create_app()` under gunicorn (gthread) on a free loopback port.

    The production command of the service, not a test server: separate worker
    processes sharing one store, each with its own engine and pool. Yields once
    /healthz answers; on exit, stops the whole process group whatever happened (also
    when the test already killed it), so no gunicorn outlives its test.
    """
    log_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_hex(32)  # one key for all workers, as the service requires
    last_error = ""
    for attempt in range(3):  # a probed free port can be taken before gunicorn binds it
        log_path = log_dir / f"gunicorn-{attempt}.log"
        server = _start(app, database_url, free_port(), log_path, workers, threads, secret)
        try:
            deadline = time.monotonic() + startup_timeout
            while server.process.poll() is None and time.monotonic() < deadline:
                if _healthy(server.base_url):
                    break
                time.sleep(0.1)
            else:
                last_error = server.log_tail()
                if "Address already in use" in last_error:
                    continue
                raise RuntimeError(f"gunicorn did not come up:\n{last_error}")
            yield server
            return
        finally:
            server.stop()
    raise RuntimeError(f"gunicorn found no free port:\n{last_error}")


# --- the load ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Acknowledged:
    """A decision the server answered 201 for, with the id its `Location` names."""

    decision_id: int
    reviewer: str
    decision: str
    note: str


@dataclass
class LoadReport:
    """What the reviewers saw: latencies of answered requests, errors, acknowledgements."""

    duration_s: float = 0.0
    latencies_s: dict[str, list[float]] = field(default_factory=lambda: {r: [] for r in ROUTES})
    errors: Counter[str] = field(default_factory=Counter)
    acknowledged: list[Acknowledged] = field(default_factory=list)
    queue_empty: int = 0  # 204s from review/next (the reviewer then decided a known pair)

    @property
    def requests(self) -> int:
        return sum(len(v) for v in self.latencies_s.values()) + self.failed_requests

    @property
    def failed_requests(self) -> int:
        """Requests with no answer at all (connection refused or reset, timeout)."""
        return sum(n for kind, n in self.errors.items() if "status" not in kind)

    def percentile_ms(self, route: str, q: float) -> float:
        values = self.latencies_s[route]
        return float(np.percentile(values, q) * 1000) if values else float("nan")

    def merge(self, other: LoadReport) -> None:
        for route in ROUTES:
            self.latencies_s[route].extend(other.latencies_s[route])
        self.errors.update(other.errors)
        self.acknowledged.extend(other.acknowledged)
        self.queue_empty += other.queue_empty


class _ReviewerLoop:
    """One reviewer: next pair, decide it, repeat, on one keep-alive connection."""

    def __init__(
        self,
        reviewer: Reviewer,
        base_url: str,
        fallback: Sequence[KnownPair],
        deadline: float,
        stop: threading.Event,
        seed: int,
        on_ack: Callable[[Acknowledged], None] | None,
        seq_start: int,
    ) -> None:
        parts = urlsplit(base_url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port
        self.reviewer = reviewer
        self.fallback = fallback
        self.deadline = deadline
        self.stop = stop
        self.random = random.Random(seed)
        self.on_ack = on_ack
        self.seq_start = seq_start
        self.report = LoadReport()
        self.conn: http.client.HTTPConnection | None = None
        self.headers = {
            "Authorization": f"Bearer {reviewer.token}",
            "Accept": "application/json",
        }

    def _call(
        self, route: str, path: str, body: dict | None = None
    ) -> tuple[int, http.client.HTTPResponse, bytes] | None:
        method = route.split()[0]
        headers = dict(self.headers)
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as e:
            # No answer: the request may or may not have been applied. Never re-sent.
            if self.conn is not None:
                self.conn.close()
                self.conn = None
            self.report.errors[f"{route}: {type(e).__name__}"] += 1
            time.sleep(0.05)  # a dead server refuses at once; don't spin on it
            return None
        self.report.latencies_s[route].append(time.perf_counter() - started)
        if response.will_close:
            self.conn.close()
            self.conn = None
        return response.status, response, data

    def _next_pair(self) -> KnownPair | None:
        answer = self._call(REVIEW_NEXT, "/api/review/next")
        if answer is None:
            return None
        status, _response, data = answer
        if status == 204:
            self.report.queue_empty += 1
            return self.random.choice(self.fallback)
        if status != 200:
            self.report.errors[f"{REVIEW_NEXT}: status {status}"] += 1
            return None
        pair = json.loads(data)
        left, right = pair["left"], pair["right"]
        return (left["source"], left["record_key"]), (right["source"], right["record_key"])

    def _decide(self, pair: KnownPair, seq: int) -> None:
        (ls, lk), (rs, rk) = pair
        kind = self.random.choice(DECISION_KINDS)
        note = f"{NOTE_PREFIX} {self.reviewer.username} {seq}"
        body = {
            "left": {"source": ls, "record_key": lk},
            "right": {"source": rs, "record_key": rk},
            "decision": kind,
            "note": note,
        }
        answer = self._call(DECIDE, "/api/decisions", body)
        if answer is None:
            return
        status, response, _data = answer
        location = response.getheader("Location") or ""
        tail = location.rstrip("/").rsplit("/", 1)[-1]
        if status != 201 or not tail.isdigit():
            self.report.errors[f"{DECIDE}: status {status}"] += 1
            return
        acknowledged = Acknowledged(int(tail), self.reviewer.username, kind, note)
        self.report.acknowledged.append(acknowledged)
        if self.on_ack is not None:
            self.on_ack(acknowledged)

    def run(self) -> None:
        seq = self.seq_start
        try:
            while not self.stop.is_set() and time.monotonic() < self.deadline:
                pair = self._next_pair()
                if pair is None or self.stop.is_set():
                    continue
                seq += 1
                self._decide(pair, seq)
        finally:
            if self.conn is not None:
                self.conn.close()


def run_load(
    base_url: str,
    reviewers: Sequence[Reviewer],
    fallback: Sequence[KnownPair],
    *,
    duration_s: float,
    stop: threading.Event | None = None,
    seed: int = 0,
    on_ack: Callable[[Acknowledged], None] | None = None,
    seq_start: int = 0,
) -> LoadReport:
    """Run every reviewer concurrently for `duration_s` (or until `stop` is set).

    `on_ack` is called (from the reviewer's thread) with each acknowledged decision as
    it happens, for a caller that acts mid-load, such as a fault test. Notes count
    from `seq_start` + 1, so a second load on the same store writes fresh notes.
    """
    if not fallback:
        raise ValueError("no known pairs to fall back on when the queue is empty")
    stop = stop or threading.Event()
    started = time.monotonic()
    loops = [
        _ReviewerLoop(
            r, base_url, fallback, started + duration_s, stop, seed * 1_000 + i, on_ack, seq_start
        )
        for i, r in enumerate(reviewers)
    ]
    threads = [
        threading.Thread(target=loop.run, name=f"reviewer-{loop.reviewer.username}")
        for loop in loops
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    report = LoadReport(duration_s=time.monotonic() - started)
    for loop in loops:
        report.merge(loop.report)
    return report


# --- the count ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Acknowledged decisions against the decisions table."""

    acknowledged: int
    stored: int
    lost: tuple[Acknowledged, ...]  # acknowledged, but no such row (id, reviewer, note)
    duplicated: int  # stored rows beyond the first for one (reviewer, note)
    unacknowledged: int  # stored, never acknowledged: in flight when the answer was lost


def tally(acknowledged: Sequence[Acknowledged], stored: Sequence[StoredDecision]) -> Tally:
    by_id = {s.decision_id: s for s in stored}
    lost = tuple(
        a
        for a in acknowledged
        if (s := by_id.get(a.decision_id)) is None
        or (s.reviewer, s.decision, s.note) != (a.reviewer, a.decision, a.note)
    )
    per_note = Counter((s.reviewer, s.note) for s in stored)
    acked_ids = {a.decision_id for a in acknowledged}
    return Tally(
        acknowledged=len(acknowledged),
        stored=len(stored),
        lost=lost,
        duplicated=sum(n - 1 for n in per_note.values() if n > 1),
        unacknowledged=sum(1 for s in stored if s.decision_id not in acked_ids),
    )
