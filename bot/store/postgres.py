"""PostgreSQL's turn path: few round trips, few driver calls, the chat held on one connection.

Measured in bench/turns.py (docs/scaling.md): on this machine a turn's cost was the client's
CPU, ~35 us for every statement psycopg runs and ~70 us for SQLAlchemy's pre-ping, more than
PostgreSQL's own work. So the turn path here

- runs on a pool of its own whose connections are in autocommit mode, so the transaction is
  spelled out (`BEGIN` ... `COMMIT`) and travels with the statements around it;
- sends each round trip as one multi-statement query (simple protocol) straight through libpq
  (`PGconn.exec_`, which releases the GIL while it waits), with the parameters quoted by
  libpq's `PQescapeLiteral`, never by hand: `BEGIN; <chat lock>; <read>` and
  `<writes>; COMMIT`. psycopg's cursor cost ~37 us a query and ~9 us a statement's quoting
  here, libpq alone 23 us and 3 us;
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
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, create_engine, event

from bot.store.sql import Statement, Statements
from bot.store.unit import Writes, loads

__all__ = ["BatchTx", "ChatSession", "TurnPool", "Wire", "rollback"]

# The channel on which the outbox workers of every process listen (bot/outbox.py).
OUTBOX_CHANNEL = "intake_outbox"
NOTIFY = f"NOTIFY {OUTBOX_CHANNEL}".encode()

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


class Wire:
    """One connection's libpq handle: quote values, run a multi-statement query.

    Only what the turn path binds: None, bool, int, str and aware datetimes. psycopg's
    Connection object is bypassed, not confused: its transaction state is read from libpq.
    """

    __slots__ = ("_escape", "pgconn")

    def __init__(self, conn: Any) -> None:
        from psycopg.pq import Escaping

        self.pgconn = conn.pgconn
        self._escape = Escaping(self.pgconn)

    def literal(self, value: Any) -> bytes:
        if value is None:
            return b"NULL"
        if isinstance(value, bool):
            return b"true" if value else b"false"
        if isinstance(value, int):
            return str(value).encode()
        if isinstance(value, datetime):
            value = value.isoformat()
        if isinstance(value, str):
            return bytes(self._escape.escape_literal(value.encode()))
        raise TypeError(f"cannot bind {type(value).__name__} on the turn path")

    def run(self, query: bytes) -> Any:
        """Run `query`; the result of its last statement (libpq keeps only that one), or the
        error of the statement that failed, raised as psycopg's exception for its SQLSTATE.
        A connection that died raises psycopg.OperationalError."""
        from psycopg import OperationalError, errors
        from psycopg.pq import ConnStatus, ExecStatus

        result = self.pgconn.exec_(query)
        if self.pgconn.status != ConnStatus.OK or result.status == ExecStatus.BAD_RESPONSE:
            # A dropped connection also comes back as FATAL_ERROR, without a SQLSTATE.
            raise OperationalError("the connection to PostgreSQL was lost")
        if result.status == ExecStatus.FATAL_ERROR:
            raise errors.error_from_result(result, encoding="utf-8")
        return result


class TurnPool:
    """The turn path's connections: autocommit, statements prepared, no pre-ping."""

    def __init__(self, url: str, statements: Statements) -> None:
        prepared = {f"intake_{f.name}": getattr(statements, f.name) for f in fields(statements)
                    if getattr(statements, f.name) is not None}
        # By identity: the Statements of one Store are made once and never copied.
        self.names: dict[int, str] = {id(stmt): name for name, stmt in prepared.items()}
        # UTF-8 on the wire: Wire quotes and decodes text as UTF-8.
        setup = "; ".join(["SET client_encoding TO 'UTF8'",
                           *(f"PREPARE {name} AS {_numbered(stmt.sql)}"
                             for name, stmt in prepared.items())])
        self.engine: Engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW,
                                            pool_pre_ping=False)

        @event.listens_for(self.engine, "connect")
        def _prepare(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.autocommit = True
            dbapi_conn.execute(setup)

    def checkout(self, first: Callable[[Wire], Any]) -> tuple[Any, Any]:
        """A pooled connection and what `first(wire)` returned, its first round trip.

        When that round trip finds the connection dead (the server restarted, a proxy dropped
        it), the pool's idle connections are dropped as well and it is tried once more on a
        fresh one: `first` must change nothing that outlives a failed try."""
        from psycopg import OperationalError

        for attempt in (1, 2):
            raw = self.engine.raw_connection()
            conn: Any = raw.driver_connection
            try:
                return raw, first(Wire(conn))
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


def rollback(wire: Wire) -> None:
    """End the transaction the connection is in, if any and if it is still usable."""
    from psycopg.pq import ConnStatus, TransactionStatus

    pgconn = wire.pgconn
    if pgconn.status == ConnStatus.OK and pgconn.transaction_status != TransactionStatus.IDLE:
        pgconn.exec_(b"ROLLBACK")


class BatchTx(Writes):
    """A unit of work that queues what only writes and sends it with the next read or with
    COMMIT, as one query. The same methods as `bot.store.Tx` (which SQLite uses)."""

    __slots__ = ("_execs", "_now", "_pending", "_reads", "_sql", "chat_key", "wire")

    def __init__(self, wire: Wire, chat_key: str, sql: Statements,
                 now: Callable[[], Any], names: dict[int, str]) -> None:
        self.wire = wire
        self.chat_key = chat_key
        self._sql = sql
        self._now = now
        self._execs = {key: f"EXECUTE {name}".encode() for key, name in names.items()}
        self._pending: list[bytes] = []
        # Statements whose rows (or row count) the caller reads: they send the queue.
        self._reads = (sql.begin_turn, sql.load, sql.next_value, sql.transcript,
                       sql.mark_delivered, sql.try_lock)

    def queue(self, query: bytes) -> None:
        self._pending.append(query)

    def queue_statement(self, stmt: Statement, args: tuple[Any, ...]) -> None:
        params = stmt.params(args)
        execute = self._execs[id(stmt)]
        if params:
            literal = self.wire.literal
            execute += b"(" + b", ".join([literal(value) for value in params]) + b")"
        self._pending.append(execute)

    def flush(self) -> Any:
        """Send what is queued as one query; the last statement's result (libpq's PGresult)."""
        query = b"; ".join(self._pending)
        self._pending.clear()
        return self.wire.run(query)

    def _execute(self, stmt: Statement, args: tuple[Any, ...]) -> Any:
        self.queue_statement(stmt, args)
        return self.flush() if any(stmt is read for read in self._reads) else None

    # The unit of work's vocabulary, as in bot.store.Tx.

    def begin_turn(self, message_id: str) -> tuple[Any, Any]:
        result = self._execute(self._sql.begin_turn, (self.chat_key, message_id))
        return loads(result.get_value(0, 0)), loads(result.get_value(0, 1))

    def load(self) -> Any:
        result = self._execute(self._sql.load, (self.chat_key,))
        return None if result.ntuples == 0 else loads(result.get_value(0, 0))

    def mark_delivered(self, message_id: str) -> bool:
        result = self._execute(self._sql.mark_delivered,
                               (self._now(), self.chat_key, message_id))
        return bool(result.command_tuples == 1)

    def notify(self) -> None:
        # NOTIFY is transactional: the outbox workers hear it when this unit of work commits.
        self.queue(NOTIFY)

    def next_value(self, name: str) -> int:
        return int(self._execute(self._sql.next_value, (name,)).get_value(0, 0))

    def transcript(self) -> list[tuple[Any, Any]]:
        import json

        result = self._execute(self._sql.transcript, (self.chat_key,))
        return [(loads(result.get_value(r, 0)), json.loads(result.get_value(r, 1)))
                for r in range(result.ntuples)]


@contextmanager
def batch_transaction(raw: Any, tx: BatchTx) -> Iterator[BatchTx]:
    """COMMIT what `tx` queued when the block ends, ROLLBACK when it raises."""
    committed = False
    try:
        yield tx
        tx.queue(b"COMMIT")
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
