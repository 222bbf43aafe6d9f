"""turns.delivered_at: when the channel confirmed the reply reached the prospect.

A reply is committed with its turn before it is sent; a process that dies in between leaves it
undelivered, and the runtime resends "undelivered turns since T" at start-up. The partial index
holds only those rows, so that question stays cheap however long the transcripts grow.

Existing turns count as delivered (delivered_at = created_at): the release before this one sent
each reply once right after its commit and kept no record; resending them all after an upgrade
would repeat up to a day of old messages to prospects.

SQLite only: the release before bound datetimes through sqlite3's default adapter (deprecated in
Python 3.12), which wrote `YYYY-MM-DD HH:MM:SS[.ffffff]+00:00`; they are rewritten to the UTC
text this release binds everywhere, `YYYY-MM-DD HH:MM:SS.ffffff`, so every value sorts and
compares alike. The downgrade keeps the new form: the release before never reads them.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

TIMESTAMPS = {
    "conversations": ("created_at", "updated_at"),
    "turns": ("created_at",),
    "leads": ("created_at",),
}


def upgrade() -> None:
    op.add_column("turns", sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True))
    if op.get_bind().dialect.name == "sqlite":
        for table, columns in TIMESTAMPS.items():
            for column in columns:
                op.execute(
                    f"UPDATE {table} SET {column} = CASE length({column}) "
                    f"WHEN 32 THEN substr({column}, 1, 26) "  # with microseconds
                    f"WHEN 25 THEN substr({column}, 1, 19) || '.000000' "  # without
                    f"ELSE {column} END WHERE {column} LIKE '%+00:00'"
                )
    op.execute("UPDATE turns SET delivered_at = created_at")
    undelivered = sa.text("delivered_at IS NULL")
    op.create_index("ix_turns_undelivered", "turns", ["created_at", "id"],
                    sqlite_where=undelivered, postgresql_where=undelivered)


def downgrade() -> None:
    op.drop_index("ix_turns_undelivered", table_name="turns")
    # SQLite 3.35+ drops a column in place (the store needs 3.35 for RETURNING anyway).
    op.drop_column("turns", "delivered_at")
