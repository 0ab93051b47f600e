"""Alembic environment: migrations run on the connection `linker.store.db` hands over.

`linker` never shells out to the `alembic` command: `Store.open` upgrades the schema to
head on its own connection, so a fresh SQLite file or PostgreSQL database is ready with
nothing to run by hand. `alembic -c linker/store/alembic.ini ...` still works for
writing new revisions (it uses DATABASE_URL).
"""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine

from linker.store.schema import Base

target_metadata = Base.metadata


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = context.config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = os.environ.get("DATABASE_URL", "sqlite:///linker.db")
    with create_engine(url).connect() as conn:
        _run(conn)
