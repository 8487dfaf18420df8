"""Galaxy data across systems (gates, links, construction), one row per system.

Revision ID: 0004_galaxy_cache
Revises: 0003_harden
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runner.state.models import UTCDateTime

revision = "0004_galaxy_cache"
down_revision: str | None = "0003_harden"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "cache_galaxy",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("fetched_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("cache_galaxy")
