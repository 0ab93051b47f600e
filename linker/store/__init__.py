"""The store: runs, records, pairs, entities, relations, decisions, users, audit log.

SQLite by default, PostgreSQL through the same code. The service reads and writes only
through this package.
"""

from linker.store.db import Store, database_url

__all__ = ["Store", "database_url"]
