"""Runners sharing one database see each other: a row per live runner with its heartbeat
(issue 19, several runners on one Postgres).

Revision ID: 0007_runners
Revises: 0006_cargo_reservations
Create Date: 2026-12-07
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runner.state.models import UTCDateTime

revision = "0007_runners"
down_revision: str | None = "0006_cargo_reservations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "runners",
        sa.Column("owner", sa.String(200), primary_key=True),
        sa.Column("host", sa.String(200), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("runners")
