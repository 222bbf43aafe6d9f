"""Two `intake serve` processes on one PostgreSQL database behind a "load balancer": one chat's
updates go to both, alternately and at once, some of them twice. Nothing is lost, nothing is
applied or answered twice, and the chat's replies leave in the order its turns were committed.

The instances are the operator's command (`python -m bot serve`), configured only by INTAKE_*
variables, in Telegram webhook mode against our Bot API stand-in; the test is the load
balancer, posting each update to an instance's webhook as Telegram would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import POSTGRES_URL, require
from tests.support.botapi import BotApiServer, botapi_fixture
from tests.support.net import free_port

ROOT = Path(__file__).resolve().parents[2]
SECRET = "instances-s3cret"
CHAT = 626262
DISTINCT = 300  # distinct updates, /start included
botapi = botapi_fixture()


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@pytest.fixture
def database() -> Iterator[tuple[str, str]]:
    """The PostgreSQL test database, in a schema of its own, created afresh and dropped after:
    other tests drop and recreate the tables in `public` of the same database, possibly while
    this one runs (several suites on one machine)."""
    import psycopg

    from bot.store import Store

    schema = f"intake_instances_{os.getpid()}"
    try:
        conn = psycopg.connect(_libpq(POSTGRES_URL), autocommit=True, connect_timeout=3)
    except psycopg.OperationalError:
        conn = None
    require(conn is not None, f"PostgreSQL is not reachable at {POSTGRES_URL}")
    assert conn is not None
    with conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    # The tables exist before the instances start, as after a deployment's migration step:
    # two processes creating them at the same moment is not what this test is about.
    store = Store(url)
    try:
        getattr(store, "upgrade", store.create_all)()
    finally:
        store.dispose()
    try:
        yield url, schema
    finally:
        with psycopg.connect(_libpq(POSTGRES_URL), autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


class Instance:
    def __init__(self, url: str, botapi: BotApiServer) -> None:
        self.port = free_port()
        self.webhook = f"http://127.0.0.1:{self.port}/telegram/webhook"
        env = {k: v for k, v in os.environ.items() if not k.startswith("INTAKE_")}
        env.update(INTAKE_DATABASE_URL=url, INTAKE_HOST="127.0.0.1",
                   INTAKE_PORT=str(self.port), INTAKE_TELEGRAM_TOKEN=botapi.token,
                   INTAKE_TELEGRAM_BASE_URL=botapi.base_url,
                   INTAKE_TELEGRAM_WEBHOOK_URL=self.webhook, INTAKE_TELEGRAM_SECRET=SECRET,
                   PTB_TIMEDELTA="1")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.log = ""

    async def wait_healthy(self) -> None:
        async with httpx.AsyncClient() as client:
            for _ in range(600):  # 30 s
                if self.proc.poll() is not None:
                    raise AssertionError(f"intake serve exited:\n{self.stop()}")
                try:
                    response = await client.get(f"http://127.0.0.1:{self.port}/healthz")
                    if response.json().get("telegram") is True:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)
        raise AssertionError(f"intake serve did not come up:\n{self.stop()}")

    def stop(self) -> str:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            _, err = self.proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            _, err = self.proc.communicate(timeout=10)
        self.log += err or ""
        return self.log


def _plan(botapi: BotApiServer) -> list[list[tuple[dict[str, Any], int]]]:
    """What the load balancer does, step by step: each step is a list of (update, instance)
    posted at once, and the next step starts when all of them were answered.

    Texts alternate "beide" / "terug": each moves the conversation between the product and
    the sector question (or, out of turn, is refused or answered "this is the first
    question"), so every distinct update changes what the next one does and one applied
    twice, or skipped, shows in the transcript. The conversation never ends.
    """
    texts = ["/start"] + ["beide" if i % 2 else "terug" for i in range(1, DISTINCT)]
    updates = [botapi.make_text_update(CHAT, text, user_id=CHAT) for text in texts]
    steps: list[list[tuple[dict[str, Any], int]]] = []
    late: list[tuple[dict[str, Any], int]] = []  # (update, the instance that had it)
    i = 0
    while i < DISTINCT:
        kind = i % 10
        if kind == 6:  # redelivered at once: the same update to both instances
            steps.append([(updates[i], 0), (updates[i], 1)])
        elif kind == 7 and i + 1 < DISTINCT:  # two of the chat's updates at once, one each
            steps.append([(updates[i], 0), (updates[i + 1], 1)])
            i += 1
        elif kind == 9:  # answered by one instance, redelivered to the other a bit later
            steps.append([(updates[i], i % 2)])
            late.append((updates[i], i % 2))
        else:  # one after another, alternating between the instances
            steps.append([(updates[i], i % 2)])
        if len(late) == 3 or (late and i == DISTINCT - 1):
            steps.append([(update, 1 - target) for update, target in late])
            late.clear()
        i += 1
    return steps


def _transcript(schema: str) -> list[tuple[str, str | None, dict[str, Any]]]:
    """(message id, text said, turn) of every stored turn of the chat, in commit order."""
    import psycopg

    with psycopg.connect(_libpq(POSTGRES_URL)) as conn:
        rows = conn.execute(
            f"SELECT message_id, incoming, turn FROM {schema}.turns WHERE chat_key = %s "
            "ORDER BY id", (f"telegram:{CHAT}",)).fetchall()
    return [(message_id, None if said is None else json.loads(said).get("text"),
             json.loads(turn)) for message_id, said, turn in rows]


async def test_two_instances_share_one_chat_without_loss_duplicates_or_disorder(
    database: tuple[str, str], botapi: BotApiServer
) -> None:
    from bot.channels.telegram import render
    from flows.conversation import Context, Conversation, Turn
    from flows.engine import step

    url, schema = database
    instances = [Instance(url, botapi) for _ in range(2)]
    try:
        await asyncio.gather(*(instance.wait_healthy() for instance in instances))
        steps = _plan(botapi)
        posts = 0
        for batch in steps:
            statuses = await asyncio.gather(*(
                botapi.deliver_webhook(update, url=instances[target].webhook,
                                       secret_token=SECRET)
                for update, target in batch))
            assert statuses == [200] * len(batch), statuses
            posts += len(batch)
        assert posts >= DISTINCT + 50  # hundreds of posts, dozens of them redeliveries
    finally:
        logs = [instance.stop() for instance in instances]
    for log in logs:
        assert "Traceback" not in log and " ERROR " not in log, log

    # Nothing lost, nothing applied twice: one stored turn per distinct update id, and each
    # is what the dialogue answers when the chat's messages are applied once each, in the
    # order the instances committed them.
    stored = _transcript(schema)
    distinct = {f"u{update['update_id']}" for batch in steps for update, _ in batch}
    assert len(distinct) == DISTINCT
    assert len(stored) == DISTINCT, f"{len(stored)} turns stored for {DISTINCT} updates"
    assert {message_id for message_id, _, _ in stored} == distinct
    conv = Conversation()
    ctx = Context(channel="telegram", now=lambda: datetime.now(UTC))
    for n, (message_id, text, turn) in enumerate(stored):
        expected = json.loads(json.dumps(step(conv, ctx, text).to_json()))
        assert turn == expected, f"turn {n} ({message_id}, {text!r}) is not the dialogue's"

    # Every reply went out exactly once, in the order of the stored turns: a redelivered
    # update got no second answer, and an instance never overtook the other within the chat.
    expected_texts = [message["text"] for _, _, turn in stored
                      for message in render(Turn.from_json(turn))]
    sent = [message["text"] for message in botapi.sent_messages(CHAT)]
    assert len(sent) == len(expected_texts), (
        f"{len(sent)} messages sent for the {len(expected_texts)} of the stored turns: "
        + ("some replies went out twice" if len(sent) > len(expected_texts)
           else "some replies were never sent"))
    first = next((i for i, (a, b) in enumerate(zip(sent, expected_texts, strict=True))
                  if a != b), None)
    assert first is None, (
        f"the chat's replies left out of commit order from message {first}: "
        f"sent {sent[first][:50]!r}, next in order was {expected_texts[first][:50]!r}")
