"""Persistence: conversations, processed messages, leads, counters (SQLite or PostgreSQL).

One `Store` per process; `transaction(chat_key)` gives a unit of work that holds the chat's lock
in the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so two
processes never interleave turns of one chat either. The schema is declared once
(`schema.py`); the statements of a turn are compiled from it once per dialect (`sql.py`) and
run on the pooled DB-API connection; Alembic migrations (`migrate.py`, `migrations/`) create
and change it, under a database-wide lock. docs/storage.md explains the choices.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import SQLAlchemyError

from bot.store import migrate
from bot.store.migrate import SchemaError
from bot.store.postgres import (
    BatchTx,
    ChatSession,
    TurnPool,
    Wire,
    batch_transaction,
    rollback,
)
from bot.store.schema import leads, metadata, turns
from bot.store.sql import Statement, Statements, compile_statements, utc_binder
from bot.store.unit import Writes, loads

__all__ = ["BatchTx", "Busy", "ChatSession", "SchemaError", "Store", "Tx", "metadata"]

# SQLite: how long a statement waits for another connection's write lock by default, and with
# `wait=False` (then `Busy` is raised instead).
BUSY_TIMEOUT_MS = 10_000
NOWAIT_TIMEOUT_MS = 50


class Busy(Exception):
    """Another writer holds the lock this unit of work needs; nothing was done: retry.

    Raised by `wait=False` calls when the lock is not free within ~50 ms, and by any call whose
    normal wait (10 s on SQLite) runs out.
    """




def _sqlite_busy(error: sqlite3.OperationalError) -> bool:
    return (getattr(error, "sqlite_errorcode", 0) & 0xFF) == sqlite3.SQLITE_BUSY


def _sqlite_begin(raw: Any, cursor: Any, wait: bool) -> None:
    """Take SQLite's write lock before anything is read, waiting 10 s or (not `wait`) 50 ms.

    The connection keeps the timeout it was last given (noted in the pool's per-connection
    `info`, which starts afresh with each new DB-API connection): a PRAGMA costs ~4 us, and
    the event loop's turns all use the short one.
    """
    timeout = BUSY_TIMEOUT_MS if wait else NOWAIT_TIMEOUT_MS
    if raw.info.get("busy_timeout", BUSY_TIMEOUT_MS) != timeout:
        cursor.execute(f"PRAGMA busy_timeout={timeout}")
        raw.info["busy_timeout"] = timeout
    try:
        cursor.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as error:
        if _sqlite_busy(error):
            raise Busy("the database is locked by another writer") from error
        raise


class Tx(Writes):
    """One chat's unit of work inside a database transaction (SQLite)."""

    __slots__ = ("_cursor", "_now", "_sql", "chat_key")

    def __init__(self, cursor: Any, chat_key: str, sql: Statements,
                 now: Callable[[], Any]) -> None:
        self._cursor = cursor
        self.chat_key = chat_key
        self._sql = sql
        self._now = now  # () -> the current time, bound for this dialect

    def _execute(self, stmt: Statement, args: tuple[Any, ...]) -> Any:
        self._cursor.execute(stmt.sql, stmt.params(args))
        return self._cursor

    def begin_turn(self, message_id: str) -> tuple[dict[str, Any] | None,
                                                    dict[str, Any] | None]:
        """The turn already stored for this message id, and the conversation, in one query."""
        turn, data = self._execute(self._sql.begin_turn,
                                   (self.chat_key, message_id)).fetchone()
        return loads(turn), loads(data)

    def load(self) -> dict[str, Any] | None:
        row = self._execute(self._sql.load, (self.chat_key,)).fetchone()
        return None if row is None else loads(row[0])

    def mark_delivered(self, message_id: str) -> bool:
        """The reply to this message reached the prospect; False if it was already marked
        (or no such turn)."""
        cursor = self._execute(self._sql.mark_delivered,
                               (self._now(), self.chat_key, message_id))
        return bool(cursor.rowcount == 1)

    def next_value(self, name: str) -> int:
        return int(self._execute(self._sql.next_value, (name,)).fetchone()[0])

    def transcript(self) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
        rows = self._execute(self._sql.transcript, (self.chat_key,)).fetchall()
        return [(loads(i), json.loads(t)) for i, t in rows]


