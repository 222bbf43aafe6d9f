"""The storage contract, run against SQLite and PostgreSQL alike (the `db_url` fixture).

What the runtime relies on: a unit of work per chat that two processes cannot interleave,
datetimes stored as UTC the same way on both databases, delivery marks and the "undelivered
since" query, `wait=False` that refuses to wait for another writer, and `check()`.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Dialect, create_engine, select, text

from bot.store import Busy, Store
from bot.store.schema import UTCDateTime, conversations, leads, turns
from bot.store.sql import compile_statements, utc_binder

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.upgrade()
    yield store
    store.dispose()


def record(store: Store, chat_key: str, message_id: str, turn: dict[str, object]) -> None:
    with store.transaction(chat_key) as tx:
        tx.record(message_id, {"text": "hallo"}, turn)


# --- statements and datetimes --------------------------------------------------------------


def dialect_of(name: str) -> Dialect:
    """The dialect of our driver for this database (no connection is made)."""
    return create_engine("sqlite://" if name == "sqlite" else "postgresql+psycopg://").dialect


@pytest.mark.parametrize("name", ["sqlite", "postgresql"])
def test_statements_are_compiled_from_the_tables_with_positional_parameters(name: str) -> None:
    dialect = dialect_of(name)
    sql = compile_statements(dialect)
    marker = "?" if name == "sqlite" else "%s"
    assert sql.record.sql.startswith("INSERT INTO turns (chat_key, message_id, incoming, turn, "
                                     "created_at) VALUES")
    assert sql.record.sql.count(marker) == 5 and sql.record.direct
    # An argument the SQL uses twice is repeated for the driver.
    assert sql.begin_turn.params(("k", "m")) == ("k", "m", "k")
    assert sql.insert.params(("k", "{}", "now")) == ("k", "{}", "now", "now")
    assert (sql.lock is None) == (name == "sqlite")


@pytest.mark.parametrize("name", ["sqlite", "postgresql"])
def test_the_raw_path_binds_times_as_the_column_type_does(name: str) -> None:
    dialect = dialect_of(name)
    # What SQLAlchemy runs for the column on this dialect (the dialect's own DATETIME below).
    column_bind = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    raw_bind = utc_binder(dialect)
    amsterdam = datetime(2026, 3, 29, 3, 30, tzinfo=UTC).astimezone(ZoneInfo("Europe/Amsterdam"))
    for moment in (datetime(2026, 1, 5, 12, 34, 56, 123456, tzinfo=UTC),
                   datetime(2026, 1, 5, 12, 34, 56, tzinfo=UTC), amsterdam):
        assert column_bind is not None
        assert raw_bind(moment) == column_bind(moment)
    with pytest.raises(ValueError, match="naive"):
        raw_bind(datetime(2026, 1, 5, 12, 0))


def test_times_are_stored_in_utc_and_read_back_alike(store: Store) -> None:
    before = datetime.now(UTC)
    with store.transaction("test:time") as tx:
        tx.save({"state": "x"}, existed=False)
        tx.record("m1", None, {"step": "x"})
        tx.insert_lead("IK-2026-000001", {"reference": "IK-2026-000001"})
    after = datetime.now(UTC)
    with store.engine.connect() as conn:
        stamps = [
            *conn.execute(select(conversations.c.created_at, conversations.c.updated_at)).one(),
            conn.execute(select(turns.c.created_at)).scalar_one(),
            conn.execute(select(leads.c.created_at)).scalar_one(),
        ]
        raw = conn.execute(text("SELECT created_at FROM turns")).scalar_one()
    for stamp in stamps:
        assert stamp.tzinfo is UTC and before <= stamp <= after
    if store.dialect == "sqlite":
        # Text that sorts as time does: UTC, fixed width, microseconds always present.
        assert isinstance(raw, str) and len(raw) == 26 and raw[10] == " "
    # Comparisons in SQL work on both: the turn is newer than a minute ago.
    with store.engine.connect() as conn:
        newer = conn.execute(select(turns.c.id).where(
            turns.c.created_at >= before - timedelta(minutes=1))).all()
        older = conn.execute(select(turns.c.id).where(turns.c.created_at < before)).all()
    assert len(newer) == 1 and older == []


# --- the unit of work ------------------------------------------------------------------------


def test_a_unit_of_work_commits_all_or_nothing(store: Store) -> None:
    with store.transaction("test:tx") as tx:
        tx.save({"n": 1}, existed=False)
        assert tx.next_value("lead-2026") == 1
    with pytest.raises(RuntimeError), store.transaction("test:tx") as tx:
        tx.save({"n": 2}, existed=True)
        tx.record("m1", None, {"step": "x"})
        assert tx.next_value("lead-2026") == 2
        raise RuntimeError("the engine failed")
    with store.transaction("test:tx") as tx:
        assert tx.load() == {"n": 1}
        assert tx.begin_turn("m1") == (None, {"n": 1})
        assert tx.next_value("lead-2026") == 2  # the failed turn's number was not used
        assert tx.transcript() == []


def test_text_of_any_shape_round_trips(store: Store) -> None:
    """PostgreSQL's turn path quotes values with libpq itself (bot/store/postgres.py Wire)."""
    nasty = "O'Brien \\ \"quoted\" ; DROP TABLE turns; -- é € 🙂 $1 %s \n\t"
    with store.transaction(f"test:{nasty}") as tx:
        tx.save({"name": nasty}, existed=False)
        tx.record(nasty, {"text": nasty}, {"reply": nasty})
    with store.transaction(f"test:{nasty}") as tx:
        assert tx.load() == {"name": nasty}
        assert tx.begin_turn(nasty) == ({"reply": nasty}, {"name": nasty})
        assert tx.transcript() == [({"text": nasty}, {"reply": nasty})]
    assert store.mark_delivered(f"test:{nasty}", nasty)


