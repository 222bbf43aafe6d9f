"""Alembic migrations on SQLite and PostgreSQL: from empty, down and up, from the last release's
database (made by `create_all`, with data), a database newer than the code, processes starting
at once, and the `intake db` command."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    inspect,
    select,
    text,
)

from bot.cli import main as intake
from bot.store import SchemaError, Store, metadata, migrate
from bot.store.schema import turns
from tests.bot.test_store import start_together

OURS = {"conversations", "turns", "leads", "counters"}

# The schema of the last release before migrations, as its bot/store.py declared it.
LAST_RELEASE = MetaData()
Table("conversations", LAST_RELEASE,
      Column("chat_key", String(200), primary_key=True),
      Column("data", Text, nullable=False),
      Column("created_at", DateTime(timezone=True), nullable=False),
      Column("updated_at", DateTime(timezone=True), nullable=False))
Table("turns", LAST_RELEASE,
      Column("id", Integer, primary_key=True, autoincrement=True),
      Column("chat_key", String(200), nullable=False),
      Column("message_id", String(200), nullable=False),
      Column("incoming", Text, nullable=True),
      Column("turn", Text, nullable=False),
      Column("created_at", DateTime(timezone=True), nullable=False),
      UniqueConstraint("chat_key", "message_id", name="uq_turns_message"))
Table("leads", LAST_RELEASE,
      Column("reference", String(32), primary_key=True),
      Column("chat_key", String(200), nullable=False, index=True),
      Column("created_at", DateTime(timezone=True), nullable=False),
      Column("data", Text, nullable=False))
Table("counters", LAST_RELEASE,
      Column("name", String(64), primary_key=True),
      Column("value", Integer, nullable=False))


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    yield store
    store.dispose()


def differences(store: Store, target: MetaData) -> list[Any]:
    """What Alembic's autogenerate would change to make the database match `target`."""
    with store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return [d for d in compare_metadata(context, target)
                if not (d[0] == "remove_table" and d[1].name == "alembic_version")]


