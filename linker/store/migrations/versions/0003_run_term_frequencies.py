"""run term frequencies, pair indexes for deletes

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:10:50.157729
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pairs_run_right"))
        batch_op.create_index("ix_pairs_left", ["left_id"], unique=False)
        batch_op.create_index("ix_pairs_right", ["right_id"], unique=False)

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("term_frequencies", sa.Text(), server_default="{}", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("term_frequencies")

    with op.batch_alter_table("pairs", schema=None) as batch_op:
        batch_op.drop_index("ix_pairs_right")
        batch_op.drop_index("ix_pairs_left")
        batch_op.create_index(
            batch_op.f("ix_pairs_run_right"), ["run_id", "right_id"], unique=False
        )
