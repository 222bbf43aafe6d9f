"""Persistence with SQLAlchemy Core: conversations, processed messages, leads, counters.

One `Store` per process; `transaction(chat_key)` gives a unit of work that holds the chat's lock
in the database (SQLite: BEGIN IMMEDIATE; PostgreSQL: a transaction-scoped advisory lock), so two
processes never interleave turns of one chat either. Core rather than the ORM: a turn is four
small statements and the ORM's unit of work would cost more than the dialogue itself.
"""

from __future__ import annotations

import json
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
    delete,
    event,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
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
    Column("chat_key", String(200), nullable=False, index=True),
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


class Tx:
    """One chat's unit of work inside a database transaction."""

    def __init__(self, conn: Connection, chat_key: str) -> None:
        self.conn = conn
        self.chat_key = chat_key

    def processed_turn(self, message_id: str) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(turns.c.turn).where(
                turns.c.chat_key == self.chat_key, turns.c.message_id == message_id
            )
        ).first()
        return None if row is None else json.loads(row[0])

    def load(self) -> dict[str, Any] | None:
        row = self.conn.execute(
            select(conversations.c.data).where(conversations.c.chat_key == self.chat_key)
        ).first()
        return None if row is None else json.loads(row[0])

    def save(self, data: dict[str, Any], existed: bool) -> None:
        body = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        now = _now()
        if existed:
            self.conn.execute(
                update(conversations).where(conversations.c.chat_key == self.chat_key)
                .values(data=body, updated_at=now)
            )
        else:
            self.conn.execute(conversations.insert().values(
                chat_key=self.chat_key, data=body, created_at=now, updated_at=now))

    def record(self, message_id: str, incoming: dict[str, Any] | None,
               turn: dict[str, Any]) -> None:
        self.conn.execute(turns.insert().values(
            chat_key=self.chat_key, message_id=message_id,
            incoming=None if incoming is None else json.dumps(incoming, ensure_ascii=False),
            turn=json.dumps(turn, separators=(",", ":"), ensure_ascii=False),
            created_at=_now(),
        ))

    def erase(self) -> None:
        """'Vergeet mij': the conversation, its transcript and its leads, gone."""
        for table in (conversations, turns, leads):
            self.conn.execute(delete(table).where(table.c.chat_key == self.chat_key))

    def insert_lead(self, reference: str, lead: dict[str, Any]) -> None:
        self.conn.execute(leads.insert().values(
            reference=reference, chat_key=self.chat_key, created_at=_now(),
            data=json.dumps(lead, ensure_ascii=False),
        ))

    def next_value(self, name: str) -> int:
        dialect = self.conn.dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        upsert = insert(counters).values(name=name, value=1).on_conflict_do_update(
            index_elements=[counters.c.name], set_={"value": counters.c.value + 1}
        )
        stmt = upsert.returning(counters.c.value)
        return int(self.conn.execute(stmt).scalar_one())

    def transcript(self) -> list[tuple[dict[str, Any] | None, dict[str, Any]]]:
        rows = self.conn.execute(
            select(turns.c.incoming, turns.c.turn).where(turns.c.chat_key == self.chat_key)
            .order_by(turns.c.id)
        ).all()
        return [(None if i is None else json.loads(i), json.loads(t)) for i, t in rows]


class Store:
    def __init__(self, url: str, *, sqlite_synchronous: str = "NORMAL") -> None:
        self.url = url
        self.engine: Engine = _make_engine(url, sqlite_synchronous)
        self.dialect = self.engine.dialect.name

    def create_all(self) -> None:
        metadata.create_all(self.engine)

    @contextmanager
    def transaction(self, chat_key: str) -> Iterator[Tx]:
        with self.engine.begin() as conn:
            if self.dialect == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:k, 0))"),
                             {"k": chat_key})
            yield Tx(conn, chat_key)

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(text(f"SELECT count(*) FROM {metadata.tables[table].name}"))
                       .scalar_one())

    def lead(self, reference: str) -> dict[str, Any] | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(leads.c.data).where(leads.c.reference == reference)).first()
        return None if row is None else json.loads(row[0])

    def dispose(self) -> None:
        self.engine.dispose()


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
        if ":memory:" not in url and url not in ("sqlite://", "sqlite:///"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
