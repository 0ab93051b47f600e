"""Opening the store: one SQLAlchemy engine for SQLite or PostgreSQL, migrated to head.

SQLite is the default (a file, nothing to start); it runs in WAL mode so reviewers read
while a writer commits, with a busy timeout instead of "database is locked" errors.
PostgreSQL is reached through the same code when the URL says so.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from linker.errors import ConfigError

DEFAULT_URL = "sqlite:///linker.db"
_MIGRATIONS = Path(__file__).with_name("migrations")
# Held while migrating so that several app workers starting at once migrate once.
_PG_MIGRATION_LOCK = 7_346_211


def database_url(given: str | None = None) -> str:
    """`--db` if given, else DATABASE_URL, else a SQLite file in the working folder.

    A bare path is read as a SQLite file, and `postgresql://` picks psycopg 3.
    """
    url = given or os.environ.get("DATABASE_URL") or DEFAULT_URL
    if "://" not in url:
        url = f"sqlite:///{url}"
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    try:
        make_url(url)
    except ArgumentError as e:
        raise ConfigError([f"database URL is not valid: {e}"]) from e
    return url


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable against a crashed process
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Store:
    """The engine and a session factory; `open()` also brings the schema to head."""

    def __init__(self, url: str | None = None) -> None:
        self.url = database_url(url)
        parsed = make_url(self.url)
        self.dialect = parsed.get_backend_name()
        kwargs: dict[str, Any] = {"future": True}
        if self.dialect == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        else:
            kwargs |= {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 20}
        self.engine: Engine = create_engine(self.url, **kwargs)
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None, *, migrate: bool = True) -> Store:
        store = cls(url)
        try:
            if migrate:
                store.migrate()
            else:
                store.check_schema()
        except OperationalError as e:
            raise ConfigError([f"cannot open the store at {store.safe_url}: {e.orig or e}"]) from e
        return store

    @property
    def safe_url(self) -> str:
        """The URL without its password, for messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def _alembic_config(self) -> Config:
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        return config

    def migrate(self) -> None:
        """Upgrade the schema to the newest revision (idempotent)."""
        config = self._alembic_config()
        with self.engine.begin() as connection:
            if self.dialect == "postgresql":
                connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def check_schema(self) -> None:
        head = ScriptDirectory.from_config(self._alembic_config()).get_current_head()
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
        if current != head:
            raise ConfigError(
                [
                    f"the store at {self.safe_url} is at schema {current or 'none'}, "
                    f"this version needs {head}: run any linker command with --db to migrate"
                ]
            )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with self._sessions() as session, session.begin():
            yield session

    def close(self) -> None:
        self.engine.dispose()
