"""HTTP for the targets: one request, its failure classified as Retry or Failed."""

from __future__ import annotations

import email.utils
import json
from datetime import UTC, datetime
from typing import Any

import httpx

from bot.handoff.base import Failed, Retry
from bot.logs import scrub

__all__ = ["TRANSIENT", "check", "request", "retry_after"]

# Statuses worth another attempt besides 5xx: request timeout, conflict (a concurrent change),
# too early, too many requests.
TRANSIENT = frozenset({408, 409, 425, 429})
MAX_DETAIL = 160


def retry_after(response: httpx.Response) -> float | None:
    """Retry-After in seconds (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _detail(response: httpx.Response) -> str:
    """A vendor's error code (HubSpot `category`, Pipedrive `error`), scrubbed and cut short:
    enough for an operator to fix a configuration, no personal data."""
    try:
        body: Any = response.json()
    except (ValueError, json.JSONDecodeError):
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("category", "error", "message") if body.get(k)]
    text = scrub(" ".join(parts))
    return f" ({text[:MAX_DETAIL]})" if text else ""


def check(response: httpx.Response, what: str, *, ok: frozenset[int] = frozenset()) -> None:
    """Return for 2xx (and the statuses in `ok`); raise Retry for transient statuses and
    Failed for the rest (a redirect counts as a wrong URL)."""
    status = response.status_code
    if 200 <= status < 300 or status in ok:
        return
    reason = f"{what}: HTTP {status}{_detail(response)}"
    if status in TRANSIENT or status >= 500:
        raise Retry(reason, after=retry_after(response))
    raise Failed(reason)


async def request(client: httpx.AsyncClient, method: str, url: str, what: str,
                  **kwargs: Any) -> httpx.Response:
    """One request; a timeout or connection failure is Retry, never an httpx exception."""
    try:
        return await client.request(method, url, **kwargs)
    except httpx.TimeoutException as error:
        raise Retry(f"{what}: {type(error).__name__}") from None
    except httpx.UnsupportedProtocol:
        raise Failed(f"{what}: the URL is not http(s)") from None
    except httpx.TransportError as error:  # refused, reset, DNS, TLS
        raise Retry(f"{what}: {type(error).__name__}") from None
    except httpx.InvalidURL:
        raise Failed(f"{what}: invalid URL") from None
