"""The inbox's sessions, CSRF tokens and the limit on failed logins.

- A session is a random token (256 bits) in a cookie, signed with INTAKE_SESSION_SECRET
  (HMAC-SHA256): `<token>.<signature>`. The database keeps only the token's SHA-256 (table
  `broker_sessions`), so neither a dump of the database nor the secret alone makes a session.
  A session ends after `IDLE` without a request, after `LIFETIME` in any case, at logout (the
  row is deleted: the old cookie is refused from then on), and when its user is removed or
  gets a new password.
- CSRF: every form carries `csrf_token`, an HMAC of the session's token (the login form: of a
  nonce in a short-lived cookie of its own); a post without the right one gets 403. The cookies
  are SameSite=Lax as well, so another site's form post does not carry them at all.
- Failed logins are counted per client address and per account in this process's memory, in
  a sliding window; over the limit a login is refused (429) before the password is checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, select, update

from bot.store.schema import broker_sessions, users

__all__ = ["IDLE", "LIFETIME", "FailedLogins", "Session", "Sessions", "sign", "unsign"]

IDLE = timedelta(hours=12)
LIFETIME = timedelta(days=7)
TOUCH_EVERY = timedelta(minutes=5)  # seen_at is written at most this often per session


def _mac(secret: bytes, purpose: str, value: str) -> str:
    digest = hmac.new(secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def sign(secret: bytes, value: str) -> str:
    """`value.<signature>`."""
    return f"{value}.{_mac(secret, 'cookie', value)}"


def unsign(secret: bytes, signed: str | None) -> str | None:
    """The value when the signature is ours, else None."""
    if not signed or "." not in signed or len(signed) > 200:
        return None
    value, _, signature = signed.rpartition(".")
    if not hmac.compare_digest(signature.encode(), _mac(secret, "cookie", value).encode()):
        return None
    return value


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Session:
    """A logged-in broker: who, and the token their forms' CSRF tokens are made from."""

    user_id: int
    email: str
    token: str
    csrf: str


class Sessions:
    """Sessions in the database (see the module docstring). Blocking: call in a thread."""

    def __init__(self, engine: Any, secret: bytes, *, idle: timedelta = IDLE,
                 lifetime: timedelta = LIFETIME,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine = engine
        self.secret = secret
        self.idle = idle
        self.lifetime = lifetime
        self.clock = clock

    def csrf(self, token: str) -> str:
        return _mac(self.secret, "csrf", token)

    def login_csrf(self, nonce: str) -> str:
        return _mac(self.secret, "login", nonce)

    def create(self, user_id: int) -> str:
        """A new session for this user: the cookie's value."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        with self.engine.begin() as conn:
            # Sessions of this user that ran out go now (no separate clean-up job needed).
            conn.execute(delete(broker_sessions).where(and_(
                broker_sessions.c.user_id == user_id,
                broker_sessions.c.seen_at < now - self.idle)))
            conn.execute(broker_sessions.insert().values(
                token_hash=_hash(token), user_id=user_id, created_at=now, seen_at=now))
        return sign(self.secret, token)

    def resolve(self, cookie: str | None) -> Session | None:
        """The session this cookie stands for, if it is signed by us, known and not expired."""
        token = unsign(self.secret, cookie)
        if token is None:
            return None
        key = _hash(token)
        now = self.clock()
        s = broker_sessions.c
        with self.engine.connect() as conn:
            row = conn.execute(select(s.user_id, s.created_at, s.seen_at, users.c.email)
                               .join(users, users.c.id == s.user_id)
                               .where(s.token_hash == key)).first()
        if row is None:
            return None
        if row.seen_at < now - self.idle or row.created_at < now - self.lifetime:
            self.drop(cookie)
            return None
        if row.seen_at < now - TOUCH_EVERY:
            with self.engine.begin() as conn:
                conn.execute(update(broker_sessions).where(s.token_hash == key)
                             .values(seen_at=now))
        return Session(row.user_id, row.email, token, self.csrf(token))

    def drop(self, cookie: str | None) -> None:
        """Logout: the session is gone from the database; its cookie is refused from now on."""
        token = unsign(self.secret, cookie)
        if token is None:
            return
        with self.engine.begin() as conn:
            conn.execute(delete(broker_sessions)
                         .where(broker_sessions.c.token_hash == _hash(token)))


class FailedLogins:
    """Failed logins per key (an address, an account) in a sliding window, in memory."""

    def __init__(self, limit: int, window: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        failures = self._failures.get(key)
        if failures is None:
            return deque()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            del self._failures[key]
        return failures

    def wait(self, key: str) -> float:
        """0.0 when another attempt may be made, else the seconds until one may."""
        if self.limit <= 0:
            return 0.0
        failures = self._recent(key)
        if len(failures) < self.limit:
            return 0.0
        return max(1.0, failures[0] + self.window - self.clock())

    def failed(self, key: str) -> None:
        if self.limit <= 0:
            return
        self._recent(key)
        if len(self._failures) > 100_000:  # a flood of addresses: forget the oldest half
            for stale in list(self._failures)[:50_000]:
                del self._failures[stale]
        self._failures.setdefault(key, deque()).append(self.clock())

    def clear(self, key: str) -> None:
        self._failures.pop(key, None)
