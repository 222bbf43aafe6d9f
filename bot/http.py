"""The service's web server (Starlette): the web chat API, the widget's files and demo page,
health, readiness, metrics and the Telegram webhook.

- `/api/v1/...` and `/openapi.json`: bot/api.py (the web chat, the widget's configuration, the
  quotes API); protected by bot/guard.py (CORS, rate limits). docs/web.md.
- `/`: the demo page (bot/static/demo.html, a broker's website with the widget on it);
  `/widget.js`, `/widget.css` and the other files of bot/static/, with ETag and a short max-age.
- `GET /healthz`: the process is alive and serving; touches no database.
- `GET /readyz`: 200 when the database is reachable and its schema at head (`Store.check()`),
  503 with the reason otherwise; a load balancer sends traffic only when it is 200.
- `GET /metrics`: Prometheus text format (bot/metrics.py); with INTAKE_METRICS_TOKEN set it
  needs `Authorization: Bearer <token>`.
- `POST <path of INTAKE_TELEGRAM_WEBHOOK_URL>`: Telegram's updates, in webhook mode.
- `/broker/...`: the broker inbox behind a login (bot/inbox/, docs/inbox.md).

Every response carries the security headers (bot/guard.py). Every request body is limited
(INTAKE_MAX_BODY_BYTES, 1 MiB by default): a larger declared Content-Length gets 413 before
anything is read, and a body that grows past the limit while it streams in (chunked, or a lying
Content-Length) gets 413 as soon as it does.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import os
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp as StarletteASGIApp

from bot.api import api_routes, http_error
from bot.guard import Cors, RateLimit, SecurityHeaders

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel
    from bot.channels.web import WebChannel
    from bot.inbox import Inbox
    from bot.metrics import Metrics
    from bot.store import Store

__all__ = ["MIB", "STATIC", "BodyLimit", "WebOptions", "build_app", "check_store"]

log = logging.getLogger("intake.http")

MIB = 1024 * 1024
READY_TIMEOUT = 5.0
STATIC = Path(__file__).resolve().parent / "static"

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


@dataclass(frozen=True, slots=True)
class WebOptions:
    """The web chat's protection (bot/guard.py) and where its files are."""

    widget_origins: Sequence[str] = ()  # besides our own origin
    rate_limit_per_session: int = 60  # requests a minute; 0: off
    rate_limit_per_address: int = 600
    exempt_loopback: bool = True  # the per-address limit spares 127.0.0.0/8 and ::1
    static_dir: Path = STATIC


# The widget's files change with a release: browsers keep them for a few minutes, then ask
# again with If-None-Match (the ETag); the demo page is revalidated every time.
_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
          ".html": "text/html; charset=utf-8", ".svg": "image/svg+xml", ".png": "image/png",
          ".ico": "image/x-icon", ".json": "application/json", ".txt": "text/plain; charset=utf-8"}
STATIC_CACHE = "public, max-age=300"
PAGE_CACHE = "no-cache"


class _Static(StaticFiles):
    """bot/static/: explicit content types, ETag and Last-Modified (304), a short max-age."""

    async def check_config(self) -> None:
        # No folder (a checkout without the widget yet): 404 for every file, not a 500.
        if os.path.isdir(str(self.directory)):
            await super().check_config()

    def file_response(self, full_path: str | os.PathLike[str], stat_result: os.stat_result,
                      scope: MutableMapping[str, Any], status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        kind = _TYPES.get(Path(full_path).suffix.lower())
        if kind is not None and status_code == 200 and response.status_code == 200:
            response.headers["content-type"] = kind
        html = str(full_path).endswith(".html")
        response.headers["cache-control"] = PAGE_CACHE if html else STATIC_CACHE
        return response


class _App(Starlette):
    """Starlette with the security headers outside everything, its own error pages included."""

    def build_middleware_stack(self) -> StarletteASGIApp:
        return SecurityHeaders(super().build_middleware_stack())


def build_app(
    telegram: TelegramChannel | None = None,
    *,
    store: Store | None = None,
    metrics: Metrics | None = None,
    max_body_bytes: int = MIB,
    metrics_token: str | None = None,
    web: WebChannel | None = None,
    options: WebOptions | None = None,
    inbox: Inbox | None = None,
) -> Starlette:
    """The web app. Without a store /readyz says so (503); without metrics there is no
    /metrics; without a webhook-mode Telegram channel there is no webhook route; without a web
    channel no chat routes; without an inbox no /broker pages (the quotes API, /openapi.json
    and the static files are always there)."""
    options = options or WebOptions()
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

    static_dir = options.static_dir

    async def demo(_request: Request) -> Response:
        """The demo page: a plain broker website with the widget on it."""
        page = static_dir / "demo.html"
        if not page.is_file():
            return PlainTextResponse("Not Found", 404)
        return FileResponse(page, media_type=_TYPES[".html"],
                            headers={"Cache-Control": PAGE_CACHE})

    all_routes: list[BaseRoute] = [
        *routes, *api_routes(web),
        *(inbox.routes() if inbox is not None else ()),
        Route("/", demo, methods=["GET"]),
    ]
    app = _App(
        routes=all_routes,
        middleware=[
            Middleware(BodyLimit, max_bytes=max_body_bytes),
            Middleware(Cors, origins=options.widget_origins),
            Middleware(RateLimit, per_session=options.rate_limit_per_session,
                       per_address=options.rate_limit_per_address,
                       exempt_loopback=options.exempt_loopback),
        ],
        exception_handlers={HTTPException: http_error},
    )
    # The files are what no route matches (not a Mount or a catch-all route, which would take
    # GET /api/v1/quotes away from that route's 405).
    app.router.default = _Static(directory=static_dir, check_dir=False)
    return app
