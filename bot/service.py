"""`intake serve`: one process, one event loop: the web server (web chat API, widget, demo page,
health, metrics) and, with a token, Telegram."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta
from secrets import token_bytes

import uvicorn
from pydantic import ValidationError
from sqlalchemy.engine import make_url

from bot import logs
from bot.config import Settings
from bot.handoff.base import Target
from bot.handoff.broker_group import BrokerGroupTarget
from bot.handoff.config import new_client, targets_from_settings
from bot.handoff.mail import BrokerMailTarget
from bot.http import WebOptions, build_app
from bot.metrics import MeteredRuntime, Metrics
from bot.outbox import OutboxWorker, claim_lead, routes_of
from bot.runtime import Runtime
from bot.store import Store
from bot.store.outbox import Claim

__all__ = ["StartupError", "configure_logging", "prepare_database", "serve"]


class StartupError(Exception):
    """The service cannot start; the message is for the operator and holds no secret."""

log = logging.getLogger("intake")


def configure_logging(settings: Settings | None = None) -> None:
    """Logging as configured (INTAKE_LOG_LEVEL, INTAKE_LOG_FORMAT, INTAKE_LOG_SECRET), with
    every secret of the settings registered for redaction. Without settings they are read from
    the environment; while they are invalid (the caller reports that), the defaults apply."""
    warn = True
    if settings is None:
        try:
            settings = Settings()
        except ValidationError:
            settings, warn = Settings.model_construct(), False
    secrets = [s.get_secret_value() if s is not None else None
               for s in (settings.telegram_token, settings.telegram_secret,
                         settings.metrics_token, settings.session_secret)]
    with contextlib.suppress(Exception):  # not a URL: Store() will say so
        secrets.append(make_url(settings.database_url).password)
    logs.configure_logging(
        settings.log_level, settings.log_format,
        settings.log_secret.get_secret_value() if settings.log_secret else None,
        secrets_=secrets, warn_unkeyed=warn,
    )


def prepare_database(store: Store) -> None:
    """Bring the schema to head: Alembic's upgrade under a lock when the store has it
    (several replicas may start at once), else create the tables."""
    upgrade = getattr(store, "upgrade", None)
    if callable(upgrade):
        upgrade()
    else:
        store.create_all()


async def serve(settings: Settings) -> None:
    configure_logging(settings)
    store = Store(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
    try:
        await asyncio.to_thread(prepare_database, store)
    except Exception as error:
        await asyncio.to_thread(store.dispose)
        raise StartupError(f"cannot prepare the database at INTAKE_DATABASE_URL: "
                           f"{type(error).__name__}") from None
    metrics = Metrics(store)
    inner = Runtime(store, profile=settings.profile)
    runtime = MeteredRuntime(inner, metrics)
    client = new_client()
    targets = targets_from_settings(settings, client)
    telegram = None
    group: BrokerGroupTarget | None = None
    if settings.telegram_token is not None:
        from bot.channels.telegram import TelegramChannel

        telegram = TelegramChannel(
            runtime,
            settings.telegram_token.get_secret_value(),
            base_url=settings.telegram_base_url,
            webhook_url=settings.telegram_webhook_url,
            secret=settings.telegram_secret.get_secret_value()
            if settings.telegram_secret else None,
            broker_chat_id=settings.broker_chat_id,
            on_claim=lambda reference, by, user_id: _claim(store, targets, reference, by,
                                                           user_id),
        )
        if settings.broker_chat_id:
            group = BrokerGroupTarget(telegram.app.bot, settings.broker_chat_id)
            targets.append(group)
    else:
        log.info("Telegram is off: INTAKE_TELEGRAM_TOKEN is not set")
    # Brokers hear of a hand-off given up in their group and by e-mail, where configured
    # (a failing e-mail target is not asked to report its own failure).
    alerters = [t for t in targets if isinstance(t, BrokerGroupTarget | BrokerMailTarget)]

    async def alert(reference: str, target: str, reason: str) -> None:
        for alerter in alerters:
            if alerter.name != target:
                try:
                    await alerter.alert(reference, target, reason)
                except Exception as error:
                    log.error("lead hand-off: alert by %s failed: %s", alerter.name,
                              type(error).__name__)

    worker = OutboxWorker(store, targets, alert=alert,
                          give_up_after=timedelta(hours=settings.handoff_give_up_hours),
                          lease=timedelta(seconds=settings.handoff_lease_seconds),
                          on_settled=metrics.handoff_settled)
    inner.routes = routes_of(targets)
    inner.on_enqueue = worker.wake
    log.info("lead hand-off: %s", ", ".join(t.name for t in targets) or "no targets configured")
    from bot.channels.web import WebChannel
    from bot.inbox import Inbox

    web = WebChannel(runtime, settings.profile)
    inbox = Inbox(store, secret=_session_secret(settings), handoff_routes=routes_of(targets),
                  broker_name=settings.broker_name, brand_color=settings.brand_color)
    app = build_app(
        telegram, store=store, metrics=metrics, max_body_bytes=settings.max_body_bytes,
        metrics_token=settings.metrics_token.get_secret_value()
        if settings.metrics_token else None,
        web=web,
        options=WebOptions(widget_origins=settings.widget_origin_list,
                           rate_limit_per_session=settings.rate_limit_per_session,
                           rate_limit_per_address=settings.rate_limit_per_address),
        inbox=inbox,
    )
    # log_config=None: uvicorn's records go through our root handler (format, redaction);
    # no access log: the web chat's paths carry session tokens.
    server = uvicorn.Server(uvicorn.Config(
        app, host=settings.host, port=settings.port, log_level="warning", log_config=None,
        access_log=False, lifespan="off", proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips or "127.0.0.1",
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
    retention = asyncio.create_task(_retention(store, settings))
    # Leads committed before a crash and never handed off go out now, once.
    await worker.start()
    try:
        await server.serve()
    finally:
        await worker.stop()
        retention.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await retention
        if telegram is not None:
            await telegram.stop()
        await client.aclose()
        await asyncio.to_thread(store.dispose)


def _session_secret(settings: Settings) -> bytes:
    """INTAKE_SESSION_SECRET, or a random key for this process (with a warning): the inbox's
    sessions then end at a restart, and instances do not accept each other's cookies."""
    if settings.session_secret is not None:
        return settings.session_secret.get_secret_value().encode("utf-8")
    log.warning("INTAKE_SESSION_SECRET is not set: the broker inbox signs its sessions with a "
                "random key, so brokers are logged out at every restart (set it: openssl rand "
                "-hex 32)")
    return token_bytes(32)


async def _claim(store: Store, targets: list[Target], reference: str, by: str,
                 user_id: int) -> Claim:
    """A press of "Ik bel deze" in the brokers' group (bot.outbox.claim_lead)."""
    return await asyncio.to_thread(claim_lead, store.engine, reference, by=by,
                                   at=datetime.now(UTC), routes=routes_of(targets),
                                   telegram_user_id=user_id)


RETENTION_INTERVAL = 3600.0  # seconds between two retention runs


async def _retention(store: Store, settings: Settings) -> None:
    """INTAKE_RETENTION_DAYS / INTAKE_LEAD_RETENTION_DAYS, applied at start and every hour."""
    from bot.privacy import purge

    while True:
        try:
            await asyncio.to_thread(purge, store, retention_days=settings.retention_days,
                                    lead_retention_days=settings.lead_retention_days)
        except Exception as error:  # a busy or unreachable database: try again next time
            log.warning("privacy: retention run failed: %s", type(error).__name__)
        await asyncio.sleep(RETENTION_INTERVAL)
