"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-22 15:03:05.620125
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "asserted_relations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("a_source", sa.String(length=64), nullable=False),
        sa.Column("a_record_key", sa.String(length=200), nullable=False),
        sa.Column("b_source", sa.String(length=64), nullable=False),
        sa.Column("b_record_key", sa.String(length=200), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("asserted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asserted_relations")),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=500), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index("ix_audit_at", ["at"], unique=False)
        batch_op.create_index("ix_audit_target", ["target"], unique=False)

    op.create_table(
        "decisions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("left_source", sa.String(length=64), nullable=False),
        sa.Column("left_record_key", sa.String(length=200), nullable=False),
        sa.Column("right_source", sa.String(length=64), nullable=False),
        sa.Column("right_record_key", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reviewer", sa.String(length=64), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("needs_second", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_decisions")),
    )
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_decisions_pair",
            ["left_source", "left_record_key", "right_source", "right_record_key"],
            unique=False,
        )
        batch_op.create_index(
            "ix_decisions_right", ["right_source", "right_record_key"], unique=False
        )
        batch_op.create_index("ix_decisions_run", ["run_id"], unique=False)

    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("model_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
    )
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=256), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_tokens_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "entities",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("a_number", sa.String(length=9), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sources", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_entities_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entities")),
        sa.UniqueConstraint("run_id", "entity_id", name="uq_entities_run_entity"),
    )
    op.create_table(
        "records",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("row_id", sa.BigInteger(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("record_key", sa.String(length=200), nullable=False),
        sa.Column("entity_id", sa.String(length=32), nullable=False),
        sa.Column("a_number", sa.String(length=9), nullable=True),
        sa.Column("a_number_original", sa.String(length=9), nullable=True),
        sa.Column("full_name", sa.String(length=300), nullable=True),
        sa.Column("given_phonetic", sa.String(length=32), nullable=True),
        sa.Column("family_1_phonetic", sa.String(length=32), nullable=True),
        sa.Column("dob", sa.String(length=10), nullable=True),
        sa.Column("dob_year", sa.SmallInteger(), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("document_id", sa.String(length=64), nullable=True),
        sa.Column("person_id", sa.String(length=200), nullable=True),
        sa.Column("address_key", sa.String(length=300), nullable=True),
        sa.Column("family_group", sa.String(length=200), nullable=True),
        sa.Column("standardized", sa.Text(), nullable=False),
        sa.Column("raw", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_records_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_records")),
        sa.UniqueConstraint("run_id", "source", "record_key", name="uq_records_run_source_key"),
    )
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.create_index("ix_records_run_a_number", ["run_id", "a_number"], unique=False)
        batch_op.create_index("ix_records_run_address", ["run_id", "address_key"], unique=False)
        batch_op.create_index("ix_records_run_dob", ["run_id", "dob"], unique=False)
        batch_op.create_index("ix_records_run_document", ["run_id", "document_id"], unique=False)
        batch_op.create_index("ix_records_run_entity", ["run_id", "entity_id"], unique=False)
        batch_op.create_index(
            "ix_records_run_family_dob", ["run_id", "family_1_phonetic", "dob_year"], unique=False
        )
        batch_op.create_index("ix_records_run_group", ["run_id", "family_group"], unique=False)
        batch_op.create_index(
            "ix_records_run_names", ["run_id", "family_1_phonetic", "given_phonetic"], unique=False
        )
        batch_op.create_index("ix_records_run_person", ["run_id", "person_id"], unique=False)
        batch_op.create_index("ix_records_run_phone", ["run_id", "phone"], unique=False)
        batch_op.create_index("ix_records_run_row", ["run_id", "row_id"], unique=False)

    op.create_table(
        "relations",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("entity_a", sa.String(length=32), nullable=False),
        sa.Column("entity_b", sa.String(length=32), nullable=False),
        sa.Column("relation", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("strength", sa.String(length=16), nullable=False),
        sa.Column("inferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_relations_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_relations")),
    )
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.create_index("ix_relations_run_a", ["run_id", "entity_a"], unique=False)
        batch_op.create_index("ix_relations_run_b", ["run_id", "entity_b"], unique=False)

    op.create_table(
        "pairs",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("left_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("right_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("match_weight", sa.Float(), nullable=False),
        sa.Column("match_probability", sa.Float(), nullable=False),
        sa.Column("contradiction", sa.String(length=64), nullable=False),
        sa.Column("review_rank", sa.Integer(), nullable=True),
        sa.Column("review_reason", sa.String(length=200), nullable=False),
        sa.Column("explanation", sa.Text(), nullable=False),
        sa.Column("claimed_by", sa.String(length=64), nullable=True),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["left_id"], ["records.id"], name=op.f("fk_pairs_left_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["right_id"], ["records.id"], name=op.f("fk_pairs_right_id_records"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_pairs_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pairs")),
        sa.UniqueConstraint("run_id", "left_id", "right_id", name="uq_pairs_run_left_right"),
    )
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.create_index("ix_pairs_run_review", ["run_id", "review_rank"], unique=False)
        batch_op.create_index("ix_pairs_run_right", ["run_id", "right_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_run_right")
        batch_op.drop_index("ix_pairs_run_review")

    op.drop_table("pairs")
    with op.batch_alter_table("relations", schema=None) as batch_op:
        batch_op.drop_index("ix_relations_run_b")
        batch_op.drop_index("ix_relations_run_a")

    op.drop_table("relations")
    with op.batch_alter_table("records", schema=None) as batch_op:
        batch_op.drop_index("ix_records_run_row")
        batch_op.drop_index("ix_records_run_phone")
        batch_op.drop_index("ix_records_run_person")
        batch_op.drop_index("ix_records_run_names")
        batch_op.drop_index("ix_records_run_group")
        batch_op.drop_index("ix_records_run_family_dob")
        batch_op.drop_index("ix_records_run_entity")
        batch_op.drop_index("ix_records_run_document")
        batch_op.drop_index("ix_records_run_dob")
        batch_op.drop_index("ix_records_run_address")
        batch_op.drop_index("ix_records_run_a_number")

    op.drop_table("records")
    op.drop_table("entities")
    op.drop_table("api_tokens")
    op.drop_table("users")
    op.drop_table("runs")
    with op.batch_alter_table("decisions", schema=None) as batch_op:
        batch_op.drop_index("ix_decisions_run")
        batch_op.drop_index("ix_decisions_right")
        batch_op.drop_index("ix_decisions_pair")

    op.drop_table("decisions")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_target")
        batch_op.drop_index("ix_audit_at")

    op.drop_table("audit_log")
    op.drop_table("asserted_relations")
