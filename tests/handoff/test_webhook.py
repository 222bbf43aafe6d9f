"""The webhook target against a real receiver on loopback that verifies every request with the
`standardwebhooks` package, the way the README tells a broker's developer to."""

from __future__ import annotations

import asyncio
import base64
import json
import os
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.handoff import Event, Failed, Retry, WebhookTarget
from tests.handoff.support import closed_port, lead_json, serve

SECRET = "whsec_" + base64.b64encode(os.urandom(32)).decode()


@dataclass
class Receiver:
    """A broker's endpoint: verifies, stores one lead per webhook-id, counts every attempt."""

    secret: str
    plan: list[str] = field(default_factory=list)  # what to do with the next requests
    attempts: Counter[str] = field(default_factory=Counter)
    stored: dict[str, Any] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)

    async def endpoint(self, request: Request) -> Response:
        body = await request.body()
        msg_id = request.headers.get("webhook-id", "")
        self.attempts[msg_id] += 1
        step = self.plan.pop(0) if self.plan else "accept"
        if step == "500":
            return Response("down for maintenance", status_code=500)
        if step == "hang":  # past the client's timeout
            await self.release.wait()
            return Response(status_code=200)
        if step == "429":
            return Response(status_code=429, headers={"Retry-After": "7"})
        if step == "400":
            return JSONResponse({"error": "bad_request"}, status_code=400)
        try:
            payload = Webhook(self.secret).verify(body, dict(request.headers))
        except WebhookVerificationError as error:
            self.refused.append(str(error))
            return Response(status_code=401)
        if msg_id in self.stored:
            return Response(status_code=409)  # already have it: the sender counts it done
        self.stored[msg_id] = payload
        return Response(status_code=204)


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    hook = Receiver(SECRET)
    app = Starlette(routes=[Route("/hooks/intake", hook.endpoint, methods=["POST"])])
    async with serve(app) as base:
        try:
            yield hook, f"{base}/hooks/intake"
        finally:
            hook.release.set()


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(0.5)) as c:
        yield c


async def test_down_then_up_stores_the_lead_once_per_webhook_id(
        receiver: tuple[Receiver, str], client: httpx.AsyncClient) -> None:
    hook, url = receiver
    lead = lead_json()
    event = Event.for_lead(lead, target="webhook")

    refused = WebhookTarget(f"http://127.0.0.1:{closed_port()}/hooks", SECRET, client)
    with pytest.raises(Retry, match="ConnectError"):
        await refused.deliver(event)

    target = WebhookTarget(url, SECRET, client)
    hook.plan = ["500", "hang", "429"]
    with pytest.raises(Retry, match="HTTP 500"):
        await target.deliver(event)
    with pytest.raises(Retry, match="ReadTimeout"):
        await target.deliver(event)
    with pytest.raises(Retry, match="HTTP 429") as too_many:
        await target.deliver(event)
    assert too_many.value.after == 7
    await target.deliver(event)  # up: 204
    await target.deliver(event)  # a retry after a lost response: 409, counted as delivered

    assert hook.refused == []
    assert hook.attempts[event.id] == 5
    assert list(hook.stored) == [event.id]
    body = hook.stored[event.id]
    assert body == {"type": "lead.created", "timestamp": "2026-11-23T10:30:00Z", "data": lead}


async def test_the_id_is_stable_per_lead_event_and_target(
        receiver: tuple[Receiver, str], client: httpx.AsyncClient) -> None:
    hook, url = receiver
    lead = lead_json()
    first = Event.for_lead(lead, target="webhook")
    again = Event.for_lead(json.loads(json.dumps(lead)), target="webhook")
    other_target = Event.for_lead(lead, target="webhook-2")
    callback = Event.for_lead(lead_json(intent="callback"), target="webhook")
    assert first.id == again.id and first.id.startswith("msg_")
    assert len({first.id, other_target.id, callback.id}) == 3
    assert callback.type == "lead.callback_requested"

    target = WebhookTarget(url, SECRET, client)
    for event in (first, again, callback):
        await target.deliver(event)
    assert sorted(hook.stored) == sorted({first.id, callback.id})


async def test_claim_and_erasure_carry_no_lead(
        receiver: tuple[Receiver, str], client: httpx.AsyncClient) -> None:
    hook, url = receiver
    target = WebhookTarget(url, SECRET, client)
    at = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)
    claimed = Event.claimed("IK-2026-000123", target="webhook", by="Petra", at=at,
                            telegram_user_id=4242)
    erased = Event.erased("IK-2026-000123", target="webhook", at=at)
    await target.deliver(claimed)
    await target.deliver(erased)
    assert hook.stored[claimed.id]["data"] == {
        "reference": "IK-2026-000123",
        "claimed_by": {"name": "Petra", "telegram_user_id": 4242},
        "claimed_at": "2026-11-23T11:00:00Z"}
    assert hook.stored[erased.id] == {
        "type": "lead.erased", "timestamp": "2026-11-23T11:00:00Z",
        "data": {"reference": "IK-2026-000123", "erased_at": "2026-11-23T11:00:00Z"}}


async def test_a_wrong_secret_or_a_4xx_is_permanent(
        receiver: tuple[Receiver, str], client: httpx.AsyncClient) -> None:
    hook, url = receiver
    event = Event.for_lead(lead_json(), target="webhook")
    other = "whsec_" + base64.b64encode(os.urandom(32)).decode()
    with pytest.raises(Failed, match="HTTP 401"):
        await WebhookTarget(url, other, client).deliver(event)
    assert hook.refused == ["No matching signature found"]
    hook.plan = ["400"]
    with pytest.raises(Failed, match=r"HTTP 400 \(bad_request\)"):
        await WebhookTarget(url, SECRET, client).deliver(event)
    assert hook.stored == {}
    with pytest.raises(Failed, match="whsec_"):
        WebhookTarget(url, "not-a-secret", client)


async def test_the_signature_is_the_spec_by_hand(client: httpx.AsyncClient) -> None:
    """HMAC-SHA256 over "<id>.<timestamp>.<body>" with the base64-decoded key, computed here
    without the package, against what the target sends."""
    import hashlib
    import hmac

    seen: list[tuple[dict[str, str], bytes]] = []

    async def endpoint(request: Request) -> Response:
        seen.append((dict(request.headers), await request.body()))
        return Response(status_code=200)

    app = Starlette(routes=[Route("/h", endpoint, methods=["POST"])])
    async with serve(app) as base:
        event = Event.for_lead(lead_json(company="Bakkerij ’t Hoekje"), target="webhook")
        await WebhookTarget(f"{base}/h", SECRET, client).deliver(event)
    headers, body = seen[0]
    key = base64.b64decode(SECRET.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == f"v1,{expected}"
    assert headers["content-type"] == "application/json"
    assert abs(int(headers["webhook-timestamp"]) - datetime.now(UTC).timestamp()) < 5
    assert "Bakkerij ’t Hoekje".encode() in body  # UTF-8 as is
