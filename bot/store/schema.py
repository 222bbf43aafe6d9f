"""The schema, declared once: every table, column and index of the intake database.

The statements of a turn (`bot/store/sql.py`) are compiled from these `Table`s, and Alembic's
autogenerate compares against `metadata`; the migrations in `migrations/versions/` are frozen
copies of each step (a migration must not change when this file does), and a test checks that
upgrading to head yields exactly this schema on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.types import TypeDecorator

__all__ = ["LEAD_STATUSES", "UTCDateTime", "broker_sessions", "conversations", "counters",
           "lead_status", "leads", "metadata", "outbox", "turns", "users"]

# Alembic's bookkeeping table; not declared here (Alembic owns it), but dropped with the rest.
VERSION_TABLE = "alembic_version"


class UTCDateTime(TypeDecorator[datetime]):
    """A point in time, stored in UTC, read back as an aware UTC datetime on every database.

    PostgreSQL: `timestamp with time zone`. SQLite has no time type: the text
    `YYYY-MM-DD HH:MM:SS.ffffff` in UTC (SQLAlchemy's SQLite storage format), which sorts in time
    order, so comparisons and indexes work the same as on PostgreSQL. A naive datetime is refused:
    its zone would be a guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None,
                             dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

conversations = Table(
    "conversations", metadata,
    Column("chat_key", String(200), primary_key=True),
    Column("data", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)

# One row per processed prospect message: the id that caused a turn and the turn it produced,
# so a redelivered message is answered from here and changes nothing (dedup by membership).
turns = Table(
    "turns", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # No index of its own: the unique (chat_key, message_id) index serves lookups by chat.
    Column("chat_key", String(200), nullable=False),
    Column("message_id", String(200), nullable=False),
    Column("incoming", Text, nullable=True),
    Column("turn", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    # When the channel confirmed that the reply reached the prospect; NULL until then.
    Column("delivered_at", UTCDateTime, nullable=True),
    UniqueConstraint("chat_key", "message_id", name="uq_turns_message"),
)

# "Undelivered turns since T, oldest first": a partial index holds only the rows not yet
# confirmed sent, so it stays a handful of entries however long the transcript table grows.
Index(
    "ix_turns_undelivered", turns.c.created_at, turns.c.id,
    sqlite_where=turns.c.delivered_at.is_(None),
    postgresql_where=turns.c.delivered_at.is_(None),
)

leads = Table(
    "leads", metadata,
    Column("reference", String(32), primary_key=True),
    Column("chat_key", String(200), nullable=False, index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("data", Text, nullable=False),
    # The broker who took the lead ("Ik bel deze" in the brokers' Telegram group, or the
    # inbox): the first claim wins, later ones are told who has it.
    Column("claimed_by", String(200), nullable=True),
    Column("claimed_at", UTCDateTime, nullable=True),
    # Where the broker stands with it (the inbox, docs/inbox.md): one of LEAD_STATUSES. A claim
    # moves a new lead to "opgepakt"; every change is kept in lead_status.
    Column("status", String(32), nullable=False, server_default="nieuw"),
)

# A lead's statuses, in the order a lead usually goes through them. The values are the
# contract's Dutch words (issue 11); the inbox shows them through the catalog.
LEAD_STATUSES = ("nieuw", "opgepakt", "gebeld", "offerte aangevraagd", "afgesloten",
                 "afgewezen")

# Every status change of a lead: who, when. Goes with the lead (erasure, retention) through
# the foreign key's ON DELETE CASCADE; holds no data of the prospect.
lead_status = Table(
    "lead_status", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("reference", String(32), ForeignKey("leads.reference", ondelete="CASCADE"),
           nullable=False, index=True),
    Column("status", String(32), nullable=False),
    Column("by", String(254), nullable=False),  # the broker's e-mail, or the group member
    Column("at", UTCDateTime, nullable=False),
)

# The brokers who may log in to the inbox (`intake users add`): argon2 hashes only.
users = Table(
    "users", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(254), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    UniqueConstraint("email", name="uq_users_email"),
)

# Logged-in inbox sessions. The cookie carries a random token (signed); the database keeps
# only its SHA-256, so a dump hands out no session. Logout deletes the row: the old cookie is
# refused from then on. Removing a user removes their sessions (ON DELETE CASCADE).
broker_sessions = Table(
    "broker_sessions", metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
           index=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("seen_at", UTCDateTime, nullable=False),
)

# The transactional outbox (bot/outbox.py): one row per event and target, written in the same
# transaction as what caused it (the final turn, a claim, an erasure), delivered by a worker.
outbox = Table(
    "outbox", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    # The receiver's idempotency key (webhook-id, Message-ID): stable per lead, event, target.
    Column("event_id", String(64), nullable=False),
    Column("target", String(32), nullable=False),
    Column("type", String(40), nullable=False),
    Column("reference", String(32), nullable=False, index=True),
    # The chat whose personal data the payload carries, so an erasure removes the row with the
    # chat; NULL for events that carry none (lead.erased).
    Column("chat_key", String(200), nullable=True, index=True),
    Column("payload", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("state", String(16), nullable=False),  # pending, delivered, failed
    # A claimed row belongs to one worker until the lease runs out (a worker that died).
    Column("leased_until", UTCDateTime, nullable=True),
    Column("lease", String(32), nullable=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("last_error", String(200), nullable=True),  # a status or error class, no data
    UniqueConstraint("event_id", name="uq_outbox_event_id"),
)

# "Pending rows due now": a partial index of the rows still to deliver.
Index(
    "ix_outbox_due", outbox.c.due_at, outbox.c.id,
    sqlite_where=outbox.c.state == "pending",
    postgresql_where=outbox.c.state == "pending",
)

counters = Table(
    "counters", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)


def _drop_version_table(target: Any, connection: Any, **kw: Any) -> None:
    # `metadata.drop_all()` empties the database of ours completely: without this, Alembic's
    # version row would claim a schema whose tables are gone, and the next upgrade would do
    # nothing.
    connection.execute(text(f"DROP TABLE IF EXISTS {VERSION_TABLE}"))


event.listen(metadata, "after_drop", _drop_version_table)