def test_a_connection_the_server_dropped_is_replaced_without_losing_the_turn(
        postgres_url: str) -> None:
    import psycopg

    store = Store(postgres_url)
    store.upgrade()

    record(store, "test:drop", "m1", {"n": 1})
    held = store.try_chat_session("test:held")
    assert held is not None
    held.release()
    # Every connection of the turn pool dies, as when PostgreSQL restarts.
    pool = store._turn_pool().engine
    raw = pool.raw_connection()
    pid = raw.driver_connection.pgconn.backend_pid
    raw.close()
    admin = postgres_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(admin, autocommit=True) as conn:
        assert conn.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone() == (True,)
    time.sleep(0.1)
    record(store, "test:drop", "m2", {"n": 2})
    with store.transaction("test:drop") as tx:
        assert [turn for _, turn in tx.transcript()] == [{"n": 1}, {"n": 2}]
    # ... and a chat session too, after another drop.
    raw = pool.raw_connection()
    pid = raw.driver_connection.pgconn.backend_pid
    raw.close()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))
    time.sleep(0.1)
    session = store.try_chat_session("test:drop")
    assert session is not None and session.held
    store.finish(session, "m2")
    assert not session.held and store.delivery("test:drop", "m2") is not None
    store.dispose()


def test_erase_removes_the_chat_and_only_that_chat(store: Store) -> None:
    for chat in ("test:a", "test:b"):
        with store.transaction(chat) as tx:
            tx.save({"chat": chat}, existed=False)
            tx.record("m1", {"text": "hoi"}, {"step": "x"})
            tx.insert_lead(f"IK-{chat[-1]}", {"chat": chat})
    with store.transaction("test:a") as tx:
        tx.erase()
    assert store.count("conversations") == store.count("turns") == store.count("leads") == 1
    assert store.lead("IK-a") is None and store.lead("IK-b") == {"chat": "test:b"}


