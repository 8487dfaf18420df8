"""Cargo reservations: room in a ship's hold promised to a transfer (issue 18).

Revision ID: 0006_cargo_reservations
Revises: 0005_limits_shared_pools
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runner.state.models import UTCDateTime

revision = "0006_cargo_reservations"
down_revision: str | None = "0005_limits_shared_pools"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cargo_reservations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("container_id", sa.Integer(),
                  sa.ForeignKey("containers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("lease_version", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_cargo_reservations_target", "cargo_reservations", ["target"])
    op.create_index("ix_cargo_reservations_container_id", "cargo_reservations",
                    ["container_id"])


def downgrade() -> None:
    op.drop_index("ix_cargo_reservations_container_id", table_name="cargo_reservations")
    op.drop_index("ix_cargo_reservations_target", table_name="cargo_reservations")
    op.drop_table("cargo_reservations")
