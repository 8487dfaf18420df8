"""Rate-limit pools shared by every st-run process of an account or address (issue 19).

Revision ID: 0005_limits_shared_pools
Revises: 0004_galaxy_cache
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_limits_shared_pools"
down_revision: str | None = "0004_galaxy_cache"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_pools",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("pool", sa.String(16), primary_key=True),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("answered_at", sa.Float(), nullable=True),
        sa.Column("blocked_until", sa.Float(), nullable=False),
        sa.Column("round_trip", sa.Float(), nullable=False),
    )
    op.create_table(
        "rate_waiters",
        sa.Column("scope", sa.String(200), primary_key=True),
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("heads", sa.JSON(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("rate_waiters")
    op.drop_table("rate_pools")
