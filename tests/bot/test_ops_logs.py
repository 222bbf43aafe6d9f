"""Operations, logs (bot/logs.py): text or JSON lines, keyed chat references, and no personal
data or secrets in any line, even with every library logging at DEBUG."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.channels.telegram import TelegramChannel
from bot.http import build_app
from bot.metrics import MeteredRuntime, Metrics
from bot.runtime import Incoming, Runtime
from bot.store import Store
from tests.support.botapi import BotApiServer, botapi_fixture

botapi = botapi_fixture()

NAME = "Jan de Vries"
EMAIL = "jan@devries-bouw.nl"
PHONE = "06-12345678"
LIBRARIES = ("telegram", "telegram.ext", "httpx", "httpcore", "sqlalchemy.engine",
             "sqlalchemy.pool", "transitions", "apscheduler", "uvicorn", "asyncio")


class Captured:
    def __init__(self) -> None:
        self.stream = io.StringIO()
        self.raw: list[logging.LogRecord] = []

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[str]:
        return [line for line in self.text.splitlines() if line]


class _RawHandler(logging.Handler):
    """Sees what reaches the root logger before any filter: proof the libraries did log."""

    def __init__(self, into: list[logging.LogRecord]) -> None:
        super().__init__(logging.DEBUG)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(logging.makeLogRecord({**record.__dict__,
                                                "msg": record.getMessage(), "args": None}))


@pytest.fixture
def captured() -> Iterator[Captured]:
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in (*LIBRARIES, *logs.QUIET_LOGGERS)}
    root_level = root.level
    capture = Captured()
    yield capture
    for handler in [h for h in root.handlers if getattr(h, "_intake", False)
                    or isinstance(h, _RawHandler)]:
        root.removeHandler(handler)
    root.setLevel(root_level)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _install(capture: Captured, level: str = "INFO", fmt: str = "text",
             secret: str | None = "test-log-secret", **kw: object) -> None:
    logs.configure_logging(level, fmt, secret, stream=capture.stream, **kw)  # type: ignore[arg-type]


# --- formats ----------------------------------------------------------------------------------


def test_json_lines_have_ts_level_logger_msg_and_extra_fields(captured: Captured) -> None:
    _install(captured, fmt="json")
    logging.getLogger("intake.test").info("turn took %d ms", 12, extra={"channel": "telegram"})
    try:
        raise ValueError("boom")
    except ValueError:
        logging.getLogger("intake.test").exception("it failed")
    first, second = (json.loads(line) for line in captured.lines())
    assert first["level"] == "INFO" and first["logger"] == "intake.test"
    assert first["msg"] == "turn took 12 ms" and first["channel"] == "telegram"
    assert first["ts"].endswith("Z") and "T" in first["ts"]
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exc"]


def test_text_lines_are_readable_and_the_level_applies(captured: Captured) -> None:
    _install(captured, level="WARNING")
    logging.getLogger("intake.test").info("not shown")
    logging.getLogger("intake.test").warning("shown %s", "here", extra={"ref": "abc"})
    (line,) = captured.lines()
    assert " WARNING intake.test: shown here ref=abc" in line


def test_the_transitions_library_says_nothing_per_turn(captured: Captured,
                                                       tmp_path: Path) -> None:
    _install(captured, level="DEBUG")
    store = Store(f"sqlite:///{tmp_path / 't.sqlite3'}")
    store.upgrade()
    try:
        runtime = Runtime(store)
        for i, text in enumerate(["hallo", "beide", "bouw", "terug"]):
            runtime.handle(Incoming("cli:t", f"m{i}", text=text))
    finally:
        store.dispose()
    assert "transitions" not in captured.text


# --- chat references --------------------------------------------------------------------------


def test_chat_references_are_keyed_truncated_hmacs(captured: Captured) -> None:
    _install(captured, secret="first-secret")
    first = logs.chat_ref("telegram:515151")
    assert first == hmac.new(b"first-secret", b"telegram:515151",
                             hashlib.sha256).hexdigest()[:16]
    assert first != hashlib.sha256(b"telegram:515151").hexdigest()[:16], "not a bare hash"
    assert logs.chat_ref("telegram:515151") == first, "stable"
    assert logs.chat_ref("telegram:515152") != first
    _install(captured, secret="second-secret")
    assert logs.chat_ref("telegram:515151") != first, "another key, another reference"


def test_without_a_secret_references_are_keyed_randomly_and_a_warning_says_so(
    captured: Captured, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(logs, "_secret_configured", False)
    monkeypatch.setattr(logs, "_warned_unkeyed", False)
    before = logs.chat_ref("telegram:1")
    _install(captured, secret=None)
    assert "INTAKE_LOG_SECRET is not set" in captured.text
    assert logs.chat_ref("telegram:1") == before, "the random key of this process"
    _install(captured, secret=None)
    assert captured.text.count("INTAKE_LOG_SECRET is not set") == 1, "said once"


# --- no personal data, no secrets -------------------------------------------------------------


def test_the_redactor_scrubs_secrets_tokens_addresses_and_numbers(captured: Captured) -> None:
    _install(captured, secrets_=["hunter2-database-password"])
    log = logging.getLogger("intake.test")
    token = "7123456789:AAHfakeTokenForTheRedactorTest0123456"
    log.warning("url https://api.telegram.org/bot%s/getMe pw hunter2-database-password", token)
    log.warning("mail %s phone %s and +31 6 1234 5678", EMAIL, PHONE, extra={"who": EMAIL})
    try:
        raise RuntimeError(f"request to /bot{token}/sendMessage failed for {EMAIL}")
    except RuntimeError:
        log.exception("send failed")
    text = captured.text
    for leaked in (token, "AAHfakeToken", "hunter2", EMAIL, "12345678", "1234 5678"):
        assert leaked not in text
    assert "<token>" in text and "<e-mail>" in text and "<number>" in text and "***" in text
    # Ordinary figures survive: ports, counts, durations.
    log.warning("serving on port 8000 after 0.123456789 s, 42 turns, at 2026-11-24 14:17:21")
    assert "port 8000 after 0.123456789 s, 42 turns, at 2026-11-24 14:17:21" in captured.text
    log.warning("nested", extra={"contact": {"email": EMAIL, "phone": PHONE}})
    assert EMAIL not in captured.text and PHONE not in captured.text


def test_libraries_below_warning_are_cut_off_whatever_their_level(captured: Captured) -> None:
    _install(captured, level="DEBUG")
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger("telegram.ext.Application").debug("Processing update %s", {"text": NAME})
    logging.getLogger("httpx").info("HTTP Request: POST https://x/bot123:abc/getUpdates")
    logging.getLogger("sqlalchemy.engine.Engine").info("[generated] (%r,)", NAME)
    logging.getLogger("telegram.ext.Updater").warning("network trouble, retrying")
    assert NAME not in captured.text and "getUpdates" not in captured.text
    assert "network trouble, retrying" in captured.text, "warnings still come through"
    migration = logging.getLogger("alembic.runtime.migration")
    migration.info("Context impl SQLiteImpl.")
    migration.info("Running upgrade 0001 -> 0002, something")
    assert "Context impl" not in captured.text, "said on every /readyz: noise"
    assert "Running upgrade 0001 -> 0002" in captured.text


async def test_a_conversation_at_debug_leaves_no_personal_data_or_token_in_the_log(
    captured: Captured, botapi: BotApiServer, tmp_path: Path,
) -> None:
    """Every library at DEBUG; a prospect types a name, a phone number, an e-mail address and
    the bot token itself; the conversation runs over Telegram (polling), then the web server's
    /readyz and /metrics are asked (SQLAlchemy queries)."""
    raw: list[logging.LogRecord] = []
    _install(captured, level="DEBUG", fmt="json", secrets_=[botapi.token])
    for name in LIBRARIES:
        logging.getLogger(name).setLevel(logging.DEBUG)
    logging.getLogger().addHandler(_RawHandler(raw))

    store = Store(f"sqlite:///{tmp_path / 'pii.sqlite3'}")
    store.upgrade()
    metrics = Metrics(store, dropoff_ttl=0)
    channel = TelegramChannel(MeteredRuntime(Runtime(store), metrics), botapi.token,
                              base_url=botapi.base_url)
    await channel.start()
    chat = 616161
    typed = ["/start", "bel mij", NAME, PHONE, "ochtend", botapi.token, EMAIL, "ja"]
    try:
        for i, text in enumerate(typed, start=1):
            botapi.push_update(botapi.make_text_update(chat, text, user_id=chat))
            await botapi.wait_for("sendMessage", count=i, chat_id=chat, timeout=15)
        await asyncio.sleep(0.2)
        import httpx

        app = build_app(store=store, metrics=metrics)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://intake") as http:
            assert (await http.get("/readyz")).status_code == 200
            assert (await http.get("/metrics")).status_code == 200
    finally:
        await channel.stop()
        store.dispose()

    everything = "\n".join(r.getMessage() for r in raw)
    assert NAME in everything or botapi.token in everything, \
        "the libraries did log payloads (otherwise this test proves nothing)"
    text = captured.text
    assert captured.lines(), "something was logged"
    for line in captured.lines():
        json.loads(line)
    for leaked in (NAME, "de Vries", EMAIL, "devries-bouw", PHONE, "12345678", botapi.token,
                   botapi.token.split(":", 1)[1], str(chat)):
        assert leaked not in text, f"{leaked!r} reached the log"
