"""`intake serve`: one process, one event loop: the web server and, with a token, Telegram."""

from __future__ import annotations

import asyncio
import logging

import uvicorn

from bot.channels.web import build_app
from bot.config import Settings
from bot.runtime import AsyncRuntime, Runtime
from bot.store import Store

__all__ = ["StartupError", "configure_logging", "serve"]


class StartupError(Exception):
    """The service cannot start; the message is for the operator and holds no secret."""

log = logging.getLogger("intake")


def configure_logging() -> None:
    logging.basicConfig(level=logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request URL at INFO, and a Bot API URL contains the bot token.
    for noisy in ("httpx", "httpcore", "telegram", "apscheduler"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


async def serve(settings: Settings) -> None:
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    store.create_all()
    runtime = AsyncRuntime(Runtime(store, broker_name=settings.broker_name))
    telegram = None
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(
            runtime,
            settings.telegram_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            webhook_url=settings.telegram_webhook_url,
            secret=settings.telegram_secret.get_secret_value()
            if settings.telegram_secret else None,
        )
    else:
        log.info("Telegram is off: INTAKE_TELEGRAM_TOKEN is not set")
    server = uvicorn.Server(uvicorn.Config(
        build_app(telegram), host=settings.host, port=settings.port, log_level="warning",
        lifespan="off",
    ))
    if telegram is not None:
        from telegram.error import InvalidToken, TelegramError

        try:
            await telegram.start()
        except InvalidToken:
            # PTB's own message quotes the token: say what is wrong without it.
            await asyncio.to_thread(store.dispose)
            raise StartupError("the Bot API rejected INTAKE_TELEGRAM_TOKEN (or "
                               "INTAKE_TELEGRAM_BASE_URL is wrong)") from None
        except TelegramError as error:
            await asyncio.to_thread(store.dispose)
            raise StartupError(f"cannot reach the Bot API at INTAKE_TELEGRAM_BASE_URL: "
                               f"{type(error).__name__}") from None
    log.info("serving on http://%s:%s (database: %s)", settings.host, settings.port,
             store.engine.url.render_as_string(hide_password=True))
    try:
        await server.serve()
    finally:
        if telegram is not None:
            await telegram.stop()
        await asyncio.to_thread(store.dispose)
