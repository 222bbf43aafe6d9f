"""Operations, the web server (bot/http.py) over real HTTP: /healthz, /readyz, /metrics, request
body limits, and a Telegram webhook that answers 200 to any well-formed JSON."""

from __future__ import annotations

import asyncio
import json
import logging
import random
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from prometheus_client import REGISTRY
from starlette.applications import Starlette

from bot.channels.telegram import TelegramChannel
from bot.http import build_app
from bot.metrics import MeteredRuntime, Metrics
from bot.runtime import Incoming, Runtime
from bot.store import Store
from tests.support.botapi import BotApiServer, botapi_fixture
from tests.support.net import free_port

botapi = botapi_fixture()
SECRET = "webhook-secret-for-tests"
UNREACHABLE = "postgresql+psycopg://intake:pw-never-shown@127.0.0.1:1/intake"


@asynccontextmanager
async def served(app: Starlette) -> AsyncIterator[str]:
    """The app on a real uvicorn server on loopback; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


def client(app: Starlette) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://intake")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    store = Store(db_url)
    store.upgrade()
    yield store
    store.dispose()


# --- health and readiness ---------------------------------------------------------------------


async def test_healthz_needs_no_database_and_readyz_says_why_not_ready() -> None:
    store = Store(UNREACHABLE)
    try:
        async with client(build_app(store=store)) as http:
            health = await http.get("/healthz")
            ready = await http.get("/readyz")
    finally:
        store.dispose()
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable" and "unreachable" in body["reason"]
    assert "pw-never-shown" not in ready.text


async def test_readyz_is_200_at_head_and_503_before_the_schema_exists(
    db_url: str, store: Store,
) -> None:
    async with client(build_app(store=store)) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ready"}
    store.downgrade("base")
    async with client(build_app(store=store)) as http:
        ready = await http.get("/readyz")
    assert ready.status_code == 503 and ready.json()["reason"]


async def test_readyz_without_a_store_is_503() -> None:
    async with client(build_app()) as http:
        assert (await http.get("/readyz")).status_code == 503


# --- metrics ----------------------------------------------------------------------------------


async def test_metrics_in_prometheus_text_format_in_a_registry_per_app(store: Store) -> None:
    first, second = Metrics(store), Metrics(store)
    runtime = MeteredRuntime(Runtime(store), first)
    await runtime.process(Incoming("telegram:1", "m1", text="hallo"))
    async with client(build_app(store=store, metrics=first)) as http:
        one = await http.get("/metrics")
    async with client(build_app(store=store, metrics=second)) as http:
        two = await http.get("/metrics")
    assert one.status_code == 200
    assert one.headers["content-type"].startswith("text/plain; version=")
    assert 'intake_turns_total{channel="telegram"} 1.0' in one.text
    assert 'intake_conversations_started_total{channel="telegram"} 1.0' in one.text
    assert 'intake_conversations_waiting{step="product"} 1.0' in one.text
    assert "intake_turn_seconds_bucket" in one.text
    assert 'intake_turns_total{channel="telegram"}' not in two.text, "registries are separate"
    assert not [m for m in REGISTRY.collect() if m.name.startswith("intake_")], \
        "nothing in prometheus-client's global registry"


async def test_metrics_with_a_token_need_it(store: Store) -> None:
    app = build_app(store=store, metrics=Metrics(store), metrics_token="scrape-me")
    async with client(app) as http:
        assert (await http.get("/metrics")).status_code == 401
        wrong = await http.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
        assert wrong.status_code == 401
        right = await http.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        assert right.status_code == 200 and "intake_turns_total" in right.text


async def test_metrics_still_answer_when_the_database_is_down() -> None:
    store = Store(UNREACHABLE)
    try:
        async with client(build_app(store=store, metrics=Metrics(store))) as http:
            response = await http.get("/metrics")
    finally:
        store.dispose()
    assert response.status_code == 200
    assert "intake_turns_total" in response.text
    assert "intake_conversations_waiting" not in response.text


# --- request body limits ----------------------------------------------------------------------


async def _raw(base: str, request: bytes, *, then: bytes = b"") -> tuple[int, bytes]:
    """Send raw bytes; the status line's code and everything that came back."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(request)
    await writer.drain()
    if then:
        try:
            writer.write(then)
            await writer.drain()
        except ConnectionError:
            pass  # the server answered and closed before reading it all: that is the point
    answer = await asyncio.wait_for(reader.read(65536), 10)
    writer.close()
    return int(answer.split(b" ", 2)[1]), answer


async def test_a_declared_body_over_the_limit_is_413_before_it_is_read() -> None:
    app = build_app(max_body_bytes=4096)
    async with served(app) as base:
        # Ten megabytes announced and none sent: the answer comes without waiting for them.
        status, _answer = await _raw(
            base, b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  b"Content-Length: 10485760\r\n\r\n")
    assert status == 413


async def test_a_streamed_body_that_grows_past_the_limit_is_413(
    botapi: BotApiServer, tmp_path: Path,
) -> None:
    async with webhook_app(botapi, tmp_path, max_body_bytes=4096) as (base, _channel, _store):
        chunk = b"[" * 3000
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
        status, _answer = await _raw(
            base, b"POST /telegram/webhook HTTP/1.1\r\nHost: x\r\n"
                  b"X-Telegram-Bot-Api-Secret-Token: " + SECRET.encode() + b"\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n", then=body)
    assert status == 413


