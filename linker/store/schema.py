"""The tables of the store (SQLAlchemy 2 declarative), one module so Alembic sees them all.

What outlives a run is keyed by agency keys, never by a run's row ids: decisions and
reviewer-asserted relations name records by `(source, record_key)`, so every later batch
can apply them. What belongs to one run (its records, pairs, entities, relations) hangs
off `runs.id` and is replaced wholesale by the next run; the latest finished run is the
one the service shows.

Personal data lives in `records` only (and the raw rows in it); the audit log and the
application logs name records by `(source, record_key)` and people by user name.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names: Alembic migrations and both databases agree on them.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

ROLES = ("reviewer", "analyst", "admin")
DECISION_KINDS = ("match", "distinct", "unsure")

# A BIGINT primary key that SQLite still treats as its rowid alias (autoincrement).
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, datetime: DateTime(timezone=True)}


class Run(Base):
    """One batch persisted: its settings, counts and model, and when it finished."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default="loading")  # loading|finished
    mapping: Mapped[str] = mapped_column(Text, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(default=dict)
    model_json: Mapped[str] = mapped_column(Text, default="")
    # JSON text {column: {value: records holding it}} for the name columns the lookup's
    # term-frequency adjustment needs; counted from the frame at persist time so that a
    # lookup never scans the million stored records for them.
    term_frequencies: Mapped[str] = mapped_column(Text, default="{}", server_default="{}")


class Record(Base):
    """A canonical person record of one run: indexed lookup keys, plus everything else
    (standardized values and the raw row) as JSON for the reviewer's side-by-side view."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("run_id", "source", "record_key", name="uq_records_run_source_key"),
        Index("ix_records_run_entity", "run_id", "entity_id"),
        Index("ix_records_run_row", "run_id", "row_id"),
        Index("ix_records_run_a_number", "run_id", "a_number"),
        Index("ix_records_run_names", "run_id", "family_1_phonetic", "given_phonetic"),
        Index("ix_records_run_family_dob", "run_id", "family_1_phonetic", "dob_year"),
        Index("ix_records_run_dob", "run_id", "dob"),
        Index("ix_records_run_phone", "run_id", "phone"),
        Index("ix_records_run_document", "run_id", "document_id"),
        Index("ix_records_run_person", "run_id", "person_id"),
        Index("ix_records_run_address", "run_id", "address_key"),
        Index("ix_records_run_group", "run_id", "family_group"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    row_id: Mapped[int] = mapped_column(BigInteger)  # the run's record_id (position)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(200))
    entity_id: Mapped[str] = mapped_column(String(32))
    a_number: Mapped[str | None] = mapped_column(String(9))  # the entity's (recovered)
    a_number_original: Mapped[str | None] = mapped_column(String(9))
    full_name: Mapped[str | None] = mapped_column(String(300))
    given_phonetic: Mapped[str | None] = mapped_column(String(32))
    family_1_phonetic: Mapped[str | None] = mapped_column(String(32))
    dob: Mapped[str | None] = mapped_column(String(10))
    dob_year: Mapped[int | None] = mapped_column(SmallInteger)
    phone: Mapped[str | None] = mapped_column(String(32))
    document_id: Mapped[str | None] = mapped_column(String(64))
    person_id: Mapped[str | None] = mapped_column(String(200))
    address_key: Mapped[str | None] = mapped_column(String(300))
    family_group: Mapped[str | None] = mapped_column(String(200))
    # JSON text, written in bulk by the run (json.loads to read): the standardized
    # values and the raw row as the extract had it.
    standardized: Mapped[str] = mapped_column(Text, default="{}")
    raw: Mapped[str] = mapped_column(Text, default="{}")

    def standardized_values(self) -> dict[str, Any]:
        return dict(json.loads(self.standardized or "{}"))

    def raw_values(self) -> dict[str, Any]:
        return dict(json.loads(self.raw or "{}"))


class Pair(Base):
    """A scored candidate pair kept for review, links and explanations."""

    __tablename__ = "pairs"
    __table_args__ = (
        UniqueConstraint("run_id", "left_id", "right_id", name="uq_pairs_run_left_right"),
        Index("ix_pairs_run_review", "run_id", "review_rank"),
        # Leading left_id / right_id: deleting an old run's records checks the foreign
        # keys of pairs row by row, a full scan each without these.
        Index("ix_pairs_left", "left_id"),
        Index("ix_pairs_right", "right_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    left_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    right_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    match_weight: Mapped[float] = mapped_column(Float)
    match_probability: Mapped[float] = mapped_column(Float)
    contradiction: Mapped[str] = mapped_column(String(64), default="")
    review_rank: Mapped[int | None] = mapped_column(Integer)  # position in the queue
    review_reason: Mapped[str] = mapped_column(String(200), default="")
    # JSON text: comparison -> [level, contribution to the match weight]
    explanation: Mapped[str] = mapped_column(Text, default="{}")
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]


class Entity(Base):
    """A resolved person of one run (members are the records carrying its id)."""

    __tablename__ = "entities"
    __table_args__ = (UniqueConstraint("run_id", "entity_id", name="uq_entities_run_entity"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    entity_id: Mapped[str] = mapped_column(String(32))
    a_number: Mapped[str | None] = mapped_column(String(9))
    size: Mapped[int] = mapped_column(Integer)
    sources: Mapped[str] = mapped_column(String(200))  # "cbp,hhs"


class Relation(Base):
    """A relation between two entities of one run (family graph)."""

    __tablename__ = "relations"
    __table_args__ = (
        Index("ix_relations_run_a", "run_id", "entity_a"),
        Index("ix_relations_run_b", "run_id", "entity_b"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    entity_a: Mapped[str] = mapped_column(String(32))
    entity_b: Mapped[str] = mapped_column(String(32))
    relation: Mapped[str] = mapped_column(String(32))
    evidence: Mapped[str] = mapped_column(Text, default="")
    strength: Mapped[str] = mapped_column(String(16), default="strong")
    inferred: Mapped[bool] = mapped_column(Boolean, default=False)
    sources: Mapped[str] = mapped_column(String(200), default="", server_default="")  # "cbp;hhs"
    support: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # rows behind it
    stated: Mapped[str | None] = mapped_column(String(64))  # a sponsor's "MOTHER", else null


class AssertedRelation(Base):
    """A relation a reviewer added (or removed: `active` false), keyed by records so it
    survives re-runs that renumber entities. Append-only like decisions."""

    __tablename__ = "asserted_relations"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    a_source: Mapped[str] = mapped_column(String(64))
    a_record_key: Mapped[str] = mapped_column(String(200))
    b_source: Mapped[str] = mapped_column(String(64))
    b_record_key: Mapped[str] = mapped_column(String(200))
    relation: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(Text, default="")
    reviewer: Mapped[str] = mapped_column(String(64))
    asserted_at: Mapped[datetime] = mapped_column(default=utcnow)


class Decision(Base):
    """A reviewer's decision on two records; append-only, the latest per reviewer counts.

    The pair is stored in a canonical order (the smaller `(source, record_key)` on the
    left) so that (a, b) and (b, a) are one pair.
    """

    __tablename__ = "decisions"
    __table_args__ = (
        Index(
            "ix_decisions_pair",
            "left_source",
            "left_record_key",
            "right_source",
            "right_record_key",
        ),
        Index("ix_decisions_right", "right_source", "right_record_key"),
        Index("ix_decisions_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    left_source: Mapped[str] = mapped_column(String(64))
    left_record_key: Mapped[str] = mapped_column(String(200))
    right_source: Mapped[str] = mapped_column(String(64))
    right_record_key: Mapped[str] = mapped_column(String(200))
    decision: Mapped[str] = mapped_column(String(16))
    reviewer: Mapped[str] = mapped_column(String(64))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")
    run_id: Mapped[int | None] = mapped_column(Integer)  # the run it was made against
    # The two-person rule: a match that gives a child's record an A-number needs a
    # second reviewer's match before it binds.
    needs_second: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """A bearer token for programs; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class AuditEvent(Base):
    """Who did what to which record, when. `target` names records by (source, key) or
    entities by id, never by personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_at", "at"), Index("ix_audit_target", "target"))

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(500), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