def tables(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return set(inspect(conn).get_table_names())


def test_upgrade_from_empty_gives_exactly_the_declared_schema(store: Store) -> None:
    assert store.revision() is None
    store.upgrade()
    assert store.revision() == migrate.head() == "0004"
    assert differences(store, metadata) == []
    store.upgrade()  # again: nothing to do
    assert store.revision() == "0004"


def test_revision_0001_is_the_schema_of_the_last_release(store: Store) -> None:
    migrate.upgrade(store.engine, "0001")
    assert store.revision() == "0001"
    assert differences(store, LAST_RELEASE) == []


def test_downgrade_to_base_and_up_again(store: Store) -> None:
    store.upgrade()
    with store.transaction("test:down") as tx:
        tx.save({"n": 1}, existed=False)
        tx.record("m1", None, {"step": "a"})
    store.downgrade("0001")
    assert differences(store, LAST_RELEASE) == []
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT message_id FROM turns")).scalars().all() == ["m1"]
    store.downgrade("base")
    assert tables(store) & OURS == set()
    assert store.revision() is None
    store.upgrade()
    assert differences(store, metadata) == []
    assert store.count("turns") == 0


def _old_time(store: Store, moment: datetime) -> Any:
    """A time as the last release stored it: sqlite3's default adapter wrote isoformat(" ")."""
    return moment.isoformat(" ") if store.dialect == "sqlite" else moment


def test_a_database_of_the_last_release_is_adopted_and_keeps_its_data(store: Store) -> None:
    LAST_RELEASE.create_all(store.engine)
    with_micro = datetime(2026, 1, 5, 9, 30, 1, 250000, tzinfo=UTC)
    whole = datetime(2026, 1, 5, 9, 31, 2, tzinfo=UTC)
    # Raw SQL, as the last release wrote them: times through the driver's own adapter.
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO conversations VALUES (:k, :d, :c, :u)"),
                     {"k": "telegram:7", "d": '{"state": "turnover"}',
                      "c": _old_time(store, with_micro), "u": _old_time(store, whole)})
        conn.execute(text("INSERT INTO turns (chat_key, message_id, incoming, turn, created_at) "
                          "VALUES ('telegram:7', :m, :i, :t, :c)"), [
            {"m": "u1", "i": '{"text": "beide"}', "t": '{"step": "sector"}',
             "c": _old_time(store, with_micro)},
            {"m": "u2", "i": '{"text": "bouw"}', "t": '{"step": "turnover"}',
             "c": _old_time(store, whole)}])
        conn.execute(text("INSERT INTO leads VALUES ('IK-2026-000041', 'telegram:7', :c, :d)"),
                     {"c": _old_time(store, whole), "d": '{"reference": "IK-2026-000041"}'})
        conn.execute(text("INSERT INTO counters VALUES ('lead-2026', 41)"))

    store.upgrade()

    assert store.revision() == "0004"
    assert differences(store, metadata) == []
    with store.transaction("telegram:7") as tx:
        assert tx.load() == {"state": "turnover"}
        assert tx.begin_turn("u2") == ({"step": "turnover"}, {"state": "turnover"})
        assert [said for said, _ in tx.transcript()] == [{"text": "beide"}, {"text": "bouw"}]
        assert tx.next_value("lead-2026") == 42
    assert store.lead("IK-2026-000041") == {"reference": "IK-2026-000041"}
    with store.engine.connect() as conn:
        rows = conn.execute(select(turns.c.message_id, turns.c.created_at,
                                   turns.c.delivered_at).order_by(turns.c.id)).all()
        raw = conn.execute(text("SELECT created_at FROM turns ORDER BY id")).scalars().all()
    # Times are the same instants, now in this release's form; the old replies count as sent.
    assert rows == [("u1", with_micro, with_micro), ("u2", whole, whole)]
    if store.dialect == "sqlite":
        assert raw == ["2026-01-05 09:30:01.250000", "2026-01-05 09:31:02.000000"]
    assert store.undelivered(datetime(2000, 1, 1, tzinfo=UTC)) == []


def test_tables_of_ours_without_a_version_stamp_but_incomplete_are_refused(store: Store) -> None:
    LAST_RELEASE.tables["turns"].create(store.engine)
    with pytest.raises(SchemaError, match="not a database this release can upgrade"):
        store.upgrade()
    assert store.revision() is None


