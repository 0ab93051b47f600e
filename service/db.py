"""The store behind the app: one per app, a session per unit of work in a view."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from sqlalchemy.orm import Session

from linker.store import Store

STORE_KEY = "linker_store"


def store() -> Store:
    return current_app.extensions[STORE_KEY]


@contextmanager
def db() -> Iterator[Session]:
    """Committed when the block ends, rolled back on an exception (then re-raised)."""
    with store().session() as session:
        yield session
