"""Initial schema: containers, step journal (checkpoints, intents), logs and caches.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runner.state.models import UTCDateTime

revision = "0001"
down_revision: str | None = None
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, UTCDateTime(), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "containers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, unique=True),
        sa.Column("playbook_path", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(128), nullable=False),
        sa.Column("git_revision", sa.String(64), nullable=True),
        sa.Column("ship", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("restarts", sa.Integer(), nullable=False),
        _ts("next_restart_at"),
        sa.Column("lease_owner", sa.String(200), nullable=True),
        _ts("lease_expires_at"),
        sa.Column("lease_version", sa.Integer(), nullable=False),
        sa.Column("step_path", sa.Text(), nullable=True),
        _ts("started_at"),
        _ts("finished_at"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("stop_requested", sa.Boolean(), nullable=False),
        sa.Column("source_text", sa.Text(), nullable=True),
        _ts("created_at", nullable=False),
        _ts("updated_at", nullable=False),
    )
    op.create_index("ix_containers_ship", "containers", ["ship"])
    op.create_index("ix_containers_status", "containers", ["status"])

    op.create_table(
        "checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("container_id", sa.Integer(),
                  sa.ForeignKey("containers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step_path", sa.Text(), nullable=False),
        sa.Column("command_index", sa.Integer(), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        _ts("created_at", nullable=False),
    )
    op.create_index("ix_checkpoints_container_id", "checkpoints", ["container_id"])

    op.create_table(
        "intents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("container_id", sa.Integer(),
                  sa.ForeignKey("containers.id", ondelete="CASCADE"), nullable=False),
        sa.Column("step_path", sa.Text(), nullable=False),
        sa.Column("command_index", sa.Integer(), nullable=False),
        sa.Column("command", sa.JSON(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        _ts("created_at", nullable=False),
        _ts("resolved_at"),
    )
    op.create_index("ix_intents_container_id", "intents", ["container_id"])

    op.create_table(
        "logs",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("container_id", sa.Integer(),
                  sa.ForeignKey("containers.id", ondelete="CASCADE"), nullable=True),
        _ts("time", nullable=False),
        sa.Column("level", sa.String(16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_logs_container_id", "logs", ["container_id"])
    op.create_index("ix_logs_time", "logs", ["time"])

    op.create_table(
        "cache_systems",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("x", sa.Integer(), nullable=False),
        sa.Column("y", sa.Integer(), nullable=False),
        _ts("fetched_at", nullable=False),
    )
    op.create_table(
        "cache_waypoints",
        sa.Column("symbol", sa.String(64), primary_key=True),
        sa.Column("system", sa.String(64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        _ts("fetched_at", nullable=False),
    )
    op.create_index("ix_cache_waypoints_system", "cache_waypoints", ["system"])
    for table in ("cache_markets", "cache_ships"):
        op.create_table(
            table,
            sa.Column("symbol", sa.String(64), primary_key=True),
            sa.Column("data", sa.JSON(), nullable=False),
            _ts("fetched_at", nullable=False),
        )


def downgrade() -> None:
    for table in ("cache_ships", "cache_markets", "cache_waypoints", "cache_systems",
                  "logs", "intents", "checkpoints", "containers"):
        op.drop_table(table)