def test_a_database_newer_than_the_code_is_refused(store: Store, db_url: str,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    store.upgrade()
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    with pytest.raises(SchemaError) as refused:
        store.upgrade()
    message = str(refused.value)
    assert "0999" in message and "0001, 0002, 0003, 0004" in message and "head 0004" in message
    assert "newer" in (store.check() or "")
    with pytest.raises(SchemaError):
        store.downgrade("0001")
    assert intake(["db", "upgrade", "--db", db_url]) == 1
    assert "0999" in capsys.readouterr().err
    with pytest.raises(SystemExit, match="0999"):  # `intake chat` refuses to start too
        from bot.cli import _runtime

        _runtime(db_url)
    with store.engine.connect() as conn:  # nothing was touched
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0999"


def test_the_db_command(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert intake(["db", "check", "--db", db_url]) == 1
    assert "intake db upgrade" in capsys.readouterr().out
    assert intake(["db", "upgrade", "--db", db_url]) == 0
    assert "(revision 0004, was none)" in capsys.readouterr().out
    assert intake(["db", "check", "--db", db_url]) == 0
    assert "database ready" in capsys.readouterr().out
    assert intake(["db", "downgrade", "--db", db_url]) == 2
    assert intake(["db", "downgrade", "base", "--db", db_url]) == 0
    assert "(revision none, was 0004)" in capsys.readouterr().out


def test_the_db_command_names_no_password_when_it_cannot_connect(
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = "postgresql+psycopg://intake:s3cr3t-pw@127.0.0.1:9/nowhere"
    assert intake(["db", "upgrade", "--db", url]) == 1
    err = capsys.readouterr().err
    assert "OperationalError" in err and "s3cr3t" not in err


_STARTER = """
import os, sys
from bot.store import Store
store = Store(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
store.upgrade()
assert store.check() is None, store.check()
with store.transaction(f"test:{os.getpid()}") as tx:
    tx.record("m1", None, {"pid": os.getpid()})
store.dispose()
"""


@pytest.mark.slow
def test_processes_starting_at_once_on_an_empty_database_all_succeed(
    store: Store, db_url: str,
) -> None:
    processes = 40 if store.dialect == "sqlite" else 20
    results = start_together([["-c", _STARTER, db_url]] * processes, timeout=300)
    failures = [err for code, err in results if code != 0]
    assert failures == [], f"{len(failures)} of {processes} failed:\n{failures[0]}"
    assert store.revision() == "0004"
    assert store.count("turns") == processes
    assert differences(store, metadata) == []


def test_the_developers_alembic_command_finds_the_migrations(db_url: str) -> None:
    import subprocess

    from tests.bot.test_store import ROOT

    done = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", "bot/store/alembic.ini", "-x", f"url={db_url}",
         "upgrade", "head"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    store = Store(db_url)
    try:
        assert store.check() is None
    finally:
        store.dispose()


def test_the_release_knows_its_revisions_as_alembic_does() -> None:
    assert migrate.revisions() == tuple(migrate._alembic_revisions()) == (
        "0001", "0002", "0003", "0004")


def test_a_start_on_a_database_at_head_does_not_load_alembic(store: Store, db_url: str) -> None:
    import subprocess

    from tests.bot.test_store import ROOT

    store.upgrade()
    probe = ("import sys; from bot.store import Store; s = Store(sys.argv[1]); s.upgrade(); "
             "assert s.check() is None; s.dispose(); "
             "assert not [m for m in sys.modules if m.startswith('alembic')]")
    done = subprocess.run([sys.executable, "-c", probe, db_url], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr


def test_0004_gives_leads_a_status_and_a_group_claim_its_history(store: Store) -> None:
    """Leads already there are nieuw; one claimed in the brokers' group is opgepakt, with that
    claim as its first status change."""
    migrate.upgrade(store.engine, "0003")
    claimed = datetime(2026, 11, 24, 13, 5, tzinfo=UTC)
    with store.engine.begin() as conn:
        for reference, by in (("IK-2026-000001", None), ("IK-2026-000002", "Anna")):
            conn.execute(text("INSERT INTO leads (reference, chat_key, created_at, data, "
                              "claimed_by, claimed_at) VALUES (:r, :k, :c, '{}', :b, :a)"),
                         {"r": reference, "k": f"telegram:{reference}",
                          "c": _old_time(store, claimed) if store.dialect == "postgresql"
                          else claimed.strftime("%Y-%m-%d %H:%M:%S.%f"),
                          "b": by, "a": None if by is None else (
                              claimed if store.dialect == "postgresql"
                              else claimed.strftime("%Y-%m-%d %H:%M:%S.%f"))})
    store.upgrade()
    assert store.revision() == "0004"
    with store.engine.connect() as conn:
        statuses = dict(conn.execute(text("SELECT reference, status FROM leads")).all())
        history = conn.execute(text('SELECT reference, status, "by" FROM lead_status')).all()
    assert statuses == {"IK-2026-000001": "nieuw", "IK-2026-000002": "opgepakt"}
    assert [tuple(row) for row in history] == [("IK-2026-000002", "opgepakt", "Anna")]
    store.downgrade("0003")
    assert store.revision() == "0003"
    assert "lead_status" not in tables(store) and "users" not in tables(store)
