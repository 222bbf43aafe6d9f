"""The transactional outbox end to end: a conversation's final turn commits the lead and its
hand-off rows; the worker delivers them to a real webhook receiver on loopback (verifying with
the `standardwebhooks` package) that is down for the first attempts; erasure and giving up.
On SQLite and PostgreSQL alike (the `db_url` fixture)."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route as HttpRoute

from bot.handoff.webhook import WebhookTarget
from bot.outbox import OutboxWorker, routes_of
from bot.runtime import Incoming, Runtime
from bot.store import Store
from bot.store import outbox as table
from bot.store.schema import outbox
from tests.handoff.support import serve
from tests.support.dialogue import ROUTE

SECRET = "whsec_" + base64.b64encode(b"outbox-test-secret-0123456789ab").decode()


class Receiver:
    """A CRM's webhook endpoint: verifies every request, answers 500 to the first `down`."""

    def __init__(self, down: int = 0) -> None:
        self.down = down
        self.posts = 0
        self.stored: dict[str, dict[str, Any]] = {}
        self.accepted: Counter[str] = Counter()  # 2xx answers per webhook-id
        self.arrived: dict[str, float] = {}
        self.verifier = Webhook(SECRET)
        self.app = Starlette(routes=[HttpRoute("/hook", self.hook, methods=["POST"])])

    async def hook(self, request: Request) -> Response:
        body = await request.body()
        self.posts += 1
        payload = self.verifier.verify(body, dict(request.headers))  # raises when forged
        if self.posts <= self.down:
            return Response(status_code=500)
        webhook_id = request.headers["webhook-id"]
        self.accepted[webhook_id] += 1
        self.stored.setdefault(webhook_id, payload)
        self.arrived.setdefault(webhook_id, time.perf_counter())
        return Response(status_code=204)


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.upgrade()
    yield store
    store.dispose()


@asynccontextmanager
async def handoff(store: Store, receiver: Receiver, **worker: Any,
                  ) -> AsyncIterator[tuple[Runtime, OutboxWorker]]:
    async with serve(receiver.app) as base, httpx.AsyncClient(timeout=5) as client:
        target = WebhookTarget(f"{base}/hook", SECRET, client)
        settings: dict[str, Any] = {"first_delay": 0.05, "max_delay": 0.2, **worker}
        outbox_worker = OutboxWorker(store, [target], **settings)
        runtime = Runtime(store, routes=routes_of([target]), on_enqueue=outbox_worker.wake)
        await outbox_worker.start()
        try:
            yield runtime, outbox_worker
        finally:
            await outbox_worker.stop()


def finish_conversation(runtime: Runtime, chat_key: str) -> str:
    """The tidy route to the lead; returns the lead's reference."""
    runtime.handle(Incoming(chat_key, "0", text="/start"))
    lines = [*ROUTE, "ja", "ja", "ja"]  # confirmations the route may still ask for
    for i, line in enumerate(lines, start=1):
        turn = runtime.handle(Incoming(chat_key, str(i), text=line))
        if turn.lead is not None:
            return str(turn.lead["reference"])
    raise AssertionError(f"no lead at the end of the route (step {turn.step})")


async def until(condition: Any, timeout: float = 10.0) -> None:
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.01)


def rows(store: Store) -> list[Any]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(outbox).order_by(outbox.c.id)))


async def test_a_lead_reaches_a_receiver_that_was_down_exactly_once(store: Store) -> None:
    receiver = Receiver(down=3)
    async with handoff(store, receiver) as (runtime, _worker):
        reference = await asyncio.to_thread(finish_conversation, runtime, "test:lead")
        await until(lambda: receiver.stored)
        await asyncio.sleep(0.3)  # a second delivery would come in this time
    assert receiver.posts == 4  # three refusals, then the one that stuck
    [(webhook_id, payload)] = receiver.stored.items()
    assert payload["type"] == "lead.created"
    assert payload["data"]["reference"] == reference
    assert payload["data"]["contact"]["email"] == "jan@vries.nl"
    [row] = rows(store)
    assert (row.event_id, row.state, row.attempts, row.chat_key) == (
        webhook_id, "delivered", 4, "test:lead")
    assert [s.state for s in table.states(store.engine, reference)] == ["delivered"]


async def test_the_commit_wakes_the_worker_at_once(store: Store) -> None:
    receiver = Receiver()
    # With polling only, a lead would wait up to 30 s: the wake-up makes it milliseconds.
    async with handoff(store, receiver) as (runtime, _worker):
        await asyncio.sleep(0.2)  # the worker is asleep, waiting for work
        await asyncio.to_thread(finish_conversation, runtime, "test:wake")
        committed = time.perf_counter()
        await until(lambda: receiver.stored, timeout=5)
    latency = next(iter(receiver.arrived.values())) - committed
    assert latency < 1.0, latency


