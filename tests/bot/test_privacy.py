"""AVG: "vergeet mij", `intake erase REFERENCE` and retention remove the prospect from every
table, and on SQLite from the file's free pages and the write-ahead log too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update

from bot.outbox import routes_of
from bot.privacy import purge
from bot.runtime import Incoming, Runtime
from bot.store import Store, metadata
from bot.store.schema import conversations, leads, outbox, turns
from tests.support.dialogue import ROUTE

ROOT = Path(__file__).resolve().parents[2]
NAME = "Kees Vergeetmij"
PHONE = "0687654321"


@pytest.fixture
def store(db_url: str) -> Any:
    s = Store(db_url)
    s.upgrade()
    yield s
    s.dispose()


def _route(name: str, phone: str) -> list[str]:
    route = [*ROUTE, "ja"]
    route[route.index("Jan de Vries")] = name
    route[route.index("0612345678")] = phone
    return route


def _finish(runtime: Runtime, chat_key: str, name: str = NAME, phone: str = PHONE) -> str:
    for i, line in enumerate(["/start", *_route(name, phone)]):
        turn = runtime.process(Incoming(chat_key, f"m{i}", text=line))[0]
    assert turn.lead is not None, [r.text for r in turn.replies]
    return str(turn.lead["reference"])


def _everywhere(store: Store, needle: str) -> list[str]:
    """The tables holding `needle` anywhere in a row."""
    found = []
    with store.engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(select(table)):
                if needle in json.dumps([str(v) for v in row], ensure_ascii=False):
                    found.append(table.name)
                    break
    return found


class _Crm:
    """A hand-off target by name: its rows wait in the outbox (no worker runs here)."""

    name = "crm"
    events = frozenset({"lead.created", "lead.erased"})

    async def deliver(self, event: object) -> None:  # pragma: no cover - never delivered
        raise AssertionError


def test_vergeet_mij_leaves_no_trace_in_any_table(store: Store) -> None:
    runtime = Runtime(store, routes=routes_of([_Crm()]))
    chat = "telegram:770001"
    _finish(runtime, chat)
    _finish(runtime, "telegram:770002", "Anna Blijft", "0611112222")  # someone who stays
    assert set(_everywhere(store, NAME)) >= {"conversations", "turns", "leads", "outbox"}
    runtime.process(Incoming(chat, "e1", text="vergeet mij"))
    turn = runtime.process(Incoming(chat, "e2", text="ja"))[0]
    assert turn.erase
    assert _everywhere(store, NAME) == []
    assert _everywhere(store, PHONE[1:]) == []
    assert _everywhere(store, "770001") == [], "not even the chat key (the Telegram user id)"
    assert set(_everywhere(store, "770002")) >= {"conversations", "turns", "leads", "outbox"}
    # The CRM is told, with the reference alone.
    with store.engine.connect() as conn:
        erased = conn.execute(select(outbox.c.payload).where(outbox.c.type == "lead.erased"))
        assert [json.loads(p)["data"].keys() for p in erased.scalars()] == [
            {"reference", "erased_at"}]


def test_a_sqlite_file_keeps_no_copy_of_an_erased_name(tmp_path: Path) -> None:
    path = tmp_path / "privacy.sqlite3"
    store = Store(f"sqlite:///{path}")
    store.upgrade()
    runtime = Runtime(store)
    chat = "telegram:770003"
    _finish(runtime, chat)
    runtime.process(Incoming(chat, "e1", text="vergeet mij"))
    runtime.process(Incoming(chat, "e2", text="ja"))
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir()
                   if p.name.startswith("privacy.sqlite3"))
    store.dispose()
    assert NAME.encode() not in raw, "free pages or the WAL still hold the erased name"


def test_intake_erase_removes_the_prospect_behind_a_reference(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'erase.sqlite3'}"
    store = Store(url)
    store.upgrade()
    reference = _finish(Runtime(store, routes=routes_of([_Crm()])), "telegram:770004")
    store.dispose()
    # With a CRM webhook configured, the erasure is passed on to it (queued for the service).
    env = {**os.environ, "INTAKE_CRM_WEBHOOK_URL": "http://127.0.0.1:9/hook",
           "INTAKE_CRM_WEBHOOK_SECRET": "whsec_" + "QUJD" * 8}
    done = subprocess.run([sys.executable, "-m", "bot", "erase", reference, "--db", url],
                          capture_output=True, text=True, cwd=ROOT, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    assert reference in done.stdout
    assert NAME not in done.stderr + done.stdout, "the erasure is logged without the data"
    store = Store(url)
    assert _everywhere(store, NAME) == [] and _everywhere(store, "770004") == []
    with store.engine.connect() as conn:
        rows = conn.execute(select(outbox.c.target, outbox.c.type, outbox.c.reference)).all()
    assert [tuple(r) for r in rows] == [("webhook", "lead.erased", reference)]
    store.dispose()
    again = subprocess.run([sys.executable, "-m", "bot", "erase", reference, "--db", url],
                           capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert again.returncode == 1 and "no lead" in again.stderr


def test_retention_removes_what_is_older_and_keeps_the_rest(store: Store) -> None:
    runtime = Runtime(store)
    for i, line in enumerate(["/start", *ROUTE[:4]]):  # abandoned half-way
        runtime.process(Incoming("telegram:1", f"a{i}", text=line))
    for i, line in enumerate(["/start", *ROUTE[:4]]):  # half-way, but recent
        runtime.process(Incoming("telegram:2", f"b{i}", text=line))
    _finish(runtime, "telegram:3")  # an old lead
    _finish(runtime, "telegram:4")  # a recent lead
    long_ago = datetime.now(UTC) - timedelta(days=1000)
    with store.engine.begin() as conn:
        for table in (conversations, turns, leads):
            for key in ("telegram:1", "telegram:3"):
                values = {"created_at": long_ago}
                if table is conversations:
                    values["updated_at"] = long_ago
                conn.execute(update(table).where(table.c.chat_key == key).values(**values))
    done = purge(store, retention_days=30, lead_retention_days=730)
    assert (done.abandoned, done.leads) == (1, 1)
    with store.engine.connect() as conn:
        left = {r[0] for t in (conversations, turns, leads)
                for r in conn.execute(select(t.c.chat_key))}
    assert left == {"telegram:2", "telegram:4"}
    assert purge(store, retention_days=30, lead_retention_days=730).rows == 0