_HAMMER = """
import sys, time
from bot.store import Store
url, chat_key, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
store = Store(url)
print("ready", flush=True)
sys.stdin.readline()
for _ in range(n):
    with store.transaction(chat_key) as tx:
        data = tx.load()
        data["count"] += 1
        time.sleep(0.0002)  # the engine's step, between the read and the write
        tx.save(data, existed=True)
store.dispose()
"""


def start_together(argv_list: list[list[str]], timeout: float = 120) -> list[tuple[int, str]]:
    """Start processes that print "ready" and then wait for a line on stdin; let them all go
    at once; return each one's exit code and stderr."""
    procs = [subprocess.Popen([sys.executable, "-W", "error", *argv], cwd=ROOT,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for argv in argv_list]
    try:
        for proc in procs:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if line.strip() != "ready":
                proc.wait(timeout)
                raise AssertionError(proc.stderr.read() if proc.stderr else line)
        for proc in procs:
            assert proc.stdin is not None
            proc.stdin.write("go\n")
            proc.stdin.flush()
        results = []
        for proc in procs:
            _, err = proc.communicate(timeout=timeout)
            results.append((proc.returncode, err))
        return results
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def test_two_processes_hammering_one_chat_lose_no_update(store: Store, db_url: str) -> None:
    n = 200
    with store.transaction("test:hammer") as tx:
        tx.save({"count": 0}, existed=False)
    results = start_together([["-c", _HAMMER, db_url, "test:hammer", str(n)]] * 2)
    assert [code for code, _ in results] == [0, 0], [err for _, err in results]
    with store.transaction("test:hammer") as tx:
        assert tx.load() == {"count": 2 * n}


# --- delivery --------------------------------------------------------------------------------


def test_a_turn_is_undelivered_until_marked_and_marked_once(store: Store) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    record(store, "telegram:1", "m1", {"step": "a"})
    assert store.undelivered(since) == [("telegram:1", "m1", {"step": "a"})]
    assert store.mark_delivered("telegram:1", "m1") is True
    assert store.mark_delivered("telegram:1", "m1") is False, "of two senders, one claims it"
    assert store.undelivered(since) == []
    store.unmark_delivered("telegram:1", "m1")
    assert store.undelivered(since) == [("telegram:1", "m1", {"step": "a"})]
    with store.transaction("telegram:1") as tx:
        assert tx.mark_delivered("m1") is True
        assert tx.mark_delivered("m1") is False
        assert tx.mark_delivered("no-such-message") is False
    assert store.undelivered(since) == []


def test_undelivered_is_oldest_first_since_a_time_per_channel_and_limited(
    store: Store,
) -> None:
    start = datetime.now(UTC)
    for i, chat in enumerate(["telegram:1", "web:1", "telegram:2", "telegramx:3", "telegram:1"]):
        record(store, chat, f"m{i}", {"i": i})
        time.sleep(0.002)
    middle = datetime.now(UTC)
    record(store, "telegram:2", "late", {"i": 5})
    everything = store.undelivered(start)
    assert [turn["i"] for _, _, turn in everything] == [0, 1, 2, 3, 4, 5]
    telegram = store.undelivered(start, channel="telegram")
    assert [(chat, msg) for chat, msg, _ in telegram] == [
        ("telegram:1", "m0"), ("telegram:2", "m2"), ("telegram:1", "m4"), ("telegram:2", "late")]
    assert [msg for _, msg, _ in store.undelivered(start, limit=2)] == ["m0", "m1"]
    assert [msg for _, msg, _ in store.undelivered(middle)] == ["late"]
    assert store.undelivered(datetime.now(UTC) + timedelta(seconds=1)) == []
    with store.transaction("telegram:1") as tx:
        tx.erase()
    assert [msg for _, msg, _ in store.undelivered(start, channel="telegram")] == ["m2", "late"]


def test_the_undelivered_query_uses_its_partial_index(store: Store) -> None:
    stmt = store._sql.undelivered_in  # the runtime's query
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        args = (store._bind_time(datetime.now(UTC)), "telegram:", "telegram;", 10)
        if store.dialect == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + stmt.sql, stmt.params(args))
        else:
            cursor.execute("SET enable_seqscan = off")  # an empty table: force the choice
            cursor.execute("EXPLAIN " + stmt.sql, stmt.params(args))
        plan = " ".join(str(row) for row in cursor.fetchall())
        raw.rollback()
    finally:
        raw.close()
    assert "ix_turns_undelivered" in plan, plan


