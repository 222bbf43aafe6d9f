"""The service's web server: health, and the Telegram webhook when that mode is on."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

if TYPE_CHECKING:
    from bot.channels.telegram import TelegramChannel

__all__ = ["build_app"]

log = logging.getLogger("intake.web")


def build_app(telegram: TelegramChannel | None = None) -> Starlette:
    async def health(_request: Request) -> Response:
        return JSONResponse({"status": "ok", "telegram": telegram is not None})

    routes = [Route("/healthz", health, methods=["GET"])]

    if telegram is not None and telegram.webhook_url:
        channel = telegram

        async def webhook(request: Request) -> Response:
            """Telegram's webhook: the secret header decides, before the body is even read."""
            if not channel.secret_ok(request.headers.get("x-telegram-bot-api-secret-token")):
                return Response(status_code=403)
            try:
                data = json.loads(await request.body())
            except ValueError:
                return Response(status_code=400)
            if not isinstance(data, dict):
                return Response(status_code=400)
            await channel.feed(data)
            return Response(status_code=200)

        path = urlparse(telegram.webhook_url).path or "/telegram/webhook"
        routes.append(Route(path, webhook, methods=["POST"]))

    return Starlette(routes=routes)