async def test_a_body_within_the_limit_passes(botapi: BotApiServer, tmp_path: Path) -> None:
    async with webhook_app(botapi, tmp_path, max_body_bytes=4096) as (base, _channel, _store), \
            httpx.AsyncClient() as http:
        response = await http.post(f"{base}/telegram/webhook", content=b"{}" + b" " * 4000,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 200


# --- the Telegram webhook ---------------------------------------------------------------------


@asynccontextmanager
async def webhook_app(
    botapi: BotApiServer, tmp_path: Path, **options: int,
) -> AsyncIterator[tuple[str, TelegramChannel, Store]]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/telegram/webhook"
    store = Store(f"sqlite:///{tmp_path / 'wh.sqlite3'}")
    store.upgrade()
    metrics = Metrics(store)
    channel = TelegramChannel(MeteredRuntime(Runtime(store), metrics), botapi.token,
                              base_url=botapi.base_url, webhook_url=url, secret=SECRET)
    await channel.start()
    app = build_app(channel, store=store, metrics=metrics, **options)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="off"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}", channel, store
    finally:
        server.should_exit = True
        await task
        await channel.stop()
        store.dispose()


@pytest_asyncio.fixture
async def hook(botapi: BotApiServer, tmp_path: Path) -> AsyncIterator[tuple[str, Store]]:
    async with webhook_app(botapi, tmp_path) as (base, _channel, store):
        yield base, store


MARKER = "Jan de Vries jan@devries-bouw.nl"
NOT_UPDATES = [
    b"{}",
    b"[]",
    b"null",
    b"42",
    json.dumps(MARKER).encode(),
    json.dumps({"note": MARKER}).encode(),
    json.dumps({"update_id": "1", "message": MARKER}).encode(),
    json.dumps({"update_id": True}).encode(),
    json.dumps({"update_id": 7, "message": MARKER}).encode(),  # PTB cannot read this message
    json.dumps({"update_id": 8, "message": {"chat": MARKER}}).encode(),
    b"[" * 100_000 + b"]" * 100_000,  # too deep for Python's JSON parser
    b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
]


@pytest.mark.parametrize("body", NOT_UPDATES, ids=lambda b: b[:24].decode())
async def test_well_formed_json_that_is_not_an_update_is_200_and_logged_once_without_content(
    hook: tuple[str, Store], body: bytes, caplog: pytest.LogCaptureFixture,
) -> None:
    base, store = hook
    caplog.set_level(logging.DEBUG)
    caplog.clear()
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/telegram/webhook", content=body,
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET,
                                            "Content-Type": "application/json"})
    assert response.status_code == 200
    ours = [r for r in caplog.records if "not an update" in r.getMessage()]
    assert len(ours) == 1, [r.getMessage() for r in caplog.records]
    for record in caplog.records:
        assert "Jan de Vries" not in record.getMessage()
        assert "devries-bouw" not in record.getMessage()
    assert store.count("turns") == 0


async def test_a_body_that_is_not_json_is_400(hook: tuple[str, Store]) -> None:
    base, _store = hook
    async with httpx.AsyncClient() as http:
        response = await http.post(f"{base}/telegram/webhook", content=b"{nope",
                                   headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
    assert response.status_code == 400


async def test_after_junk_a_real_update_is_still_answered(
    hook: tuple[str, Store], botapi: BotApiServer,
) -> None:
    base, store = hook
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with httpx.AsyncClient() as http:
        for body in NOT_UPDATES[:3]:
            assert (await http.post(f"{base}/telegram/webhook", content=body,
                                    headers=headers)).status_code == 200
        update = botapi.make_text_update(777, "/start", user_id=777)
        response = await http.post(f"{base}/telegram/webhook", json=update, headers=headers)
        assert response.status_code == 200
        await botapi.wait_for("sendMessage", chat_id=777, timeout=10)
        scraped = (await http.get(f"{base}/metrics")).text
    assert "Goedendag" in botapi.sent_messages(777)[0]["text"]
    assert store.count("turns") == 1
    assert 'intake_webhook_rejected_total{reason="not_an_update"} 3.0' in scraped
    assert 'intake_turns_total{channel="telegram"} 1.0' in scraped


def _random_json(rng: random.Random, depth: int = 0) -> Any:
    roll = rng.random()
    if depth > 3 or roll < 0.3:
        return rng.choice([None, 0, -5, 1.5, "x", True, [], {}, "2020-01-01", 10**20])
    if roll < 0.5:
        return [_random_json(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    keys = ["message", "chat", "from", "id", "text", "date", "message_id", "type", "data",
            "callback_query", "edited_message", "entities", "contact", "user_id", "first_name",
            "is_bot", "photo", "reply_markup"]
    return {rng.choice(keys): _random_json(rng, depth + 1) for _ in range(rng.randint(0, 5))}


async def test_random_json_with_an_update_id_never_gets_a_500(hook: tuple[str, Store]) -> None:
    base, _store = hook
    rng = random.Random(8)
    async with httpx.AsyncClient() as http:
        for n in range(150):
            body: dict[str, Any] = {"update_id": 10_000 + n}
            for key in rng.sample(["message", "edited_message", "callback_query", "poll"],
                                  rng.randint(0, 2)):
                body[key] = _random_json(rng)
            response = await http.post(f"{base}/telegram/webhook", json=body,
                                       headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert response.status_code == 200, body
