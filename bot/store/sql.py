"""The statements of a turn, compiled from the `Table`s of schema.py once per dialect.

A turn runs a handful of statements; building, compiling and executing each through
SQLAlchemy's expression layer cost ~0.7 ms a turn, several times SQLite's own work
(bench/turns.py). So the statements are declared here as SQLAlchemy expressions over the schema's
tables (no table or column name is written a second time), compiled once when the `Store` is
made, to SQL text with positional parameters for its driver, and run on the DB-API cursor.

Every parameter is a named `arg(...)`; `Statement.params()` turns the caller's arguments (in the
order the statement declares them) into the driver's positional tuple, repeating an argument the
SQL uses twice and filling in constants the compiler added (SQLite's `OFFSET 0`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import (
    Dialect,
    bindparam,
    delete,
    func,
    insert,
    literal_column,
    null,
    select,
    update,
)
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from bot.store.schema import conversations, counters, leads, outbox, turns

__all__ = ["Statement", "Statements", "compile_statements", "utc_binder"]

_PREFIX = "arg_"


def arg(name: str) -> Any:
    """A parameter of a statement; its name must not be a column's (SQLAlchemy reserves those
    in VALUES and SET), hence the prefix."""
    return bindparam(_PREFIX + name)


@dataclass(frozen=True, slots=True)
class Statement:
    """SQL text for one driver, and how the caller's arguments map onto its markers."""

    sql: str
    args: tuple[str, ...]
    # For each positional marker: the index of the caller's argument, or -1 for a constant.
    layout: tuple[int, ...]
    constants: tuple[Any, ...]
    direct: bool  # the markers take the arguments as given: no re-packing

    def params(self, values: tuple[Any, ...]) -> tuple[Any, ...]:
        if self.direct:
            return values
        return tuple(values[i] if i >= 0 else c for i, c in zip(self.layout, self.constants,
                                                                 strict=True))


@dataclass(frozen=True, slots=True)
class Statements:
    """Everything a turn runs, for one dialect."""

    begin_turn: Statement     # (chat_key, message_id) -> (stored turn, conversation)
    load: Statement           # (chat_key) -> conversation
    update: Statement         # (data, now, chat_key)
    insert: Statement         # (chat_key, data, now)
    record: Statement         # (chat_key, message_id, incoming, turn, now)
    erase_conversation: Statement  # (chat_key)
    erase_turns: Statement    # (chat_key)
    erase_leads: Statement    # (chat_key)
    erase_outbox: Statement   # (chat_key): pending hand-offs carry the chat's personal data
    insert_lead: Statement    # (reference, chat_key, now, data)
    # (event_id, target, type, reference, chat_key, payload, now): nothing if the id exists
    insert_outbox: Statement
    next_value: Statement     # (name) -> value
    transcript: Statement     # (chat_key) -> [(incoming, turn)]
    mark_delivered: Statement     # (now, chat_key, message_id); rowcount 1 if it was pending
    unmark_delivered: Statement   # (chat_key, message_id)
    undelivered: Statement    # (since, limit) -> [(chat_key, message_id, turn)]
    undelivered_in: Statement  # (since, low, high, limit): chat keys in [low, high)
    lock: Statement | None    # PostgreSQL: (chat_key) wait for the chat's advisory lock
    try_lock: Statement | None  # PostgreSQL: (chat_key) -> whether the lock was free
    # PostgreSQL: (chat_key) a chat held across a turn and its delivery (Store.try_chat_session),
    # session-level, in a key space apart from the turn's (hash seed 1, not 0).
    try_session_lock: Statement | None  # -> whether it was free
    session_unlock: Statement | None


