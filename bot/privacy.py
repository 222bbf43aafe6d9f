"""AVG: erasure ("vergeet mij", `intake erase REFERENCE`) and retention, over every table.

What a prospect said lives in four tables, all keyed by the chat key (for Telegram that is the
prospect's user id): `conversations`, `turns`, `leads` and `outbox` (hand-offs not yet
delivered or kept after delivery). An erasure asked for by the prospect is passed on to the
targets that take `lead.erased` (only the reference travels); retention is not. `counters`
holds only the lead number sequence. Erasing a chat deletes its rows from all four and then
scrubs what the engine keeps of deleted rows: SQLite overwrites deleted content
(`secure_delete`, set on every connection) and its write-ahead log is checkpointed and
truncated; PostgreSQL's dead row versions are vacuumed. docs/privacy.md says what remains and
for how long.

Erasures are logged with a keyed chat reference and row counts only, never the data.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, exists, select, text

from bot.logs import chat_ref
from bot.outbox import Route, erased_rows
from bot.store import Store
from bot.store import outbox as outbox_table
from bot.store.schema import conversations, leads, outbox, turns

__all__ = ["Purged", "erase_chat", "erase_reference", "purge", "scrub"]

log = logging.getLogger("intake.privacy")
PERSONAL_TABLES = (conversations, turns, leads, outbox)


def scrub(store: Store) -> None:
    """Make deleted rows unreadable as far as the engine allows (see the module docstring)."""
    if store.dialect == "sqlite":
        with store.engine.connect() as conn:
            # Content is overwritten on delete already; the WAL still holds the old pages
            # until it is checkpointed back into the file and truncated.
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in PERSONAL_TABLES:
            conn.execute(text(f"VACUUM {table.name}"))


def _delete_chats(store: Store, chat_keys: list[str],
                  routes: Sequence[Route] = ()) -> int:
    """Delete the chats' rows; with `routes`, the targets that took their leads are told
    (lead.erased, only the reference) in the same transaction."""
    removed = 0
    with store.engine.begin() as conn:
        if routes:
            references = conn.execute(select(leads.c.reference)
                                      .where(leads.c.chat_key.in_(chat_keys))).scalars().all()
        for table in PERSONAL_TABLES:
            for start in range(0, len(chat_keys), 500):
                batch = chat_keys[start:start + 500]
                removed += conn.execute(delete(table).where(table.c.chat_key.in_(batch)))\
                    .rowcount or 0
        if routes:
            now = datetime.now(UTC)
            rows = [row for reference in references
                    for row in erased_rows(reference, at=now, routes=routes)]
            outbox_table.add(conn, rows, now)
    return removed


def erase_chat(store: Store, chat_key: str, routes: Sequence[Route] = ()) -> int:
    """Remove every row of this chat from every table; returns how many rows went. The
    targets in `routes` that take `lead.erased` hear of each of its leads."""
    removed = _delete_chats(store, [chat_key], routes)
    scrub(store)
    log.info("privacy: erased chat %s (%d rows)", chat_ref(chat_key), removed)
    return removed


def erase_reference(store: Store, reference: str, routes: Sequence[Route] = ()) -> bool:
    """`intake erase REFERENCE`: the prospect behind a lead, from every table. False when no
    lead has that reference."""
    with store.engine.connect() as conn:
        chat_key = conn.execute(select(leads.c.chat_key).where(leads.c.reference == reference))\
            .scalar_one_or_none()
    if chat_key is None:
        return False
    erase_chat(store, chat_key, routes)
    return True


@dataclass(frozen=True, slots=True)
class Purged:
    abandoned: int  # conversations without a lead, untouched for INTAKE_RETENTION_DAYS
    leads: int  # leads older than INTAKE_LEAD_RETENTION_DAYS, with their conversations
    rows: int  # rows removed in all


def purge(store: Store, *, retention_days: int, lead_retention_days: int,
          now: datetime | None = None) -> Purged:
    """Apply the retention periods: what is older goes from every table."""
    now = now or datetime.now(UTC)
    abandoned_before = now - timedelta(days=retention_days)
    leads_before = now - timedelta(days=lead_retention_days)
    with store.engine.connect() as conn:
        has_lead = exists().where(leads.c.chat_key == conversations.c.chat_key)
        abandoned = list(conn.execute(
            select(conversations.c.chat_key)
            .where(conversations.c.updated_at < abandoned_before, ~has_lead)
        ).scalars())
        old_leads = list(conn.execute(
            select(leads.c.chat_key).where(leads.c.created_at < leads_before)
        ).scalars())
        # A transcript whose conversation is gone (erased, or a call-back long done).
        orphaned = list(conn.execute(
            select(turns.c.chat_key).distinct()
            .where(turns.c.created_at < abandoned_before,
                   ~exists().where(conversations.c.chat_key == turns.c.chat_key),
                   ~exists().where(leads.c.chat_key == turns.c.chat_key))
        ).scalars())
    keys = list(dict.fromkeys([*abandoned, *old_leads, *orphaned]))
    removed = _delete_chats(store, keys) if keys else 0
    if removed:
        scrub(store)
        log.info("privacy: retention removed %d abandoned conversations, %d leads (%d rows)",
                 len(abandoned), len(old_leads), removed)
    return Purged(abandoned=len(abandoned), leads=len(old_leads), rows=removed)
