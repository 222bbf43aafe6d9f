"""The outbox table's side of the hand-off: claim due rows under a lease, settle them.

Rows are written in the transaction of what caused them (`Tx.enqueue` in the final turn;
`add` here for claims and erasures outside a turn). Workers, in any number of processes,
`claim` rows that are due: on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two workers never take the
same row and never wait for each other; on SQLite the write lock serialises the claims. A claim
is a lease: the row's `lease` token and `leased_until`; a worker that dies leaves a row whose
lease runs out and that the next claim takes again. Settling a row (`done`, `retry`, `fail`)
checks the token, so a worker whose lease ran out while it was delivering cannot overwrite what
the row's new owner did.

Not on the turn path: plain SQLAlchemy Core on the store's engine, called from a worker thread.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, update

from bot.store.schema import outbox

__all__ = ["Claim", "OutboxRow", "OutboxState", "add", "claim", "done", "fail", "next_due", "retry",
           "states", "take_lead"]


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """A claimed row: what to deliver, to which target, and the lease that owns it."""

    id: int
    event_id: str
    target: str
    type: str
    reference: str
    payload: dict[str, Any]
    attempts: int  # including this one
    created_at: datetime
    lease: str


@dataclass(frozen=True, slots=True)
class OutboxState:
    """Where one event stands at one target (the inbox's delivery state, tests)."""

    target: str
    type: str
    state: str  # pending, delivered, failed
    attempts: int
    last_error: str | None
    finished_at: datetime | None


def _utc(value: Any) -> datetime:
    if isinstance(value, str):  # SQLite hands back the UTC text it stores
        value = datetime.fromisoformat(value)
    moment: datetime = value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@contextmanager
def _begin(engine: Any) -> Iterator[Any]:
    """engine.begin(), on SQLite with the normal busy wait: a pooled connection may keep the
    short one the event loop's turns use (bot/store/__init__.py, _sqlite_begin), and this runs
    in a worker thread, where waiting blocks nothing else."""
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            from bot.store import BUSY_TIMEOUT_MS

            info = conn.connection.info
            if info.get("busy_timeout", BUSY_TIMEOUT_MS) != BUSY_TIMEOUT_MS:
                conn.connection.driver_connection.execute(
                    f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
                info["busy_timeout"] = BUSY_TIMEOUT_MS
        with conn.begin():
            yield conn


def add(conn: Any, rows: list[dict[str, Any]], now: datetime) -> None:
    """Rows (event_id, target, type, reference, chat_key, payload) on an open connection, in
    the caller's transaction; an event id already there is left alone."""
    dialect = conn.dialect.name
    upsert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    for row in rows:
        conn.execute(upsert(outbox).values(
            **row, created_at=now, due_at=now, attempts=0, state="pending",
        ).on_conflict_do_nothing(index_elements=[outbox.c.event_id]))
    if dialect == "postgresql" and rows:
        from bot.store.postgres import OUTBOX_CHANNEL

        conn.exec_driver_sql(f"NOTIFY {OUTBOX_CHANNEL}")


def claim(engine: Any, *, limit: int, lease: timedelta, now: datetime | None = None,
          targets: tuple[str, ...] | None = None) -> list[OutboxRow]:
    """Take up to `limit` pending rows that are due and not leased (or whose lease ran out),
    oldest due first; each gets a fresh lease and one more attempt."""
    now = now or datetime.now(UTC)
    token = secrets.token_hex(8)
    c = outbox.c
    due = (select(c.id).where(
        c.state == "pending", c.due_at <= now,
        or_(c.leased_until.is_(None), c.leased_until < now),
    ).order_by(c.due_at, c.id).limit(limit))
    if targets is not None:
        due = due.where(c.target.in_(targets))
    if engine.dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    stmt = (update(outbox).where(c.id.in_(due.scalar_subquery()))
            .values(leased_until=now + lease, lease=token, attempts=c.attempts + 1)
            .returning(c.id, c.event_id, c.target, c.type, c.reference, c.payload,
                       c.attempts, c.created_at))
    with _begin(engine) as conn:
        rows = conn.execute(stmt).all()
    return sorted((OutboxRow(id=r.id, event_id=r.event_id, target=r.target, type=r.type,
                             reference=r.reference, payload=json.loads(r.payload),
                             attempts=r.attempts, created_at=_utc(r.created_at), lease=token)
                   for r in rows), key=lambda row: row.id)


def _settle(engine: Any, row: OutboxRow, **values: Any) -> bool:
    c = outbox.c
    with _begin(engine) as conn:
        changed = conn.execute(update(outbox).where(c.id == row.id, c.lease == row.lease)
                               .values(leased_until=None, lease=None, **values)).rowcount
    return bool(changed)


def done(engine: Any, row: OutboxRow, now: datetime | None = None) -> bool:
    """Delivered. False when the lease was no longer ours (another worker owns the row)."""
    return _settle(engine, row, state="delivered", finished_at=now or datetime.now(UTC),
                   last_error=None)


def retry(engine: Any, row: OutboxRow, due_at: datetime, reason: str) -> bool:
    """Not delivered this time: try again at `due_at`."""
    return _settle(engine, row, due_at=due_at, last_error=reason[:200])


def fail(engine: Any, row: OutboxRow, reason: str, now: datetime | None = None) -> bool:
    """Given up: the row stays, marked failed, for the brokers to see."""
    return _settle(engine, row, state="failed", finished_at=now or datetime.now(UTC),
                   last_error=reason[:200])


def next_due(engine: Any, targets: tuple[str, ...] | None = None) -> datetime | None:
    """When the earliest pending row falls due (or its lease runs out), or None."""
    c = outbox.c
    moment = func.min(func.coalesce(c.leased_until, c.due_at))
    query = select(moment).where(c.state == "pending")
    if targets is not None:
        query = query.where(c.target.in_(targets))
    with engine.connect() as conn:
        value = conn.execute(query).scalar()
    return None if value is None else _utc(value)


def states(engine: Any, reference: str) -> list[OutboxState]:
    """Every event of this lead at every target, in the order they were written."""
    c = outbox.c
    with engine.connect() as conn:
        rows = conn.execute(select(c.target, c.type, c.state, c.attempts, c.last_error,
                                   c.finished_at).where(c.reference == reference)
                            .order_by(c.id)).all()
    return [OutboxState(r.target, r.type, r.state, r.attempts, r.last_error,
                        None if r.finished_at is None else _utc(r.finished_at)) for r in rows]


@dataclass(frozen=True, slots=True)
class Claim:
    """Who has a lead: `won` when this call claimed it, else who was first."""

    won: bool
    by: str | None
    at: datetime | None
    exists: bool = True


def take_lead(engine: Any, reference: str, by: str, at: datetime,
              rows: Callable[[str | None], list[dict[str, Any]]]) -> Claim:
    """Claim a lead for `by` unless someone was first; on success, in the same transaction,
    the outbox rows `rows(chat_key)` (lead.claimed to the targets) and, for a lead still
    "nieuw", its status "opgepakt" with that change in its history (the inbox shows a claim
    from the brokers' group and one from the inbox alike). Two presses at once: the row lock
    of the UPDATE lets one through; the other finds it claimed."""
    from bot.store.schema import lead_status, leads

    c = leads.c
    with _begin(engine) as conn:
        won = conn.execute(update(leads).where(c.reference == reference, c.claimed_by.is_(None))
                           .values(claimed_by=by, claimed_at=at)).rowcount == 1
        row = conn.execute(select(c.chat_key, c.claimed_by, c.claimed_at)
                           .where(c.reference == reference)).first()
        if row is None:
            return Claim(False, None, None, exists=False)
        if won:
            add(conn, rows(row.chat_key), at)
            if conn.execute(update(leads).where(c.reference == reference, c.status == "nieuw")
                            .values(status="opgepakt")).rowcount:
                conn.execute(lead_status.insert().values(reference=reference, status="opgepakt",
                                                         by=by, at=at))
    return Claim(won, row.claimed_by,
                 None if row.claimed_at is None else _utc(row.claimed_at))
