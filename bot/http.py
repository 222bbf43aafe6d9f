"""The service's web server (Starlette): health, readiness, metrics and the Telegram webhook.

- `GET /healthz`: the process is alive and serving; touches no database.
- `GET /readyz`: 200 when the database is reachable and its schema at head (`Store.check()`),
  503 with the reason otherwise; a load balancer sends traffic only when it is 200.
- `GET /metrics`: Prometheus text format (bot/metrics.py); with INTAKE_METRICS_TOKEN set it
  needs `Authorization: Bearer <token>`.
- `POST <path of INTAKE_TELEGRAM_WEBHOOK_URL>`: Telegram's updates, in webhook mode.

Every request body is limited (INTAKE_MAX_BODY_BYTES, 1 MiB by default): a larger declared
Content-Length gets 413 before anything is read, and a body that grows past the limit while it
streams in (chunked, or a lying Content-Length) gets 413 as soon as it does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.metrics import Metrics
    from bot.store import Store

__all__ = ["MIB", "BodyLimit", "build_app", "check_store"]

log = logging.getLogger("intake.http")

MIB = 1024 * 1024
READY_TIMEOUT = 5.0

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware: request bodies over `max_bytes` get 413, declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int = MIB) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = [v for k, v in scope.get("headers", ()) if k == b"content-length"]
        if declared:
            try:
                length = int(declared[0])
            except ValueError:
                await PlainTextResponse("bad Content-Length", 400)(scope, receive, send)
                return
            if length > self.max_bytes:
                await _too_large(scope, receive, send)
                return
        received = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _TooLarge
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except _TooLarge:
            if started:
                raise
            await _too_large(scope, receive, send)


async def _too_large(scope: Scope, receive: Receive, send: Send) -> None:
    response = PlainTextResponse("request body too large", 413, headers={"Connection": "close"})
    await response(scope, receive, send)


def check_store(store: Store) -> str | None:
    """None when the database is reachable and its schema at head; else the reason.

    `Store.check()` decides when the store has it (the Alembic store); until then a plain
    round trip to the database is the check. The reason names no URL or password."""
    check = getattr(store, "check", None)
    try:
        if callable(check):
            reason = check()
            return None if reason is None else str(reason)
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        return None
    except Exception as error:
        return f"database unreachable: {type(error).__name__}"


def _not_an_update(data: Any) -> str | None:
    """Why a parsed JSON body is not a Telegram update, or None when it looks like one."""
    if not isinstance(data, dict):
        return f"a JSON {type(data).__name__}, not an object"
    update_id = data.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        return "no integer update_id"
    return None


def build_app(
    telegram: TelegramChannel | None = None,
    *,
    store: Store | None = None,
    metrics: Metrics | None = None,
    max_body_bytes: int = MIB,
    metrics_token: str | None = None,
) -> Starlette:
    """The web app. Without a store /readyz says so (503); without metrics there is no
    /metrics; without a webhook-mode Telegram channel there is no webhook route."""

    async def health(_request: Request) -> Response:
        """Alive: the event loop answers. No database access."""
        return JSONResponse({"status": "ok", "telegram": telegram is not None})

    async def ready(_request: Request) -> Response:
        """Ready for traffic: the database is reachable and at the schema's head."""
        if store is None:
            return JSONResponse({"status": "unavailable", "reason": "no database configured"},
                                status_code=503)
        try:
            reason = await asyncio.wait_for(asyncio.to_thread(check_store, store),
                                            READY_TIMEOUT)
        except TimeoutError:
            reason = f"database did not answer within {READY_TIMEOUT:g} s"
        if reason is not None:
            return JSONResponse({"status": "unavailable", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready"})

    routes = [Route("/healthz", health, methods=["GET"]),
              Route("/readyz", ready, methods=["GET"])]

    if metrics is not None:
        registry = metrics

        async def scrape(request: Request) -> Response:
            """Prometheus text format; rendered in a thread (the drop-off gauge queries)."""
            if metrics_token is not None:
                given = request.headers.get("authorization", "")
                expected = f"Bearer {metrics_token}"
                if not hmac.compare_digest(given.encode(), expected.encode()):
                    return Response(status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
            body = await asyncio.to_thread(registry.render)
            return Response(body, media_type=CONTENT_TYPE_LATEST)

        routes.append(Route("/metrics", scrape, methods=["GET"]))

    if telegram is not None and telegram.webhook_url:
        channel = telegram

        def rejected(reason: str) -> None:
            if metrics is not None:
                metrics.webhook_rejected.labels(reason).inc()

        async def webhook(request: Request) -> Response:
            """Telegram's webhook. The secret header decides before the body is read. Any
            well-formed JSON gets 200 once the secret is right, even when it is not an update:
            Telegram retries anything else for a day."""
            if not channel.secret_ok(request.headers.get("x-telegram-bot-api-secret-token")):
                rejected("secret")
                return Response(status_code=403)
            body = await request.body()
            try:
                data: Any = json.loads(body)
                why = _not_an_update(data)
            except RecursionError:
                why = "JSON nested too deeply"
            except ValueError:
                rejected("not_json")
                return Response(status_code=400)
            if why is None:
                try:
                    await channel.feed(data)
                except Exception as error:
                    # PTB could not read it as an update; its message may quote the content.
                    why = f"not accepted as an update ({type(error).__name__})"
            if why is not None:
                rejected("not_an_update")
                log.warning("telegram webhook: ignored a body that is not an update: %s "
                            "(%d bytes)", why, len(body))
            return Response(status_code=200)

        path = urlparse(telegram.webhook_url).path or "/telegram/webhook"
        routes.append(Route(path, webhook, methods=["POST"]))

    return Starlette(routes=routes,
                     middleware=[Middleware(BodyLimit, max_bytes=max_body_bytes)])