async def test_a_worker_in_another_process_is_woken_too(postgres_url: str) -> None:
    """Another process's commit wakes this worker by its NOTIFY (PostgreSQL; one SQLite file
    has one serving process)."""
    store = Store(postgres_url)
    store.upgrade()
    receiver = Receiver()
    async with handoff(store, receiver):
        await asyncio.sleep(0.3)  # LISTEN in place
        other = Store(store.url)
        try:
            # A runtime that does not know this worker: only the NOTIFY can wake it.
            async with serve(receiver.app) as base, httpx.AsyncClient() as client:
                target = WebhookTarget(f"{base}/hook", SECRET, client)
                runtime = Runtime(other, routes=routes_of([target]))
                await asyncio.to_thread(finish_conversation, runtime, "test:notify")
            committed = time.perf_counter()
            await until(lambda: receiver.stored, timeout=5)
        finally:
            other.dispose()
            store.dispose()
    assert next(iter(receiver.arrived.values())) - committed < 1.0


async def test_vergeet_mij_removes_pending_hand_offs_and_passes_the_erasure_on(
        store: Store) -> None:
    receiver = Receiver(down=10_000)  # the CRM is down: the lead stays pending
    async with handoff(store, receiver) as (runtime, _worker):
        reference = await asyncio.to_thread(finish_conversation, runtime, "test:forget")
        await until(lambda: receiver.posts >= 1)
        turn = runtime.handle(Incoming("test:forget", "f1", text="vergeet mij"))
        if not turn.erase:  # asked to confirm first
            turn = runtime.handle(Incoming("test:forget", "f2", text="ja"))
        assert turn.erase
        receiver.down = 0
        await until(lambda: receiver.stored)
        await asyncio.sleep(0.3)
    # The lead itself never arrives (its row went with the chat); the erasure does, alone.
    assert [p["type"] for p in receiver.stored.values()] == ["lead.erased"]
    [erased] = receiver.stored.values()
    assert set(erased["data"]) == {"reference", "erased_at"}
    assert erased["data"]["reference"] == reference
    [row] = rows(store)
    assert (row.type, row.chat_key, row.state) == ("lead.erased", None, "delivered")
    assert "jan@vries.nl" not in row.payload


async def test_after_the_give_up_time_the_row_fails_and_the_brokers_are_alerted(
        store: Store) -> None:
    receiver = Receiver(down=10_000)
    alerts: list[tuple[str, str, str]] = []

    async def alert(reference: str, target: str, reason: str) -> None:
        alerts.append((reference, target, reason))

    async with handoff(store, receiver, give_up_after=timedelta(seconds=0.5),
                       alert=alert) as (runtime, _worker):
        reference = await asyncio.to_thread(finish_conversation, runtime, "test:fail")
        await until(lambda: alerts, timeout=10)
    [row] = rows(store)
    assert row.state == "failed" and row.attempts >= 2
    assert alerts == [(reference, "webhook", row.last_error)]
    assert "500" in row.last_error


async def test_two_workers_never_claim_the_same_row(store: Store) -> None:
    runtime = Runtime(store, routes=routes_of([_Named("a"), _Named("b"), _Named("c")]))
    for n in range(8):
        await asyncio.to_thread(finish_conversation, runtime, f"test:claim{n}")
    lease = timedelta(minutes=1)
    claims = await asyncio.gather(*(asyncio.to_thread(table.claim, store.engine, limit=5,
                                                      lease=lease) for _ in range(6)))
    ids = Counter(row.id for claim in claims for row in claim)
    assert len(ids) == 24 and set(ids.values()) == {1}
    # A lease that ran out (its worker died) is taken again; the dead worker cannot settle it.
    first = next(row for claim in claims for row in claim)  # six claims, 24 rows: one may be empty
    [again] = [r for r in table.claim(store.engine, limit=100, lease=lease,
                                      now=first.created_at + timedelta(minutes=5))
               if r.id == first.id]
    assert again.attempts == 2
    assert not table.done(store.engine, first)
    assert table.done(store.engine, again)


class _Named:
    """A target that is only a name (for claims without delivery)."""

    events = frozenset({"lead.created"})

    def __init__(self, name: str) -> None:
        self.name = name

    async def deliver(self, event: Any) -> None:  # pragma: no cover - never claimed to run
        raise AssertionError


def test_rows_carry_no_more_than_the_event(store: Store) -> None:
    runtime = Runtime(store, routes=routes_of([_Named("a")]))
    reference = finish_conversation(runtime, "test:payload")
    [row] = rows(store)
    payload = json.loads(row.payload)
    assert payload["type"] == "lead.created" and payload["data"]["reference"] == reference
    assert set(payload) == {"type", "id", "timestamp", "data"}
