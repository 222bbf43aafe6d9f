"""Alembic migrations, run from code: upgrade, downgrade, adopt a pre-Alembic database, check.

Every change of the schema runs under a database-wide lock, so any number of processes starting
at once on one database all succeed: the first migrates, the others wait and find the schema at
head. SQLite: `BEGIN EXCLUSIVE` on the connection that migrates (SQLite's DDL is transactional,
so a migration either happens completely or not at all). PostgreSQL: a session-level
`pg_advisory_lock` on a constant key, taken on a connection of its own and released after the
migration's transaction has committed (so a later migration may also run statements outside a
transaction, such as CREATE INDEX CONCURRENTLY, under the same lock).

No alembic.ini is needed: the configuration is built here. `bot/store/alembic.ini` is for
developers running the `alembic` command (e.g. to write the next revision).

Alembic is imported only when the schema changes: importing it costs a process ~11 MiB and
~150 ms, and the usual start (a database already at head) and `check()` need only the stamped
revision (one query) and this release's head, read from the revision files themselves.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import Connection

from bot.store.schema import VERSION_TABLE

if TYPE_CHECKING:
    from alembic.config import Config

__all__ = [
    "SchemaError", "check", "current", "downgrade", "head", "revisions", "schema_lock", "upgrade",
]

MIGRATIONS = Path(__file__).resolve().with_name("migrations")

# The schema of the release before migrations (created by `metadata.create_all`), which is
# revision 0001: such a database is recognised by these tables and columns and stamped 0001.
LEGACY_REVISION = "0001"
LEGACY_TABLES = {
    "conversations": {"chat_key", "data", "created_at", "updated_at"},
    "turns": {"id", "chat_key", "message_id", "incoming", "turn", "created_at"},
    "leads": {"reference", "chat_key", "created_at", "data"},
    "counters": {"name", "value"},
}

# PostgreSQL advisory lock for schema changes: the two-int4 key space, which does not overlap
# the single-bigint key space of the chats' locks (pg_advisory_xact_lock(hashtextextended(...))).
PG_LOCK_KEY = (0x696E74, 0x736368)  # "int", "sch"
# SQLite: how long a starting process waits for another one's migration.
SQLITE_LOCK_TIMEOUT_MS = 120_000


class SchemaError(Exception):
    """The database's schema cannot be brought to this release's head (or is not at it)."""


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _alembic_revisions() -> list[str]:
    from alembic.script import ScriptDirectory

    return [r.revision for r in reversed(list(ScriptDirectory.from_config(_config())
                                              .walk_revisions()))]


def _declared(path: Path) -> tuple[object, object]:
    """A revision file's `revision` and `down_revision`, read without running it."""
    found: dict[str, object] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        target = node.target if isinstance(node, ast.AnnAssign) else (
            node.targets[0] if isinstance(node, ast.Assign) and len(node.targets) == 1
            else None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and value is not None:
            try:
                found[target.id] = ast.literal_eval(value)
            except ValueError:
                continue
    return found.get("revision"), found.get("down_revision")


@functools.cache
def revisions() -> tuple[str, ...]:
    """This release's revisions, oldest first; the last is the head its code expects."""
    parent: dict[str, str | None] = {}
    for path in (MIGRATIONS / "versions").glob("*.py"):
        revision, down = _declared(path)
        if not isinstance(revision, str) or not (down is None or isinstance(down, str)):
            return tuple(_alembic_revisions())  # branches or merges: ask Alembic
        parent[revision] = down
    heads = parent.keys() - set(parent.values())
    if len(heads) != 1:
        return tuple(_alembic_revisions())
    chain: list[str] = []
    at: str | None = heads.pop()
    while at is not None and at in parent and len(chain) <= len(parent):
        chain.append(at)
        at = parent[at]
    if at is not None or len(chain) != len(parent):
        return tuple(_alembic_revisions())
    return tuple(reversed(chain))


def head() -> str:
    """The revision this release's code expects."""
    known = revisions()
    if not known:  # pragma: no cover - the package ships its migrations
        raise SchemaError(f"no migrations found in {MIGRATIONS}")
    return known[-1]


def current(conn: Connection) -> tuple[str, ...]:
    """The revision(s) stamped in the database; empty for a database without Alembic's table
    (read as Alembic reads it: its default table, in the connection's default schema)."""
    if not inspect(conn).has_table(VERSION_TABLE):
        return ()
    return tuple(conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars())


def _refuse_unknown(stamped: tuple[str, ...]) -> None:
    known = revisions()
    unknown = [r for r in stamped if r not in known]
    if unknown:
        raise SchemaError(
            f"the database is at revision {', '.join(unknown)}, which this release does not "
            f"know (it knows {', '.join(known)}; head {head()}): a newer release upgraded it. "
            f"Run that release, or downgrade the database with it "
            f"(`intake db downgrade {head()}`) first."
        )


def _adopt_legacy(conn: Connection) -> None:
    """A database made by the release before migrations: stamp it 0001 (keeping its data)."""
    inspector = inspect(conn)
    present = set(inspector.get_table_names()) & LEGACY_TABLES.keys()
    if not present:
        return  # empty: the migrations create everything
    missing = sorted(LEGACY_TABLES.keys() - present)
    if missing:
        raise SchemaError(f"the database has tables {', '.join(sorted(present))} but not "
                          f"{', '.join(missing)}, and no version stamp: not a database this "
                          "release can upgrade")
    for table, expected in LEGACY_TABLES.items():
        columns = {c["name"] for c in inspector.get_columns(table)}
        if columns != expected:
            raise SchemaError(f"table {table} has columns {', '.join(sorted(columns))}, not "
                              f"those of revision {LEGACY_REVISION} "
                              f"({', '.join(sorted(expected))}), and no version stamp")
    from alembic import command

    command.stamp(_config(conn), LEGACY_REVISION)


@contextmanager
def schema_lock(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction, holding the database-wide schema lock."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None
            (previous,) = driver.execute("PRAGMA busy_timeout").fetchone()
            driver.execute(f"PRAGMA busy_timeout={SQLITE_LOCK_TIMEOUT_MS}")
            try:
                # Our engine's "begin" hook issues this instead of a plain BEGIN.
                conn.execution_options(intake_sqlite_begin="BEGIN EXCLUSIVE")
                with conn.begin():
                    yield conn
            finally:
                driver.execute(f"PRAGMA busy_timeout={int(previous)}")
        return
    if engine.dialect.name != "postgresql":  # pragma: no cover - Store refuses others earlier
        raise SchemaError(f"unsupported database: {engine.dialect.name}")
    key = {"a": PG_LOCK_KEY[0], "b": PG_LOCK_KEY[1]}
    with engine.connect() as guard:
        guard.execute(text("SELECT pg_advisory_lock(:a, :b)"), key)
        guard.commit()
        try:
            with engine.begin() as conn:
                yield conn
        finally:
            guard.execute(text("SELECT pg_advisory_unlock(:a, :b)"), key)
            guard.commit()


def upgrade(engine: Engine, target: str = "head") -> None:
    """Bring the schema to `target` (default: this release's head), under the schema lock.

    A database without Alembic's table but with the previous release's tables is stamped 0001
    first; a database at a revision this release does not know raises `SchemaError`.
    """
    with engine.connect() as conn:
        stamped = current(conn)
    _refuse_unknown(stamped)
    if target == "head" and stamped == (head(),):
        return  # the usual start of a running service: nothing to do, no lock taken
    with schema_lock(engine) as conn:
        stamped = current(conn)  # again: another process may have migrated meanwhile
        _refuse_unknown(stamped)
        if target == "head" and stamped == (head(),):
            return  # it did: release the lock at once, the next starter is waiting
        if not stamped:
            _adopt_legacy(conn)
        from alembic import command

        command.upgrade(_config(conn), target)


def downgrade(engine: Engine, target: str) -> None:
    """Take the schema back to `target` ("base": nothing), under the schema lock."""
    from alembic import command

    with schema_lock(engine) as conn:
        _refuse_unknown(current(conn))
        command.downgrade(_config(conn), target)


def check(conn: Connection) -> str | None:
    """None when the schema is at head; else a short reason."""
    stamped = current(conn)
    if not stamped:
        return "the database has no schema: run `intake db upgrade`"
    try:
        _refuse_unknown(stamped)
    except SchemaError:
        return (f"the database is at revision {', '.join(stamped)}, newer than this release "
                f"(head {head()})")
    if stamped != (head(),):
        return (f"the database is at revision {', '.join(stamped)}, this release needs "
                f"{head()}: run `intake db upgrade`")
    return None
