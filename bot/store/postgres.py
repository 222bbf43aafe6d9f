"""PostgreSQL's turn path: few round trips, few driver calls, the chat held on one connection.

Measured in bench/turns.py (docs/scaling.md): on this machine a turn's cost was the client's
CPU, ~35 us for every statement psycopg runs and ~70 us for SQLAlchemy's pre-ping, more than
PostgreSQL's own work. So the turn path here

- runs on a pool of its own whose connections are in autocommit mode, so the transaction is
  spelled out (`BEGIN` ... `COMMIT`) and travels with the statements around it;
- sends each round trip as one multi-statement query (simple protocol), with the parameters
  quoted by libpq (`ClientCursor.mogrify`), never by hand: `BEGIN; <chat lock>; <read>` and
  `<writes>; COMMIT`;
- runs every statement of `bot/store/sql.py` as `EXECUTE`, prepared once per connection when the
  pool opens it, so PostgreSQL does not parse and plan them again each turn;
- has no pre-ping: the first round trip of a unit of work is the ping, and a unit of work that
  finds its connection dead is retried once on a fresh one (nothing was written yet).

The chat lock and the read stay separate statements: in READ COMMITTED a statement's snapshot
is taken when it starts, so one "lock and read" statement could read the conversation as it was
before the lock was granted.

A prepared statement lives as long as its connection. PostgreSQL re-plans it after DDL on its
tables, but refuses one whose result columns changed: after a migration that changes the
columns a statement returns, restart the service (it migrates at start, before this pool opens).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import fields
from typing import Any

from sqlalchemy import Engine, create_engine, event

from bot.store.sql import Statement, Statements

__all__ = ["BatchTx", "ChatSession", "TurnPool"]

# Connections for chats in flight: a held chat keeps its connection while its reply is sent.
POOL_SIZE = 10
MAX_OVERFLOW = 90


def _numbered(sql: str) -> str:
    """"%s" markers (psycopg's format style) as PREPARE's $1, $2, ...; "%%" is a literal %."""
    out: list[str] = []
    n = 0
    i = 0
    while i < len(sql):
        if sql.startswith("%s", i):
            n += 1
            out.append(f"${n}")
            i += 2
        elif sql.startswith("%%", i):
            out.append("%")
            i += 2
        else:
            out.append(sql[i])
            i += 1
    return "".join(out)


class TurnPool:
    """The turn path's connections: autocommit, statements prepared, no pre-ping."""

    def __init__(self, url: str, statements: Statements) -> None:
        prepared = {f"intake_{f.name}": getattr(statements, f.name) for f in fields(statements)
                    if getattr(statements, f.name) is not None}
        # By identity: the Statements of one Store are made once and never copied.
        self.names: dict[int, str] = {id(stmt): name for name, stmt in prepared.items()}
        setup = "; ".join(f"PREPARE {name} AS {_numbered(stmt.sql)}"
                          for name, stmt in prepared.items())
        self.engine: Engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
                                            pool_pre_ping=False)

        @event.listens_for(self.engine, "connect")
        def _prepare(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.autocommit = True
            dbapi_conn.execute(setup)

    def checkout(self, first: Callable[[Any], Any]) -> tuple[Any, Any]:
        """A pooled connection and what `first(cursor)` returned, its first round trip.

        When that round trip finds the connection dead (the server restarted, a proxy dropped
        it), the pool's idle connections are dropped as well and it is tried once more on a
        fresh one: `first` must change nothing that outlives a failed try."""
        from psycopg import ClientCursor, OperationalError

        for attempt in (1, 2):
            raw = self.engine.raw_connection()
            conn: Any = raw.driver_connection
            try:
                return raw, first(ClientCursor(conn))
            except OperationalError:
                dead = conn.closed
                raw.invalidate()
                if not dead or attempt == 2:
                    raise
                self.engine.dispose()  # the others in the pool are most likely dead too
            except BaseException:
                _rollback(raw)
                raw.close()
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def dispose(self) -> None:
        self.engine.dispose()


def _rollback(raw: Any) -> None:
    """End whatever transaction the connection is in, if it is still usable."""
    from psycopg.pq import TransactionStatus

    conn = raw.driver_connection
    if conn is None or conn.closed:
        return  # the pool discards it when it comes back
    if conn.info.transaction_status != TransactionStatus.IDLE:
        conn.execute("ROLLBACK")


class BatchTx:
    """A unit of work that queues what only writes and sends it with the next read or with
    COMMIT, as one query. The same methods as `bot.store.Tx` (which SQLite uses)."""

    __slots__ = ("_cursor", "_names", "_now", "_pending", "_reads", "_sql", "chat_key")

    def __init__(self, cursor: Any, chat_key: str, sql: Statements,
                 now: Callable[[], Any], names: dict[int, str]) -> None:
        self._cursor = cursor
        self.chat_key = chat_key
        self._sql = sql
        self._now = now
        self._names = names
        self._pending: list[str] = []
        # Statements whose rows (or row count) the caller reads: they send the queue.
        self._reads = (sql.begin_turn, sql.load, sql.next_value, sql.transcript,
                       sql.mark_delivered, sql.try_lock)

    def queue(self, query: str, params: tuple[Any, ...] = ()) -> None:
        self._pending.append(self._cursor.mogrify(query, params) if params else query)

    def queue_statement(self, stmt: Statement, args: tuple[Any, ...]) -> None:
        params = stmt.params(args)
        markers = ", ".join(["%s"] * len(params))
        self.queue(f"EXECUTE {self._names[id(stmt)]}({markers})" if params
                   else f"EXECUTE {self._names[id(stmt)]}", params)

    def flush(self) -> Any:
        """Send what is queued as one query; the cursor ends on the last statement's result."""
        self._cursor.execute("; ".join(self._pending))
        self._pending.clear()
        while self._cursor.nextset():
            pass
        return self._cursor

    def _execute(self, stmt: Statement, args: tuple[Any, ...]) -> Any:
        self.queue_statement(stmt, args)
        return self.flush() if any(stmt is read for read in self._reads) else self._cursor

    # The unit of work's vocabulary, as in bot.store.Tx.

    def begin_turn(self, message_id: str) -> tuple[Any, Any]:
        from bot.store import _loads

        turn, data = self._execute(self._sql.begin_turn,
                                   (self.chat_key, message_id)).fetchone()
        return _loads(turn), _loads(data)

    def load(self) -> Any:
        from bot.store import _loads

        row = self._execute(self._sql.load, (self.chat_key,)).fetchone()
        return None if row is None else _loads(row[0])

    def save(self, data: dict[str, Any], existed: bool) -> None:
        from bot.store import _dumps

        if existed:
            self._execute(self._sql.update, (_dumps(data), self._now(), self.chat_key))
        else:
            self._execute(self._sql.insert, (self.chat_key, _dumps(data), self._now()))

    def record(self, message_id: str, incoming: dict[str, Any] | None,
               turn: dict[str, Any]) -> None:
        from bot.store import _dumps

        said = None if incoming is None else _dumps(incoming)
        self._execute(self._sql.record,
                      (self.chat_key, message_id, said, _dumps(turn), self._now()))

    def mark_delivered(self, message_id: str) -> bool:
        cursor = self._execute(self._sql.mark_delivered,
                               (self._now(), self.chat_key, message_id))
        return bool(cursor.rowcount == 1)

    def erase(self) -> None:
        for stmt in (self._sql.erase_conversation, self._sql.erase_turns,
                     self._sql.erase_leads):
            self._execute(stmt, (self.chat_key,))

    def insert_lead(self, reference: str, lead: dict[str, Any]) -> None:
        from bot.store import _dumps

        self._execute(self._sql.insert_lead, (reference, self.chat_key, self._now(),
                                              _dumps(lead)))

    def next_value(self, name: str) -> int:
        return int(self._execute(self._sql.next_value, (name,)).fetchone()[0])

    def transcript(self) -> list[tuple[Any, Any]]:
        import json

        from bot.store import _loads

        rows = self._execute(self._sql.transcript, (self.chat_key,)).fetchall()
        return [(_loads(i), json.loads(t)) for i, t in rows]


@contextmanager
def batch_transaction(raw: Any, tx: BatchTx) -> Iterator[BatchTx]:
    """COMMIT what `tx` queued when the block ends, ROLLBACK when it raises."""
    committed = False
    try:
        yield tx
        tx.queue("COMMIT")
        tx.flush()
        committed = True
    finally:
        if not committed:
            _rollback(raw)


class ChatSession:
    """A chat held across processes from its turn to the end of its reply's delivery.

    PostgreSQL: a session advisory lock (key space seed 1) on a connection of the turn pool,
    which the chat's turn, its delivered mark and the unlock then use: a Telegram turn's
    database work in four round trips (try the lock; BEGIN, lock and read; writes and COMMIT;
    the mark and the unlock). Should the process die, PostgreSQL ends the session and its lock
    with it. SQLite (one host, normally one process): nothing is held (`raw` is None).
    """

    __slots__ = ("_release_hook", "chat_key", "locked", "raw")

    def __init__(self, chat_key: str, raw: Any = None,
                 release_hook: Callable[[ChatSession], None] | None = None) -> None:
        self.chat_key = chat_key
        self.raw = raw
        self.locked = raw is not None
        self._release_hook = release_hook

    @property
    def held(self) -> bool:
        return self.raw is not None

    def release(self) -> None:
        """Let the chat go (and the connection back to the pool). Idempotent."""
        if self._release_hook is not None:
            hook, self._release_hook = self._release_hook, None
            hook(self)

    __call__ = release  # the earlier API handed out the release function itself