# --- not waiting for another writer ------------------------------------------------------------


class Holder:
    """Another writer holding the lock a turn of chat "test:busy" needs, until released."""

    def __init__(self, store: Store) -> None:
        self._release, holding = threading.Event(), threading.Event()

        def hold() -> None:
            with store.transaction("test:busy") as tx:
                tx.save({"held": True}, existed=False)
                holding.set()
                self._release.wait(30)

        self._thread = threading.Thread(target=hold)
        self._thread.start()
        assert holding.wait(10)

    def release(self, after: float = 0) -> None:
        """Let the writer commit (after a delay: in the background) and, at once, wait."""
        if after:
            threading.Timer(after, self._release.set).start()
            return
        self._release.set()
        self._thread.join()


@pytest.fixture
def held(store: Store) -> Iterator[Holder]:
    holder = Holder(store)
    yield holder
    holder.release()


def test_wait_false_raises_busy_at_once_instead_of_waiting(store: Store, held: Holder) -> None:
    began = time.perf_counter()
    with pytest.raises(Busy), store.transaction("test:busy", wait=False) as tx:
        tx.save({"lost": True}, existed=True)  # pragma: no cover - never reached
    assert time.perf_counter() - began < 1.0
    if store.dialect == "postgresql":
        # PostgreSQL locks the chat, not the database: other chats go on.
        with store.transaction("test:other", wait=False) as tx:
            tx.save({"free": True}, existed=False)
    held.release()
    # Once the writer is done, the same call succeeds.
    with store.transaction("test:busy", wait=False) as tx:
        assert tx.load() == {"held": True}


def test_the_normal_wait_still_waits_after_a_busy_refusal(store: Store, held: Holder) -> None:
    with pytest.raises(Busy), store.transaction("test:busy", wait=False):
        pass  # pragma: no cover - never reached
    held.release(after=0.3)
    began = time.perf_counter()
    with store.transaction("test:busy") as tx:  # waits for the holder, then goes on
        assert tx.load() == {"held": True}
    assert time.perf_counter() - began >= 0.25


def test_a_short_write_can_refuse_to_wait_too(store: Store) -> None:
    record(store, "test:mark", "m1", {"step": "a"})
    raw = store.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if store.dialect == "sqlite":
            cursor.execute("BEGIN IMMEDIATE")  # another writer, of any chat
        else:
            cursor.execute("SELECT 1 FROM turns WHERE message_id = 'm1' FOR UPDATE")
        began = time.perf_counter()
        with pytest.raises(Busy):
            store.mark_delivered("test:mark", "m1", wait=False)
        assert time.perf_counter() - began < 1.0
        if store.dialect == "sqlite":
            cursor.execute("ROLLBACK")
        else:
            raw.rollback()
    finally:
        raw.close()
    assert store.mark_delivered("test:mark", "m1", wait=False) is True


# --- readiness -------------------------------------------------------------------------------


def test_check_says_ready_only_at_head(db_url: str) -> None:
    store = Store(db_url)
    try:
        assert "intake db upgrade" in (store.check() or "")
        store.upgrade()
        assert store.check() is None
        store.downgrade("0001")
        assert "0001" in (store.check() or "")
    finally:
        store.dispose()


def test_check_names_no_secret_when_the_database_is_unreachable() -> None:
    store = Store("postgresql+psycopg://intake:s3cr3t-pw@127.0.0.1:9/nowhere")
    try:
        reason = store.check()
    finally:
        store.dispose()
    assert reason is not None and reason.startswith("database unreachable")
    assert "s3cr3t" not in reason and "intake" not in reason
