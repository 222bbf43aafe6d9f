"""Protection of the web server: security headers, CORS for the widget's origins, rate limits.

Plain ASGI middleware (no per-request objects beyond what a check needs), in this order around
the app (outermost first): `SecurityHeaders` (every response, errors included), `BodyLimit`
(bot/http.py), `Cors`, `RateLimit`.

- `SecurityHeaders`: a Content-Security-Policy without 'unsafe-inline' (the widget's script and
  style are files), nosniff, no referrer, no framing by other sites; API responses are not
  cached (they carry what a prospect typed).
- `Cors`: under /api/ a browser's cross-origin request is answered only for an origin listed in
  INTAKE_WIDGET_ORIGINS or the server's own origin (the Host it was asked for). Anything else is
  refused with 403 and no Access-Control-Allow-Origin, preflight or not, so another website can
  neither read the API nor make it start conversations.
- `RateLimit`: token buckets in this process's memory, one per chat session and one per client
  address (loopback exempt: a reverse proxy on the same host must send X-Forwarded-For, which
  uvicorn believes from INTAKE_FORWARDED_ALLOW_IPS). 429 with Retry-After. Several instances
  each count their own share: the limits are a guard against abuse, not a quota.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import math
import re
import time
from collections.abc import Callable, Iterable
from functools import lru_cache
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["CSP", "Buckets", "Cors", "RateLimit", "SecurityHeaders", "own_origin"]

API_PREFIX = "/api/"

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'self'")

_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"SAMEORIGIN"),
]
_NO_STORE = (b"cache-control", b"no-store")


def _json(status: int, body: dict[str, object],
          headers: Iterable[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    raw = json.dumps(body).encode()
    start: Message = {"type": "http.response.start", "status": status, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
        *headers]}
    return start, {"type": "http.response.body", "body": raw}


async def _send_all(send: Send, messages: tuple[Message, Message]) -> None:
    for message in messages:
        await send(message)


class SecurityHeaders:
    """Adds the security headers to every response (a header the app set itself stays)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = scope["path"].startswith(API_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _value in headers}
                headers += [h for h in _HEADERS if h[0] not in present]
                if api and b"cache-control" not in present:
                    headers.append(_NO_STORE)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


@lru_cache(maxsize=1024)
def _origin_parts(origin: str) -> tuple[str, str, int] | None:
    try:
        parts = urlsplit(origin)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    default = 443 if parts.scheme == "https" else 80
    return parts.scheme, parts.hostname.lower(), port if port is not None else default


def own_origin(origin: str, host: str | None) -> bool:
    """Whether `origin` is this server as the browser addressed it (its Host header). Behind a
    reverse proxy the Host must be passed on (nginx: `proxy_set_header Host $host`)."""
    if not host:
        return False
    parts = _origin_parts(origin)
    if parts is None:
        return False
    scheme, hostname, port = parts
    seen = _origin_parts(f"{scheme}://{host}")
    return seen is not None and seen[1] == hostname and seen[2] == port


class Cors:
    """CORS for /api/: listed origins and our own are allowed; any other origin is refused."""

    def __init__(self, app: ASGIApp, origins: Iterable[str] = (), max_age: int = 600) -> None:
        self.app = app
        self.origins = frozenset(o.lower() for o in origins)
        self.max_age = str(max_age).encode()

    def allowed(self, origin: str, scope: Scope) -> bool:
        return origin.lower() in self.origins or own_origin(origin, _header(scope, b"host"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:  # not a browser's cross-origin request: curl, a server, a test
            await self.app(scope, receive, send)
            return
        allowed = self.allowed(origin, scope)
        vary = (b"vary", b"Origin")
        preflight = (scope["method"] == "OPTIONS"
                     and _header(scope, b"access-control-request-method") is not None)
        if not allowed:
            await _send_all(send, _json(403, {
                "error": "origin_refused",
                "detail": "this origin is not in INTAKE_WIDGET_ORIGINS"}, [vary]))
            return
        allow_origin = (b"access-control-allow-origin", origin.encode("latin-1"))
        if preflight:
            await send({"type": "http.response.start", "status": 204, "headers": [
                allow_origin, vary,
                (b"access-control-allow-methods", b"GET, POST"),
                (b"access-control-allow-headers", b"Content-Type"),
                (b"access-control-max-age", self.max_age),
            ]})
            await send({"type": "http.response.body", "body": b""})
            return

        async def with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), allow_origin, vary,
                                      (b"access-control-expose-headers", b"Retry-After")]
            await send(message)

        await self.app(scope, receive, with_cors)


class Buckets:
    """Token buckets by key: `per_minute` requests a minute on average, in bursts of up to a
    minute's worth. Idle (full) buckets are dropped, so memory follows the active keys."""

    SWEEP_SECONDS = 60.0

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self._buckets: dict[object, tuple[float, float]] = {}
        self._swept = clock()

    def __len__(self) -> int:
        return len(self._buckets)

    def take(self, key: object) -> float:
        """Take a token: 0.0 when granted, else the seconds until the next one."""
        now = self.clock()
        tokens, stamp = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - stamp) * self.rate)
        if now - self._swept > self.SWEEP_SECONDS:
            self._sweep(now)
        if tokens >= 1.0:
            self._buckets[key] = (tokens - 1.0, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _sweep(self, now: float) -> None:
        self._swept = now
        full = [k for k, (tokens, stamp) in self._buckets.items()
                if tokens + (now - stamp) * self.rate >= self.capacity]
        for key in full:
            del self._buckets[key]


@lru_cache(maxsize=4096)
def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


_SESSION_PATH = re.compile(r"^/api/v1/chat/sessions/([^/]+)")


class RateLimit:
    """429 with Retry-After once a session or a client address is over its limit (/api/ only).

    The session's bucket is keyed by a hash of the token from the path (the token itself is
    not kept); an unknown token is counted too, so guessing costs the guesser's own budget."""

    def __init__(self, app: ASGIApp, *, per_session: int = 60, per_address: int = 600,
                 exempt_loopback: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.app = app
        self.sessions = Buckets(per_session, clock) if per_session > 0 else None
        self.addresses = Buckets(per_address, clock) if per_address > 0 else None
        self.exempt_loopback = exempt_loopback

    def wait(self, scope: Scope) -> float:
        """0.0 when the request may pass, else the seconds to wait."""
        wait = 0.0
        if self.addresses is not None:
            client = scope.get("client")
            address = client[0] if client else ""
            if not (self.exempt_loopback and _is_loopback(address)):
                wait = self.addresses.take(address)
        if self.sessions is not None and not wait:
            match = _SESSION_PATH.match(scope["path"])
            if match is not None:
                key = hashlib.sha256(match[1].encode("utf-8", "surrogatepass")).digest()[:16]
                wait = self.sessions.take(key)
        return wait

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        wait = self.wait(scope)
        if wait:
            seconds = max(1, math.ceil(wait))
            await _send_all(send, _json(429, {
                "error": "rate_limited", "detail": f"too many requests; retry in {seconds} s"},
                [(b"retry-after", str(seconds).encode())]))
            return
        await self.app(scope, receive, send)
