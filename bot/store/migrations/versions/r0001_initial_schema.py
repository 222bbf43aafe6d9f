"""The schema of the release before migrations: conversations, turns, leads, counters.

A database that release created (with `metadata.create_all`, no alembic_version table) has
exactly these tables; `bot.store.migrate` recognises it and stamps it 0001 instead of running
this. Frozen: this file describes that release, not today's schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("chat_key", sa.String(200), primary_key=True),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "turns",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("chat_key", sa.String(200), nullable=False),
        sa.Column("message_id", sa.String(200), nullable=False),
        sa.Column("incoming", sa.Text, nullable=True),
        sa.Column("turn", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("chat_key", "message_id", name="uq_turns_message"),
    )
    op.create_table(
        "leads",
        sa.Column("reference", sa.String(32), primary_key=True),
        sa.Column("chat_key", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
    )
    op.create_index("ix_leads_chat_key", "leads", ["chat_key"])
    op.create_table(
        "counters",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("counters")
    op.drop_index("ix_leads_chat_key", table_name="leads")
    op.drop_table("leads")
    op.drop_table("turns")
    op.drop_table("conversations")