class Store:
    """The database of one process: schema management, units of work, a few reads."""

    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, sqlite_synchronous)
        self.dialect = self.engine.dialect.name
        if self.dialect not in ("sqlite", "postgresql"):
            raise ValueError(f"unsupported database {self.dialect}: SQLite or PostgreSQL")
        self._sqlite = self.dialect == "sqlite"
        self._sql = compile_statements(self.engine.dialect)
        self._bind_time = utc_binder(self.engine.dialect)
        bind_time = self._bind_time
        self._now: Callable[[], Any] = lambda: bind_time(datetime.now(UTC))
        self._checkpointer: _Checkpointer | None = None
        # PostgreSQL: the turn path's pool (bot/store/postgres.py), opened on first use, and
        # the chats this process holds across processes (try_chat_session), by chat key.
        self._turns: TurnPool | None = None
        self._held: dict[str, ChatSession] = {}
        if self._sqlite and _is_file(url):
            self._checkpointer = _Checkpointer(self.engine)

    # --- schema -------------------------------------------------------------------------------

    def upgrade(self) -> None:
        """Bring the schema to this release's head (see bot/store/migrate.py); safe to call from
        any number of processes at once. Raises `SchemaError` for a database this release
        cannot upgrade (made by a newer release, or not ours)."""
        migrate.upgrade(self.engine)

    def create_all(self) -> None:
        """Deprecated name of `upgrade()`."""
        self.upgrade()

    def downgrade(self, revision: str) -> None:
        """Take the schema back to `revision` ("base": no tables left)."""
        migrate.downgrade(self.engine, revision)

    def revision(self) -> str | None:
        """The schema revision stamped in the database (None: none)."""
        with self.engine.connect() as conn:
            stamped = migrate.current(conn)
        return ", ".join(stamped) or None

    def check(self) -> str | None:
        """None when the database is reachable and its schema is at head; else a short reason,
        without secrets (for /readyz)."""
        try:
            with self.engine.connect() as conn:
                return migrate.check(conn)
        except SQLAlchemyError as error:
            cause = getattr(error, "orig", None) or error
            return f"database unreachable ({type(cause).__name__})"

    # --- units of work ------------------------------------------------------------------------

    @contextmanager
    def transaction(self, chat_key: str, *, wait: bool = True) -> Iterator[Tx]:
        """A committed unit of work for one chat, holding that chat's lock in the database.

        `wait=False`: raise `Busy` (within ~50 ms) when another writer holds the lock, instead
        of waiting up to 10 s: for callers on an event loop, which retry the call elsewhere.
        `Busy` always means that nothing was committed.
        """
        if not self._sqlite:
            with self._pg_transaction(chat_key, wait) as batch:
                yield batch  # type: ignore[misc]  # the same vocabulary as Tx
            return
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            _sqlite_begin(raw, cursor, wait)
            try:
                yield Tx(cursor, chat_key, self._sql, self._now)
            except BaseException as error:
                raw.rollback()
                if isinstance(error, sqlite3.OperationalError) and _sqlite_busy(error):
                    raise Busy("the database is locked by another writer") from error
                raise
            cursor.execute("COMMIT")
            cursor.close()
        finally:
            raw.close()  # back to the pool

    def _turn_pool(self) -> TurnPool:
        if self._turns is None:
            self._turns = TurnPool(self.url, self._sql)
        return self._turns

    def _batch(self, wire: Wire, chat_key: str) -> BatchTx:
        return BatchTx(wire, chat_key, self._sql, self._now, self._turn_pool().names)

    @contextmanager
    def _pg_transaction(self, chat_key: str, wait: bool) -> Iterator[BatchTx]:
        """PostgreSQL: `BEGIN; <chat lock>` then the unit of work's statements, the writes
        queued until COMMIT (bot/store/postgres.py). A chat this process holds
        (try_chat_session) runs on its session's connection, the lock going out with the
        first read; otherwise the lock is the first round trip, which also finds out whether
        the pooled connection is alive. On a held chat `wait` does not apply: only a unit of
        work outside the runtime (the CLI, an erasure) takes the transaction lock alone, and
        briefly."""
        session = self._held.get(chat_key)
        if session is not None and session.raw is not None:
            raw = session.raw
            tx = self._batch(Wire(raw.driver_connection), chat_key)
            tx.queue(b"BEGIN")
            tx.queue_statement(self._lock, (chat_key,))
            with batch_transaction(raw, tx):
                yield tx
            return

        def begin(wire: Wire) -> BatchTx:
            tx = self._batch(wire, chat_key)
            tx.queue(b"BEGIN")
            tx.queue_statement(self._lock if wait else self._try_lock, (chat_key,))
            result = tx.flush()
            if not wait and result.get_value(0, 0) != b"t":
                raise Busy(f"chat {chat_key} is locked by another writer")
            return tx

        raw, tx = self._turn_pool().checkout(begin)
        try:
            with batch_transaction(raw, tx):
                yield tx
        finally:
            raw.close()  # back to the pool

    @property
    def _lock(self) -> Statement:
        assert self._sql.lock is not None
        return self._sql.lock

    @property
    def _try_lock(self) -> Statement:
        assert self._sql.try_lock is not None
        return self._sql.try_lock

    def _write(self, stmt: Statement, args: tuple[Any, ...], wait: bool,
               chat_key: str | None = None) -> int:
        """One statement in a short transaction of its own; the number of rows it changed.
        On PostgreSQL, on the connection of the chat `chat_key` when this process holds it."""
        if not self._sqlite:
            return self._pg_write(stmt, args, wait, chat_key)
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            _sqlite_begin(raw, cursor, wait)
            try:
                cursor.execute(stmt.sql, stmt.params(args))
                changed = int(cursor.rowcount)
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
            return changed
        finally:
            raw.close()  # back to the pool

    def _pg_write(self, stmt: Statement, args: tuple[Any, ...], wait: bool,
                  chat_key: str | None) -> int:
        def write(wire: Wire) -> int:
            tx = self._batch(wire, chat_key or "")
            tx.queue_statement(stmt, args)
            query = tx._pending.pop()
            if not wait:
                # libpq returns only a query's last result, and the count is the statement's:
                # three round trips, off the turn path (on PostgreSQL the runtime waits in a
                # thread, so wait=False is for the rare caller on an event loop).
                wire.run(b"BEGIN; SET LOCAL lock_timeout = '%dms'" % NOWAIT_TIMEOUT_MS)
            try:
                changed = int(wire.run(query).command_tuples or 0)
            except Exception as error:
                if not wait:
                    rollback(wire)
                if getattr(error, "sqlstate", None) == "55P03":  # lock_not_available
                    raise Busy("the row is locked by another writer") from None
                raise
            if not wait:
                wire.run(b"COMMIT")
            return changed

        session = self._held.get(chat_key) if chat_key is not None else None
        if session is not None and session.raw is not None:
            return write(Wire(session.raw.driver_connection))
        # A dead pooled connection fails before the statement runs, so the one retry on a
        # fresh connection (TurnPool.checkout) cannot apply it twice.
        raw, changed = self._turn_pool().checkout(write)
        raw.close()
        return int(changed)

    def mark_delivered(self, chat_key: str, message_id: str, *, wait: bool = True) -> bool:
        """The reply to this message reached the prospect (a short transaction of its own).
        False when it was already marked, so of two senders exactly one claims it."""
        return self._write(self._sql.mark_delivered, (self._now(), chat_key, message_id),
                           wait, chat_key) == 1

    def unmark_delivered(self, chat_key: str, message_id: str, *, wait: bool = True) -> None:
        """The send failed after all: the reply counts as undelivered again."""
        self._write(self._sql.unmark_delivered, (chat_key, message_id), wait, chat_key)

    def undelivered(self, since: datetime, limit: int = 500, *,
                    channel: str | None = None) -> list[tuple[str, str, dict[str, Any]]]:
        """Turns committed at or after `since` whose reply was never confirmed delivered, oldest
        first: (chat_key, message_id, turn). `channel`: only chat keys "<channel>:...".

        Turns erased with their conversation ("vergeet mij") are gone, so never resent.
        """
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            args: tuple[Any, ...]
            if channel is None:
                stmt, args = self._sql.undelivered, (self._bind_time(since), limit)
            else:
                # "telegram:" <= key < "telegram;" (";" follows ":"): exactly the channel's keys,
                # without LIKE's wildcards and case folding.
                stmt = self._sql.undelivered_in
                args = (self._bind_time(since), f"{channel}:", f"{channel};", limit)
            cursor.execute(stmt.sql, stmt.params(args))
            rows = cursor.fetchall()
            return [(key, message, json.loads(turn)) for key, message, turn in rows]
        finally:
            raw.close()

    def try_chat_session(self, chat_key: str) -> ChatSession | None:
        """Hold this chat across processes for longer than one transaction: a turn *and* the
        sending of its reply, so two instances answering one chat send in commit order.

        Returns the held session (`release()` lets the chat go; `finish()` marks the reply
        delivered and lets go in one round trip), or None at once when another process holds
        the chat: the caller waits without tying up a thread or a connection, and tries again.
        PostgreSQL: a session advisory lock, in a key space (seed 1) apart from the
        transaction lock (seed 0), on a connection of the turn pool that the chat's turn and
        mark then use (bot/store/postgres.py). SQLite (one host, normally one process):
        nothing to hold.
        """
        if self._sqlite:
            return ChatSession(chat_key)
        assert self._sql.try_session_lock is not None
        name = self._turn_pool().names[id(self._sql.try_session_lock)]

        def try_lock(wire: Wire) -> bool:
            result = wire.run(b"EXECUTE %s(%s)" % (name.encode(), wire.literal(chat_key)))
            return bool(result.get_value(0, 0) == b"t")

        raw, got = self._turn_pool().checkout(try_lock)
        if not got:
            raw.close()
            return None
        session = ChatSession(chat_key, raw, self._let_go)
        self._held[chat_key] = session
        return session

    def finish(self, session: ChatSession, message_id: str) -> None:
        """The reply to `message_id` reached the prospect: mark it delivered (unless it was
        already) and let the chat go, in one round trip.

        The mark is committed with `synchronous_commit` off: the turn itself was durable, and
        should PostgreSQL itself crash within a fraction of a second, a lost mark means the
        reply is sent once more after the restart, as after a crash of our own process.
        """
        if session.raw is None:
            self.mark_delivered(session.chat_key, message_id)
            return
        assert self._sql.session_unlock is not None
        tx = self._batch(Wire(session.raw.driver_connection), session.chat_key)
        tx.queue(b"BEGIN")
        tx.queue(b"SET LOCAL synchronous_commit TO OFF")
        tx.queue_statement(self._sql.mark_delivered,
                           (self._now(), session.chat_key, message_id))
        tx.queue(b"COMMIT")
        tx.queue_statement(self._sql.session_unlock, (session.chat_key,))
        try:
            tx.flush()
            session.locked = False
        finally:
            session.release()

    def _let_go(self, session: ChatSession) -> None:
        """A held chat's end: unlock it (unless `finish` did) and return its connection."""
        if self._held.get(session.chat_key) is session:
            del self._held[session.chat_key]
        raw, session.raw = session.raw, None
        if raw is None:
            return
        conn = raw.driver_connection
        if conn is None or conn.closed:
            raw.invalidate()  # the lock went with the connection
            return
        try:
            if session.locked:
                assert self._sql.session_unlock is not None
                name = self._turn_pool().names[id(self._sql.session_unlock)]
                wire = Wire(conn)
                wire.run(b"EXECUTE %s(%s)" % (name.encode(), wire.literal(session.chat_key)))
                session.locked = False
        except BaseException:
            raw.invalidate()  # closing the session releases its locks
            raise
        raw.close()

    def delivery(self, chat_key: str, message_id: str) -> tuple[bool, datetime] | None:
        """(whether the reply was marked delivered, when the turn was committed) for a stored
        turn; None when there is no such turn. Not on the turn path: plain SQLAlchemy."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(turns.c.delivered_at.is_not(None), turns.c.created_at)
                .where(turns.c.chat_key == chat_key, turns.c.message_id == message_id)
            ).first()
        if row is None:
            return None
        created = row[1]
        if isinstance(created, str):  # SQLite keeps the UTC text this release binds
            created = datetime.fromisoformat(created)
        if created.tzinfo is None:
            created = created.replace(tzinfo=UTC)
        return bool(row[0]), created

    # --- reads for tools and tests ------------------------------------------------------------

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(metadata.tables[table]))
                       .scalar_one())

    def lead(self, reference: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leads.c.data).where(leads.c.reference == reference)).first()
        return None if row is None else loads(row[0])

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
        if self._turns is not None:
            self._turns.dispose()
        self.engine.dispose()


class _Checkpointer:
    """Copies SQLite's write-ahead log into the database file off the turn path.

    SQLite otherwise checkpoints inside whichever commit crosses the WAL threshold, and that
    commit pays an fsync: ~8 % of all turn time in bench/turns.py. A passive checkpoint never
    blocks a writer; SQLite's own auto-checkpoint stays on, at a higher threshold, as a backstop.
    """

    INTERVAL = 1.0

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(self.INTERVAL):
            try:
                raw = self._engine.raw_connection()
                try:
                    raw.cursor().execute("PRAGMA wal_checkpoint(PASSIVE)")
                finally:
                    raw.close()
            except Exception:  # a busy or closing database: try again next interval
                continue

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(timeout=5)


def _is_file(url: str) -> bool:
    return ":memory:" not in url and url not in ("sqlite://", "sqlite:///")


def _make_engine(url: str, synchronous: str) -> Engine:
    if not url.startswith("sqlite"):
        # Schema, readiness and tools: few checkouts, so the pre-ping's round trip is cheap
        # here; the turn path has its own pool (bot/store/postgres.py).
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE ourselves
        # so a turn takes the write lock before it reads the conversation.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        # First: switching to WAL needs a lock that a process starting alongside may hold.
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        if _is_file(url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA foreign_keys=ON")
        # AVG: a deleted row's content is overwritten, not left in free pages ("vergeet mij").
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # BEGIN EXCLUSIVE for schema changes (bot/store/migrate.py), plain BEGIN otherwise.
        conn.exec_driver_sql(conn.get_execution_options().get("intake_sqlite_begin", "BEGIN"))

    return engine
