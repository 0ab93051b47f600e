"""A throwaway PostgreSQL server for one test session, and fresh databases inside it.

Why a private cluster rather than the machine's service: CI starts from a bare machine
with only Debian's `postgresql` package installed (no running service, no roles), and a
developer's own server should never see test tables. `initdb` into a temp dir, `pg_ctl`
on a free loopback port with the unix socket in the same dir, and delete it all at the
end; with fsync off the whole start costs about two seconds.

PostgreSQL refuses to run as root, and CI runs as root, so under euid 0 every server
command runs as the `postgres` system user (Debian's package creates it; we create it if
missing) through `runuser`, and the temp dir belongs to that user.

Set ``LINKER_TEST_POSTGRES_URL`` to use an existing server instead (its role needs
CREATEDB, since every test gets its own database).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

EXTERNAL_URL_ENV = "LINKER_TEST_POSTGRES_URL"
REQUIRE_ENV = "LINKER_REQUIRE_POSTGRES"
INSTALL_FIX = (
    "apt-get install -y postgresql (./dev test does this), or set LINKER_TEST_POSTGRES_URL"
)

SERVICE_USER = "postgres"
SUPERUSER = "postgres"
SESSION_DATABASE = "linker_test"
_START_ATTEMPTS = 3  # a free port can be taken between probing it and binding it


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL binaries on this machine (the fixture turns this into skip or fail)."""


def find_bin_dir(root: Path = Path("/usr/lib/postgresql")) -> Path | None:
    """The newest installed major version's bin dir (Debian installs them side by side)."""
    candidates = [p.parent for p in root.glob("*/bin/initdb")]
    versioned = [(int(m.group()), p) for p in candidates if (m := re.match(r"\d+", p.parent.name))]
    return max(versioned)[1] if versioned else None


def psycopg_url(url: str | URL) -> URL:
    """The URL with SQLAlchemy's psycopg 3 driver, whatever driver (or none) it named."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername="postgresql+psycopg")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _ensure_service_user() -> None:
    """Create the `postgres` system user when Debian's package did not (a bare image)."""
    completed = subprocess.run(["id", "-u", SERVICE_USER], capture_output=True, check=False)
    if completed.returncode != 0:
        subprocess.run(
            [
                "useradd",
                "--system",
                "--user-group",
                "--no-create-home",
                "--shell",
                "/usr/sbin/nologin",
                SERVICE_USER,
            ],
            check=True,
            capture_output=True,
        )


@dataclass(frozen=True)
class _Cluster:
    """One initdb'd data dir and how to run its commands (as `postgres` when we are root)."""

    bin_dir: Path
    base: Path

    @property
    def data_dir(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "sockets"

    @property
    def log_file(self) -> Path:
        return self.base / "server.log"

    def run(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [str(self.bin_dir / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", SERVICE_USER, "--", *command]
        # cwd inside the cluster dir: the service user may not be able to enter ours.
        completed = subprocess.run(
            command, cwd=self.base, capture_output=True, text=True, check=False
        )
        if check and completed.returncode != 0:
            log = (
                self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            )
            raise RuntimeError(
                f"{' '.join(command)} exited {completed.returncode}\n"
                f"stdout: {completed.stdout}\nstderr: {completed.stderr}\nserver log tail:\n{log}"
            )
        return completed

    def initdb(self) -> None:
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            for path in (self.base, self.socket_dir):
                shutil.chown(path, SERVICE_USER, SERVICE_USER)
        self.run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )

    def start(self, port: int) -> None:
        # Durability is worthless for a throwaway cluster; turning it off makes CREATE
        # DATABASE and commits fast. Listen on loopback only, socket in our own dir.
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {self.socket_dir} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=50"
        )
        self.run(
            "pg_ctl",
            "start",
            "--pgdata",
            str(self.data_dir),
            "--wait",
            "--timeout",
            "30",
            "--log",
            str(self.log_file),
            "-o",
            options,
        )

    def stop(self) -> None:
        # immediate: no checkpoint to write, the data dir is deleted next.
        self.run(
            "pg_ctl",
            "stop",
            "--pgdata",
            str(self.data_dir),
            "--mode",
            "immediate",
            "--wait",
            check=False,
        )


@contextmanager
def postgres_server() -> Iterator[URL]:
    """Yield a psycopg URL to a fresh database on a throwaway server, stopped on exit.

    With ``LINKER_TEST_POSTGRES_URL`` set, yield that server's URL instead and start
    nothing. Raises PostgresUnavailable when no binaries are installed.
    """
    external = os.environ.get(EXTERNAL_URL_ENV)
    if external:
        yield psycopg_url(external)
        return
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PostgresUnavailable("no /usr/lib/postgresql/*/bin/initdb")
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            raise RuntimeError("running as root needs `runuser` (util-linux) to start PostgreSQL")
        _ensure_service_user()
    # Not pytest's tmp_path: that lives under a 0700 per-user dir the service user cannot
    # traverse. The system temp dir is world-traversable.
    cluster = _Cluster(bin_dir=bin_dir, base=Path(tempfile.mkdtemp(prefix="linker-pg-")))
    try:
        cluster.initdb()
        for attempt in range(_START_ATTEMPTS):
            port = _free_port()
            try:
                cluster.start(port)
                break
            except RuntimeError:
                if attempt == _START_ATTEMPTS - 1:
                    raise
        server = URL.create(
            "postgresql+psycopg",
            username=SUPERUSER,
            host="127.0.0.1",
            port=port,
            database="postgres",
        )
        _create_database(server, SESSION_DATABASE)
        yield server.set(database=SESSION_DATABASE)
    finally:
        # Also after a failed or timed-out start: a postmaster may be up all the same.
        if (cluster.data_dir / "postmaster.pid").exists():
            cluster.stop()
        shutil.rmtree(cluster.base, ignore_errors=True)


def _admin_engine(url: URL) -> sa.Engine:
    # CREATE/DROP DATABASE cannot run inside a transaction; NullPool leaves no
    # connection open to be reported as a ResourceWarning or to block the DROP.
    return sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)


def _create_database(server: URL, name: str) -> None:
    engine = _admin_engine(server)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()


@contextmanager
def fresh_database(server: str | URL) -> Iterator[URL]:
    """Create an empty database ``test_<uuid>`` on the server, yield its URL, then drop it.

    Each test (or module) gets a database no other test has touched, so tests cannot see
    each other's rows and need no cleanup. The drop uses FORCE, so a connection the test
    forgot to close does not keep the database alive.
    """
    admin_url = psycopg_url(server)
    name = f"test_{uuid.uuid4().hex}"
    engine = _admin_engine(admin_url)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        try:
            yield admin_url.set(database=name)
        finally:
            with engine.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        engine.dispose()
