"""Logging for the service: readable text or one JSON object per line, and no personal data.

No personal data at any level, whoever logs:

- Our own code never logs what a prospect typed, names, amounts, phone numbers or e-mail
  addresses; a chat is referred to by `chat_ref(chat_key)`, a keyed hash (HMAC-SHA256 with
  `INTAKE_LOG_SECRET`) that cannot be reversed or recomputed from a chat id without the secret.
- Libraries that log payloads below WARNING are cut off at the root handler, whatever level
  their loggers are set to: python-telegram-bot logs whole updates at DEBUG, httpx logs request
  URLs (a Bot API URL contains the bot token), SQLAlchemy's engine logs statement parameters.
- Every record that remains is scrubbed before it is formatted: registered secrets (the bot
  token, webhook secret, database password, ...), anything shaped like a bot token, e-mail
  addresses and long digit runs (phone numbers, chat ids) become placeholders, in the message,
  in extra fields and in exception text.

`configure_logging()` installs one handler on the root logger; call it again to reconfigure.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import secrets
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

__all__ = [
    "NOISE",
    "PAYLOAD_LOGGERS",
    "JsonFormatter",
    "Redactor",
    "TextFormatter",
    "chat_ref",
    "configure_logging",
    "register_secret",
    "scrub",
]

log = logging.getLogger("intake")

# Libraries cut off below WARNING at the root handler (and their children): those known to put
# payloads in their records, and transitions, which says two lines a turn and nothing of use.
PAYLOAD_LOGGERS = ("telegram", "httpx", "httpcore", "hpack", "h11", "h2", "sqlalchemy",
                   "apscheduler", "uvicorn.access", "psycopg", "websockets", "transitions")
# Libraries kept at WARNING even when our own level is lower: chatty and useless per turn.
QUIET_LOGGERS = ("transitions", "httpx", "httpcore", "telegram", "apscheduler", "hpack",
                 "sqlalchemy.engine", "sqlalchemy.pool")

# Lines said on every schema check (each /readyz): noise, dropped below WARNING.
NOISE = {"alembic.runtime.migration": ("Context impl ", "Will assume ")}

REF_LENGTH = 16  # hex digits of the HMAC: 64 bits, plenty to tell chats apart in a log

_secret: bytes = secrets.token_bytes(32)
_secret_configured = False
_warned_unkeyed = False
_secrets: set[str] = set()

_TOKEN = re.compile(r"(?<!\d)\d{5,12}:[A-Za-z0-9_-]{30,}")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Nine digits or more, with optional spaces or dashes between them: phone numbers (with or
# without +31), chat and user ids. Not preceded by a word character or a dot (decimals).
# A date and time ("2026-11-24 14:17") is left alone.
_DIGITS = re.compile(r"(?<![\w.])(?!\d{4}-\d{2}-\d{2}\b)\+?\d(?:[ -]?\d){8,}(?!\w)")


def chat_ref(chat_key: str) -> str:
    """A chat's reference in the logs: keyed (HMAC-SHA256 with INTAKE_LOG_SECRET), truncated.

    Stable for a chat while the secret is; without the secret nobody can tell which chat id it
    belongs to (a bare hash of a numeric chat id is reversed by trying them all)."""
    digest = hmac.new(_secret, chat_key.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:REF_LENGTH]


def register_secret(value: str | None) -> None:
    """A value that must never appear in a log line (it is replaced by `***`)."""
    if value and len(value) >= 4:
        _secrets.add(value)


def scrub(text: str) -> str:
    """`text` without registered secrets, bot tokens, e-mail addresses and phone numbers."""
    for value in sorted(_secrets, key=len, reverse=True):
        if value in text:
            text = text.replace(value, "***")
    text = _TOKEN.sub("<token>", text)
    text = _EMAIL.sub("<e-mail>", text)
    return _DIGITS.sub("<number>", text)


def _payload_logger(name: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in PAYLOAD_LOGGERS)


class Redactor(logging.Filter):
    """The root handler's filter: drops payload libraries' records below WARNING and scrubs
    every other record in place (message, extra fields, exception text)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING:
            if _payload_logger(record.name):
                return False
            noise = NOISE.get(record.name)
            if noise and isinstance(record.msg, str) and record.msg.startswith(noise):
                return False
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: say so without the arguments
            message = f"{record.msg!s} (unformattable arguments)"
        record.msg, record.args = scrub(message), None
        for key, value in list(record.__dict__.items()):
            if key in _STANDARD:
                continue
            if isinstance(value, str):
                setattr(record, key, scrub(value))
            elif isinstance(value, (dict, list, tuple, set)):
                setattr(record, key, scrub(json.dumps(value, default=str, ensure_ascii=False)))
        if record.exc_info and record.exc_info[0] is not None:
            record.exc_text = scrub(_plain.formatException(record.exc_info))
            record.exc_info = None  # formatted and scrubbed once; never again unscrubbed
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


_plain = logging.Formatter()
_STANDARD = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {
    "message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items()
            if k not in _STANDARD and not k.startswith("_")}


class TextFormatter(logging.Formatter):
    """`2026-11-24 13:50:01,123 INFO intake.web: message key=value`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = _extras(record)
        if extras:
            head, sep, tail = line.partition("\n")
            head += "".join(f" {k}={v}" for k, v in extras.items())
            line = head + sep + tail
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ts (UTC, ISO 8601), level, logger, msg, the record's extra
    fields, and `exc` with the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in _extras(record).items():
            out.setdefault(key, value)
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            out["exc"] = record.exc_text
        if record.stack_info:
            out["stack"] = record.stack_info
        return json.dumps(out, ensure_ascii=False, default=str)


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    secret: str | None = None,
    *,
    secrets_: Iterable[str | None] = (),
    stream: TextIO | None = None,
    warn_unkeyed: bool = True,
) -> logging.Handler:
    """Install the root handler (text or JSON, with the Redactor) at `level`.

    `secret` keys `chat_ref`; without one a random key is made for this process (references
    then change with every restart) and a warning says so, once (unless `warn_unkeyed` is
    false: settings not loaded yet). `secrets_` are values never to
    appear in a log line (bot token, webhook secret, database password, ...). Returns the
    handler, e.g. for a test to remove."""
    global _secret, _secret_configured, _warned_unkeyed
    for value in secrets_:
        register_secret(value)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_intake", False)]:
        root.removeHandler(old)
        old.close()
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(Redactor())
    handler._intake = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    if secret:
        _secret, _secret_configured = secret.encode("utf-8"), True
        register_secret(secret)
    elif not _secret_configured and warn_unkeyed and not _warned_unkeyed:
        _warned_unkeyed = True
        log.warning("INTAKE_LOG_SECRET is not set: chat references in the logs are keyed with a "
                    "random secret and change with every restart")
    return handler
