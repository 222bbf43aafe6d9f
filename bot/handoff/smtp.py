"""Sending e-mail over SMTP (aiosmtplib), configured by one URL: INTAKE_SMTP_URL.

    smtp://[user[:password]@]host[:port][?starttls=1|0][&from=address][&timeout=seconds]
    smtps://[user[:password]@]host[:port][?from=address][&timeout=seconds]

- `smtps://` is TLS from the first byte (port 465 by default).
- `smtp://` is port 587 by default (25 when `starttls=0`). `starttls=1` requires STARTTLS,
  `starttls=0` never uses it (a relay on localhost, a test server); without it STARTTLS is used
  when the server offers it.
- The user name and password are percent-decoded (write `@` in a password as `%40`).
- `from` is the sender address; by default the first INTAKE_BROKER_EMAIL address.
- `timeout` is seconds per SMTP command (default 10).

SMTP replies are classified for the outbox: a 4xx reply, a refused connection or a timeout is
Retry; a 5xx reply (mailbox unknown, authentication refused) is Failed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from bot.handoff.base import Failed, Retry

__all__ = ["SmtpUrl", "parse_smtp_url", "send"]


@dataclass(frozen=True, slots=True)
class SmtpUrl:
    host: str
    port: int
    use_tls: bool
    start_tls: bool | None  # None: when offered
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str | None = None
    timeout: float = 10.0


_FLAGS = {"1": True, "true": True, "yes": True, "0": False, "false": False, "no": False}


def parse_smtp_url(url: str) -> SmtpUrl:
    """Read INTAKE_SMTP_URL. ValueError says what is wrong without repeating the URL (it holds
    a password)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("smtp", "smtps"):
        raise ValueError("must start with smtp:// or smtps://")
    if not parts.hostname:
        raise ValueError("has no host (smtp://user:pass@host:587)")
    try:
        port = parts.port
    except ValueError:
        raise ValueError("has a bad port") from None
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"starttls", "from", "timeout"}
    if unknown:
        raise ValueError(f"has unknown parameters: {', '.join(sorted(unknown))}")
    use_tls = parts.scheme == "smtps"
    start_tls: bool | None = None
    if "starttls" in query:
        if query["starttls"].lower() not in _FLAGS:
            raise ValueError("starttls must be 1 or 0")
        if use_tls:
            raise ValueError("smtps:// is TLS already: no starttls")
        start_tls = _FLAGS[query["starttls"].lower()]
    try:
        timeout = float(query.get("timeout", "10"))
    except ValueError:
        raise ValueError("timeout must be seconds") from None
    if not 0 < timeout <= 300:
        raise ValueError("timeout must be between 0 and 300 seconds")
    if port is None:
        port = 465 if use_tls else (25 if start_tls is False else 587)
    sender = query.get("from") or None
    if sender is not None and "@" not in sender:
        raise ValueError("from must be an e-mail address")
    return SmtpUrl(
        host=parts.hostname,
        port=port,
        use_tls=use_tls,
        start_tls=start_tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        sender=sender,
        timeout=timeout,
    )


async def send(smtp: SmtpUrl, message: EmailMessage, what: str) -> None:
    """Send one message; raise Retry or Failed with an SMTP code, never an address."""
    try:
        errors, _response = await aiosmtplib.send(
            message,
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.use_tls,
            start_tls=smtp.start_tls,
            timeout=smtp.timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as error:
        codes = sorted({e.code for e in error.recipients})
        transient = all(400 <= c < 500 for c in codes)
        reason = f"{what}: recipients refused ({', '.join(map(str, codes))})"
        raise (Retry(reason) if transient else Failed(reason)) from None
    except aiosmtplib.SMTPResponseException as error:
        reason = f"{what}: SMTP {error.code}"
        if 400 <= error.code < 500:
            raise Retry(reason) from None
        raise Failed(reason) from None
    except (aiosmtplib.SMTPConnectError, aiosmtplib.SMTPTimeoutError,
            aiosmtplib.SMTPServerDisconnected, TimeoutError, OSError) as error:
        raise Retry(f"{what}: {type(error).__name__}") from None
    except aiosmtplib.SMTPException as error:  # e.g. STARTTLS required but not offered
        raise Failed(f"{what}: {type(error).__name__}") from None
    if errors:  # some recipients refused, others took it: the message is delivered
        return
