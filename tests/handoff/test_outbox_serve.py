"""The hand-off as an operator runs it: `intake serve` processes, leads made over the web chat
API, a real webhook receiver on loopback that verifies with `standardwebhooks`.

- killed while a delivery is in flight: after the restart the lead arrives, once;
- two instances on one PostgreSQL plus a third worker: every lead delivered once.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from pathlib import Path
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import Response

from bot.handoff.webhook import WebhookTarget
from bot.outbox import OutboxWorker
from bot.store import Store
from tests.handoff.support import serve
from tests.handoff.test_outbox import SECRET, Receiver, until
from tests.support.webapp import ROUTE, intake_serve


def web_lead(base: str, n: int) -> str:
    """One conversation over the web chat API, greeting to lead; the lead's reference."""
    with httpx.Client(base_url=base, timeout=30) as client:
        opened = client.post("/api/v1/chat/sessions", json={})
        opened.raise_for_status()
        token = opened.json()["token"]
        turn: dict[str, Any] = {}
        for i, line in enumerate(ROUTE):
            reply = client.post(f"/api/v1/chat/sessions/{token}/messages",
                                json={"text": line, "client_message_id": f"{n}-{i}"})
            reply.raise_for_status()
            turn = reply.json()
        assert turn["lead"] is not None, turn["replies"]
        return str(turn["lead"]["reference"])


class HangingReceiver(Receiver):
    """Never answers the first request (a CRM that hangs while the sender dies)."""

    def __init__(self) -> None:
        super().__init__()
        self.hanging = asyncio.Event()
        self.release = asyncio.Event()

    async def hook(self, request: Request) -> Response:
        if not self.hanging.is_set():
            self.posts += 1  # before reading: the sender may die before its body arrives
            self.hanging.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.release.wait(), timeout=30)
            return Response(status_code=500)  # too late: its sender is gone
        return await super().hook(request)


async def test_a_lead_whose_delivery_was_cut_by_a_kill_arrives_after_restart_once(
        tmp_path: Path) -> None:
    receiver = HangingReceiver()
    async with serve(receiver.app) as hook_base:
        env = {"INTAKE_CRM_WEBHOOK_URL": f"{hook_base}/hook",
               "INTAKE_CRM_WEBHOOK_SECRET": SECRET, "INTAKE_HANDOFF_LEASE_SECONDS": "2"}
        with intake_serve(tmp_path, **env) as first:
            reference = await asyncio.to_thread(web_lead, first.base, 1)
            await asyncio.wait_for(receiver.hanging.wait(), timeout=10)
            first.proc.send_signal(signal.SIGKILL)  # mid-delivery: committed, leased, unsent
            await asyncio.to_thread(first.proc.wait)
        assert not receiver.stored
        with intake_serve(tmp_path, **env):
            await until(lambda: receiver.stored, timeout=20)
            await asyncio.sleep(1.0)  # a second delivery would arrive in this time
        receiver.release.set()
    [(_webhook_id, payload)] = receiver.stored.items()
    assert payload["data"]["reference"] == reference
    assert receiver.posts == 2  # the one cut off, the one after the restart


async def test_two_instances_and_a_third_worker_deliver_every_lead_once(
        tmp_path: Path, postgres_url: str) -> None:
    receiver = Receiver(down=5)  # the first few attempts refused: retries race too
    leads = 12
    async with serve(receiver.app) as hook_base:
        env = {"INTAKE_CRM_WEBHOOK_URL": f"{hook_base}/hook",
               "INTAKE_CRM_WEBHOOK_SECRET": SECRET, "INTAKE_DATABASE_URL": postgres_url}
        with intake_serve(tmp_path / "a", **env) as a, intake_serve(tmp_path / "b", **env) as b:
            store = Store(postgres_url)
            async with httpx.AsyncClient(timeout=10) as client:
                third = OutboxWorker(store, [WebhookTarget(f"{hook_base}/hook", SECRET,
                                                           client)], first_delay=0.05)
                await third.start()
                try:
                    references = await asyncio.gather(*(
                        asyncio.to_thread(web_lead, (a, b)[n % 2].base, n)
                        for n in range(leads)))
                    await until(lambda: len(receiver.stored) >= leads, timeout=60)
                    await asyncio.sleep(1.0)  # duplicates would arrive in this time
                finally:
                    await third.stop()
                    store.dispose()
    stored = sorted(p["data"]["reference"] for p in receiver.stored.values())
    assert stored == sorted(references)
    assert set(receiver.accepted.values()) == {1}, "a lead was delivered twice"
    assert receiver.posts == leads + 5
    for served in (a, b):
        assert "Traceback" not in served.stderr