def _declare(dialect: str) -> dict[str, tuple[ClauseElement | None, tuple[str, ...]]]:
    """Each statement as an expression over the schema, with its arguments in call order."""
    t, c, ld, n = turns.c, conversations.c, leads.c, counters.c
    # Each dialect's INSERT ... ON CONFLICT; imported here so a process loads only its own.
    upsert: Any
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert
    counter = upsert(counters).values(name=arg("name"), value=literal_column("1"))
    pending = select(t.chat_key, t.message_id, t.turn).where(
        t.delivered_at.is_(None), t.created_at >= arg("since"))
    order = (t.created_at, t.id)
    chat_lock = func.hashtextextended(arg("chat_key"), literal_column("0"))
    session_lock = func.hashtextextended(arg("chat_key"), literal_column("1"))
    pg = dialect == "postgresql"
    return {
        # One round trip for the two reads every turn starts with.
        "begin_turn": (select(
            select(t.turn).where(t.chat_key == arg("chat_key"),
                                 t.message_id == arg("message_id")).scalar_subquery(),
            select(c.data).where(c.chat_key == arg("chat_key")).scalar_subquery(),
        ), ("chat_key", "message_id")),
        "load": (select(c.data).where(c.chat_key == arg("chat_key")), ("chat_key",)),
        "update": (update(conversations).where(c.chat_key == arg("chat_key"))
                   .values(data=arg("data"), updated_at=arg("now")),
                   ("data", "now", "chat_key")),
        "insert": (insert(conversations).values(chat_key=arg("chat_key"), data=arg("data"),
                                                created_at=arg("now"), updated_at=arg("now")),
                   ("chat_key", "data", "now")),
        "record": (insert(turns).values(chat_key=arg("chat_key"), message_id=arg("message_id"),
                                        incoming=arg("incoming"), turn=arg("turn"),
                                        created_at=arg("now")),
                   ("chat_key", "message_id", "incoming", "turn", "now")),
        "erase_conversation": (delete(conversations).where(c.chat_key == arg("chat_key")),
                               ("chat_key",)),
        "erase_turns": (delete(turns).where(t.chat_key == arg("chat_key")), ("chat_key",)),
        "erase_leads": (delete(leads).where(ld.chat_key == arg("chat_key")), ("chat_key",)),
        "erase_outbox": (delete(outbox).where(outbox.c.chat_key == arg("chat_key")),
                         ("chat_key",)),
        "insert_outbox": (upsert(outbox).values(
            event_id=arg("event_id"), target=arg("target"), type=arg("type"),
            reference=arg("reference"), chat_key=arg("chat_key"), payload=arg("payload"),
            created_at=arg("now"), due_at=arg("now"), attempts=literal_column("0"),
            state=literal_column("'pending'"),
        ).on_conflict_do_nothing(index_elements=[outbox.c.event_id]),
            ("event_id", "target", "type", "reference", "chat_key", "payload", "now")),
        "insert_lead": (insert(leads).values(reference=arg("reference"),
                                             chat_key=arg("chat_key"), created_at=arg("now"),
                                             data=arg("data")),
                        ("reference", "chat_key", "now", "data")),
        "next_value": (counter.on_conflict_do_update(
            index_elements=[n.name], set_={"value": n.value + literal_column("1")},
        ).returning(n.value), ("name",)),
        "transcript": (select(t.incoming, t.turn).where(t.chat_key == arg("chat_key"))
                       .order_by(t.id), ("chat_key",)),
        "mark_delivered": (update(turns).where(
            t.chat_key == arg("chat_key"), t.message_id == arg("message_id"),
            t.delivered_at.is_(None),
        ).values(delivered_at=arg("now")), ("now", "chat_key", "message_id")),
        "unmark_delivered": (update(turns).where(
            t.chat_key == arg("chat_key"), t.message_id == arg("message_id"),
        ).values(delivered_at=null()), ("chat_key", "message_id")),
        "undelivered": (pending.order_by(*order).limit(arg("limit")), ("since", "limit")),
        "undelivered_in": (pending.where(t.chat_key >= arg("low"), t.chat_key < arg("high"))
                           .order_by(*order).limit(arg("limit")),
                           ("since", "low", "high", "limit")),
        "lock": (select(func.pg_advisory_xact_lock(chat_lock)) if pg else None, ("chat_key",)),
        "try_lock": (select(func.pg_try_advisory_xact_lock(chat_lock)) if pg else None,
                     ("chat_key",)),
        "try_session_lock": (select(func.pg_try_advisory_lock(session_lock)) if pg else None,
                             ("chat_key",)),
        "session_unlock": (select(func.pg_advisory_unlock(session_lock)) if pg else None,
                           ("chat_key",)),
    }


def _compile(stmt: ClauseElement, args: tuple[str, ...], dialect: Dialect) -> Statement:
    compiled = cast(SQLCompiler, stmt.compile(dialect=dialect))
    names = compiled.positiontup
    if names is None:  # pragma: no cover - compile_statements() always picks a positional style
        raise ValueError(f"{dialect.paramstyle} is not a positional parameter style")
    layout: list[int] = []
    constants: list[Any] = []
    for name in names:
        if name.startswith(_PREFIX) and name[len(_PREFIX):] in args:
            layout.append(args.index(name[len(_PREFIX):]))
            constants.append(None)
        else:
            bind = compiled.binds.get(name)
            if bind is None or bind.required:
                raise ValueError(f"statement parameter {name} is neither an argument nor a "
                                 f"constant: {compiled.string}")
            layout.append(-1)
            constants.append(bind.effective_value)
    return Statement(sql=compiled.string, args=args, layout=tuple(layout),
                     constants=tuple(constants), direct=layout == list(range(len(args))))


def compile_statements(dialect: Dialect) -> Statements:
    """The statements for this engine's dialect, with positional parameters for its driver."""
    if not dialect.positional:
        # psycopg takes "%s" as well as "%(name)s"; compile for the positional one.
        positional: Any = type(dialect)
        dialect = positional(paramstyle="format")
    compiled: dict[str, Statement | None] = {}
    for name, (stmt, args) in _declare(dialect.name).items():
        compiled[name] = None if stmt is None else _compile(stmt, args, dialect)
    missing = {f.name for f in fields(Statements)} ^ compiled.keys()
    if missing:  # pragma: no cover - a statement added to one list and not the other
        raise ValueError(f"statements out of step: {sorted(missing)}")
    return Statements(**compiled)  # type: ignore[arg-type]


def utc_binder(dialect: Dialect) -> Callable[[datetime], Any]:
    """How a point in time is bound on the raw cursor, as `schema.UTCDateTime` binds it.

    Explicit, so no driver default applies (Python 3.12 deprecates sqlite3's datetime adapter).
    SQLite: the UTC text SQLAlchemy's SQLite `DATETIME` writes, which sorts in time order;
    PostgreSQL: the aware datetime itself, for `timestamp with time zone`.
    """
    if dialect.name == "sqlite":
        def bind(value: datetime) -> Any:
            if value.tzinfo is not UTC:
                if value.tzinfo is None:
                    raise ValueError("naive datetime: give a timezone (UTC)")
                value = value.astimezone(UTC)
            return value.replace(tzinfo=None).isoformat(" ", "microseconds")
        return bind

    def bind_aware(value: datetime) -> Any:
        if value.tzinfo is None:
            raise ValueError("naive datetime: give a timezone (UTC)")
        return value
    return bind_aware
