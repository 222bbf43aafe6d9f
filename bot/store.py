"""Persistence with SQLAlchemy Core: conversations, processed messages, leads, counters.

One `Store` per process; `transaction(chat_key)` gives a unit of work that holds the chat's lock
in the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so two
processes never interleave turns of one chat either. SQLAlchemy owns the schema, the engine
and its pool; the statements of a turn run as plain SQL on the pooled DB-API connection.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Connection

__all__ = ["Store", "Tx", "metadata"]

metadata = MetaData()

conversations = Table(
    "conversations", metadata,
    Column("chat_key", String(200), primary_key=True),
    Column("data", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
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
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("chat_key", "message_id", name="uq_turns_message"),
)

leads = Table(
    "leads", metadata,
    Column("reference", String(32), primary_key=True),
    Column("chat_key", String(200), nullable=False, index=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("data", Text, nullable=False),
)

counters = Table(
    "counters", metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)


def _now() -> datetime:
    return datetime.now(UTC)


# Every statement of a turn, as plain SQL run on the DB-API connection the pool hands out.
# Building, compiling and executing them through SQLAlchemy's expression layer cost ~0.7 ms a
# turn, several times SQLite's own work (bench/turns.py); the Table objects above remain the
# schema's single source and create it. The SQL is portable between SQLite (3.35+) and
# PostgreSQL; only the parameter marker differs.
_SQL = {
    # One round trip for the two reads every turn starts with.
    "begin_turn": "SELECT (SELECT turn FROM turns WHERE chat_key = ? AND message_id = ?), "
                  "(SELECT data FROM conversations WHERE chat_key = ?)",
    "load": "SELECT data FROM conversations WHERE chat_key = ?",
    "update": "UPDATE conversations SET data = ?, updated_at = ? WHERE chat_key = ?",
    "insert": "INSERT INTO conversations (chat_key, data, created_at, updated_at) "
              "VALUES (?, ?, ?, ?)",
    "record": "INSERT INTO turns (chat_key, message_id, incoming, turn, created_at) "
              "VALUES (?, ?, ?, ?, ?)",
    "erase_conversation": "DELETE FROM conversations WHERE chat_key = ?",
    "erase_turns": "DELETE FROM turns WHERE chat_key = ?",
    "erase_leads": "DELETE FROM leads WHERE chat_key = ?",
    "lead": "INSERT INTO leads (reference, chat_key, created_at, data) VALUES (?, ?, ?, ?)",
    "next_value": "INSERT INTO counters (name, value) VALUES (?, 1) ON CONFLICT (name) "
                  "DO UPDATE SET value = counters.value + 1 RETURNING value",
    "transcript": "SELECT incoming, turn FROM turns WHERE chat_key = ? ORDER BY id",
    "pg_lock": "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))",
}


def _sql_for(paramstyle: str) -> dict[str, str]:
    if paramstyle == "qmark":
        return dict(_SQL)
    if paramstyle in ("format", "pyformat"):
        return {k: v.replace("?", "%s") for k, v in _SQL.items()}
    raise ValueError(f"unsupported DB-API paramstyle {paramstyle}")


def _dumps(data: Any) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


class Tx:
    """One chat's unit of work inside a database transaction."""

    def __init__(self, cursor: Any, chat_key: str, sql: dict[str, str]) -> None:
        self._cursor = cursor
        self.chat_key = chat_key
        self._sql = sql

    def _execute(self, name: str, params: tuple[Any, ...]) -> Any:
        self._cursor.execute(self._sql[name], params)
        return self._cursor

    def begin_turn(self, message_id: str) -> tuple[dict[str, Any] | None,
                                                    dict[str, Any] | None]:
        """The turn already stored for this message id, and the conversation, in one query."""
        turn, data = self._execute("begin_turn",
                                   (self.chat_key, message_id, self.chat_key)).fetchone()
        return (None if turn is None else json.loads(turn),
                None if data is None else json.loads(data))

    def load(self) -> dict[str, Any] | None:
        row = self._execute("load", (self.chat_key,)).fetchone()
        return None if row is None else json.loads(row[0])

    def save(self, data: dict[str, Any], existed: bool) -> None:
        now = _now()
        if existed:
            self._execute("update", (_dumps(data), now, self.chat_key))
        else:
            self._execute("insert", (self.chat_key, _dumps(data), now, now))

    def record(self, message_id: str, incoming: dict[str, Any] | None,
               turn: dict[str, Any]) -> None:
        said = None if incoming is None else _dumps(incoming)
        self._execute("record", (self.chat_key, message_id, said, _dumps(turn), _now()))

    def erase(self) -> None:
        """'Vergeet mij': the conversation, its transcript and its leads, gone."""
        for name in ("erase_conversation", "erase_turns", "erase_leads"):
            self._execute(name, (self.chat_key,))

    def insert_lead(self, reference: str, lead: dict[str, Any]) -> None:
        self._execute("lead", (reference, self.chat_key, _now(), _dumps(lead)))

    def next_value(self, name: str) -> int:
        return int(self._execute("next_value", (name,)).fetchone()[0])

    def transcript(self) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
        rows = self._execute("transcript", (self.chat_key,)).fetchall()
        return [(None if i is None else json.loads(i), json.loads(t)) for i, t in rows]


class Store:
    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, sqlite_synchronous)
        self.dialect = self.engine.dialect.name
        self._sql = _sql_for(self.engine.dialect.paramstyle)
        self._checkpointer: _Checkpointer | None = None
        if self.dialect == "sqlite" and _is_file(url):
            self._checkpointer = _Checkpointer(self.engine)

    def create_all(self) -> None:
        metadata.create_all(self.engine)

    @contextmanager
    def transaction(self, chat_key: str) -> Iterator[Tx]:
        """A committed unit of work for one chat, holding that chat's lock in the database."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if self.dialect == "sqlite":
                # Take the write lock before reading, so no other process can interleave.
                cursor.execute("BEGIN IMMEDIATE")
            else:
                cursor.execute(self._sql["pg_lock"], (chat_key,))
            try:
                yield Tx(cursor, chat_key, self._sql)
            except BaseException:
                raw.rollback()
                raise
            if self.dialect == "sqlite":
                cursor.execute("COMMIT")
            else:
                raw.commit()
            cursor.close()
        finally:
            raw.close()  # back to the pool

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {metadata.tables[table].name}"))
                       .scalar_one())

    def lead(self, reference: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leads.c.data).where(leads.c.reference == reference)).first()
        return None if row is None else json.loads(row[0])

    def dispose(self) -> None:
        if self._checkpointer is not None:
            self._checkpointer.stop()
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
        return create_engine(url, pool_pre_ping=True, future=True)
    engine = create_engine(url, future=True, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; we issue BEGIN IMMEDIATE ourselves
        # so a turn takes the write lock before it reads the conversation.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        if _is_file(url):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA wal_autocheckpoint=10000")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA mmap_size=268435456")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine
