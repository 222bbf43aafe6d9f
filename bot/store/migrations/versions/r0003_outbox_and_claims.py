"""The transactional outbox (lead hand-off) and the claim of a lead by a broker.

`outbox`: one row per event and target, written in the transaction that caused it, delivered by
the worker in `intake serve` (bot/outbox.py). `leads.claimed_by` / `claimed_at`: who took the
lead ("Ik bel deze") and when. Leads of the release before get no outbox rows: they were never
handed off, and sending days-old leads at an upgrade would surprise the brokers more than help.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("claimed_by", sa.String(200), nullable=True))
    op.add_column("leads", sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False),
        sa.Column("target", sa.String(32), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("reference", sa.String(32), nullable=False),
        sa.Column("chat_key", sa.String(200), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("lease", sa.String(32), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.UniqueConstraint("event_id", name="uq_outbox_event_id"),
    )
    op.create_index("ix_outbox_reference", "outbox", ["reference"])
    op.create_index("ix_outbox_chat_key", "outbox", ["chat_key"])
    pending = sa.text("state = 'pending'")
    op.create_index("ix_outbox_due", "outbox", ["due_at", "id"],
                    sqlite_where=pending, postgresql_where=pending)


def downgrade() -> None:
    op.drop_index("ix_outbox_due", table_name="outbox")
    op.drop_index("ix_outbox_chat_key", table_name="outbox")
    op.drop_index("ix_outbox_reference", table_name="outbox")
    op.drop_table("outbox")
    op.drop_column("leads", "claimed_at")
    op.drop_column("leads", "claimed_by")
