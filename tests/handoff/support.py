"""Loopback receivers for the hand-off tests: a uvicorn server in the test's event loop, and
leads built with the real lead model."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from flows.lead import Contact, Lead

__all__ = ["EXAMPLE", "closed_port", "lead_json", "serve"]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "lead.json"


def lead_json(*, company: str | None = None, intent: str | None = None,
              callback_window: dict[str, str] | None = None,
              email: str | None = "keep", **changes: Any) -> dict[str, Any]:
    """The example lead through the real model (`flows.lead.Lead`), as the engine stores it
    (`model_dump(mode="json", by_alias=True)`), with a few fields changed. It has a call-back
    window only when one is given."""
    raw = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    raw["contact"].pop("callback_window", None)
    if company is not None:
        raw["company"]["name"] = company
    if intent is not None:
        raw["intent"] = intent
    if email != "keep":
        raw["contact"]["email"] = email
    # contact.callback_window is being added to the model: use the model once it has it.
    window_in_model = "callback_window" in Contact.model_fields
    if callback_window is not None and window_in_model:
        raw["contact"]["callback_window"] = callback_window
    raw.update(changes)
    lead = Lead.model_validate(raw).model_dump(mode="json", by_alias=True)
    if callback_window is not None and not window_in_model:
        lead["contact"]["callback_window"] = callback_window
    return lead


def closed_port() -> int:
    """A loopback port with nothing listening (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` on a random loopback port in this event loop; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", lifespan="off",
                            timeout_graceful_shutdown=1)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]))
    try:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        sock.close()
