"""Tokens a server reset made useless: never sent again, even by a restarted runner.

Only a SHA-256 digest of each token is stored (the token itself is never written down).

Revision ID: 0003_harden
Revises: 0002_resume_overrides
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from runner.state.models import UTCDateTime

revision = "0003_harden"
down_revision: str | None = "0002_resume_overrides"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dead_tokens",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("noticed_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("dead_tokens")
