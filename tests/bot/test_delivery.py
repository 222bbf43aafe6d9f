"""No reply is lost: a turn committed but not sent (the process died in between, or the send
failed) is sent when the message is redelivered or the service starts, once."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot import runtime as runtime_module
from bot.runtime import AsyncRuntime, Incoming, Runtime
from bot.store import Store
from flows.conversation import Turn
from tests.support.botapi import BotApiServer, botapi_fixture
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
botapi = botapi_fixture()


@pytest.fixture
def runtime(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    # A duplicate waits up to IN_FLIGHT for the original sender; these tests have none.
    monkeypatch.setattr(runtime_module, "IN_FLIGHT", timedelta(0))
    store = Store(db_url)
    store.upgrade()
    yield AsyncRuntime(Runtime(store))
    store.dispose()


class Outbox:
    """A channel's send: records what reached the prospect; can be made to fail."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, Turn]] = []
        self.failing = False

    async def deliver(self, chat_key: str, turn: Turn) -> bool:
        if self.failing:
            return False
        self.sent.append((chat_key, turn))
        return True

    def to(self, chat_key: str) -> Any:
        async def deliver(turn: Turn) -> bool:
            return await self.deliver(chat_key, turn)

        return deliver


async def test_a_failed_send_is_sent_on_redelivery_once(runtime: AsyncRuntime) -> None:
    out = Outbox()
    chat = "telegram:11"
    out.failing = True
    await runtime.process(Incoming(chat, "m1", text="/start"), out.to(chat))
    assert out.sent == []
    out.failing = False
    turn, replayed = await runtime.process(Incoming(chat, "m1", text="/start"), out.to(chat))
    assert replayed and [t for _, t in out.sent] == [turn]
    await runtime.process(Incoming(chat, "m1", text="/start"), out.to(chat))
    assert len(out.sent) == 1, "a reply that reached the prospect is not sent again"


async def test_a_duplicate_while_the_original_is_being_sent_sends_nothing(db_url: str) -> None:
    """Two instances behind a load balancer get the same update at once: one answers, the other
    waits for that answer to be confirmed instead of sending a second copy."""
    store = Store(db_url)
    store.upgrade()
    first, second = AsyncRuntime(Runtime(store)), AsyncRuntime(Runtime(store))
    sent: list[str] = []

    async def slow(turn: Turn) -> bool:
        await asyncio.sleep(0.5)  # Telegram is slow today
        sent.append("first")
        return True

    async def fast(turn: Turn) -> bool:
        sent.append("second")
        return True

    original = asyncio.create_task(first.process(Incoming("telegram:51", "m1", text="/start"),
                                                 slow))
    await asyncio.sleep(0.2)  # committed, being sent
    _turn, replayed = await second.process(Incoming("telegram:51", "m1", text="/start"), fast)
    await original
    store.dispose()
    assert replayed
    assert sent == ["first"]


async def test_start_up_sends_what_was_committed_but_not_sent(runtime: AsyncRuntime) -> None:
    out = Outbox()
    out.failing = True
    for chat in ("telegram:21", "telegram:22", "cli:23"):
        await runtime.process(Incoming(chat, "m1", text="/start"), out.to(chat))
    out.failing = False
    sent = await runtime.redeliver("telegram", out.deliver)
    assert sent == 2
    assert sorted(k for k, _ in out.sent) == ["telegram:21", "telegram:22"]
    assert await runtime.redeliver("telegram", out.deliver) == 0, "once"


async def test_a_reply_older_than_a_day_is_not_sent_after_a_restart(
    runtime: AsyncRuntime,
) -> None:
    out = Outbox()
    out.failing = True
    await runtime.process(Incoming("telegram:31", "m1", text="/start"), out.to("telegram:31"))
    out.failing = False
    assert await runtime.redeliver("telegram", out.deliver, max_age=timedelta(0)) == 0


async def test_a_send_that_fails_again_stays_pending(runtime: AsyncRuntime) -> None:
    out = Outbox()
    out.failing = True
    await runtime.process(Incoming("telegram:41", "m1", text="/start"), out.to("telegram:41"))
    assert await runtime.redeliver("telegram", out.deliver) == 0
    out.failing = False
    assert await runtime.redeliver("telegram", out.deliver) == 1


# --- the real service, killed between commit and send --------------------------------------


