"""The broker inbox (issue 11): users, their sessions, a lead's status and its history.

`users` (e-mail, argon2 hash), `broker_sessions` (the SHA-256 of a session cookie's token; a
logout deletes the row), `leads.status` (nieuw for the leads already there; a lead someone had
claimed in the brokers' Telegram group becomes opgepakt, as a claim does from now on) and
`lead_status` (every change: status, by whom, when), which goes with its lead.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.add_column("leads", sa.Column("status", sa.String(32), nullable=False,
                                     server_default="nieuw"))
    op.execute("UPDATE leads SET status = 'opgepakt' WHERE claimed_by IS NOT NULL")
    op.create_table(
        "lead_status",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("reference", sa.String(32),
                  sa.ForeignKey("leads.reference", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("by", sa.String(254), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lead_status_reference", "lead_status", ["reference"])
    # "by" is an SQL keyword: quoted, as SQLAlchemy quotes it.
    op.execute('INSERT INTO lead_status (reference, status, "by", "at") '
               "SELECT reference, 'opgepakt', claimed_by, claimed_at FROM leads "
               "WHERE claimed_by IS NOT NULL AND claimed_at IS NOT NULL")
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "broker_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_broker_sessions_user_id", "broker_sessions", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_broker_sessions_user_id", table_name="broker_sessions")
    op.drop_table("broker_sessions")
    op.drop_table("users")
    op.drop_index("ix_lead_status_reference", table_name="lead_status")
    op.drop_table("lead_status")
    op.drop_column("leads", "status")