def _serve(db: Path, botapi: BotApiServer, port: int, **env: str) -> subprocess.Popen[str]:
    full = {**os.environ, "INTAKE_HOST": "127.0.0.1", "INTAKE_PORT": str(port),
            "INTAKE_DATABASE_URL": f"sqlite:///{db}", "INTAKE_TELEGRAM_TOKEN": botapi.token,
            "INTAKE_TELEGRAM_BASE_URL": botapi.base_url, **env}
    return subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=full,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


async def _until(condition: Any, timeout: float = 20) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while not condition():
        if loop.time() > end:
            raise AssertionError("timed out")
        await asyncio.sleep(0.05)


async def _wait_up(port: int, proc: subprocess.Popen[str]) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                await client.get(f"http://127.0.0.1:{port}/healthz")
                return
            except httpx.TransportError:
                await asyncio.sleep(0.05)
    raise AssertionError("intake serve did not come up")


def _hang_sends(botapi: BotApiServer) -> list[dict[str, Any]]:
    """Make sendMessage never answer (the process is killed while it waits)."""
    arrived: list[dict[str, Any]] = []

    async def hang(params: dict[str, Any]) -> Any:
        arrived.append(params)
        await asyncio.Event().wait()

    botapi.add_method("sendMessage", hang)
    return arrived


def _greetings(botapi: BotApiServer, chat: int) -> int:
    return sum("Goedendag" in m["text"] for m in botapi.sent_messages(chat))


@pytest.mark.parametrize("mode", ["polling", "webhook"])
async def test_killed_between_commit_and_send_the_reply_goes_out_once_after_restart(
    tmp_path: Path, botapi: BotApiServer, mode: str
) -> None:
    chat = 5150
    db = tmp_path / "serve.sqlite3"
    port = free_port()
    env = {}
    if mode == "webhook":
        env = {"INTAKE_TELEGRAM_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
               "INTAKE_TELEGRAM_SECRET": "geheim-en-lang-genoeg"}
    normal = botapi._handlers["sendmessage"]
    arrived = _hang_sends(botapi)
    proc = _serve(db, botapi, port, **env)
    try:
        await _wait_up(port, proc)
        update = botapi.make_text_update(chat, "/start", user_id=chat)
        if mode == "polling":
            botapi.push_update(update)
        else:
            delivery = asyncio.create_task(botapi.deliver_webhook(update))
        await _until(lambda: bool(arrived))
        # The turn is committed (it is being sent): kill the process now.
        with contextlib.closing(sqlite3.connect(db)) as conn:
            assert conn.execute("select count(*) from turns").fetchone()[0] == 1
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
        if mode == "webhook":
            with pytest.raises(httpx.TransportError):
                await delivery
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    botapi._handlers["sendmessage"] = normal
    assert _greetings(botapi, chat) == 0
    proc = _serve(db, botapi, port, **env)
    try:
        await _wait_up(port, proc)
        if mode == "webhook":
            # Telegram retries an update whose webhook call failed.
            assert await botapi.deliver_webhook(update) == 200
        await botapi.wait_for("sendMessage", count=2, chat_id=chat, timeout=20)
        await asyncio.sleep(1.0)  # a second copy would arrive by now
        assert _greetings(botapi, chat) == 1
        assert len(botapi.sent_messages(chat)) == 2
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)


async def test_a_second_writer_never_stalls_the_event_loop(tmp_path: Path) -> None:
    """Another process or worker holding SQLite's write lock makes a turn wait in a thread,
    not on the event loop, where every other chat would wait with it."""
    import threading
    import time

    store = Store(f"sqlite:///{tmp_path / 'busy.sqlite3'}")
    store.upgrade()
    runtime = AsyncRuntime(Runtime(store))
    assert not runtime.offload
    held = threading.Event()

    def hold_the_lock() -> None:
        conn = sqlite3.connect(tmp_path / "busy.sqlite3", isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(1.5)
        conn.execute("COMMIT")
        conn.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    held.wait(5)
    gaps: list[float] = []

    async def tick() -> None:
        last = time.monotonic()
        for _ in range(100):
            await asyncio.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0.05)  # the ticker runs before the turn starts
    turn, _ = await runtime.process(Incoming("telegram:61", "m1", text="/start"))
    await ticker
    holder.join()
    store.dispose()
    assert turn.step == "product"
    assert max(gaps) < 0.5, f"the loop stood still for {max(gaps):.2f} s"
