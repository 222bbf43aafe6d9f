"""The target contract: `deliver(event)` returns, or raises `Retry` or `Failed`.

The outbox worker owns retries, back-off and giving up; a target makes one attempt and says how
it went. A target is safe to call again with the same event: it finds what an earlier attempt
made before making anything (HubSpot, Pipedrive), or its receiver deduplicates by the event's
id (webhook), or the message carries an id derived from it (e-mail).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, runtime_checkable

from bot.handoff.events import Event, EventType

__all__ = ["Failed", "Retry", "Target", "TargetError", "timeout_is_retry"]


class TargetError(Exception):
    """A delivery that did not succeed. `reason` is safe to log and store: a status, an error
    code, never personal data or a secret."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Retry(TargetError):
    """Transient: try again later (connection refused, timeout, 408/409/425/429, 5xx, SMTP 4xx).
    `after` is the receiver's wish in seconds (Retry-After), or None."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.after = after


class Failed(TargetError):
    """Permanent: retrying cannot help (another 4xx, a refused token, bad configuration, SMTP
    5xx). The worker marks the row failed and alerts the brokers."""


@runtime_checkable
class Target(Protocol):
    """A place a lead goes. `name` is stable: it is in every event id and outbox row."""

    name: str
    # The event types this target takes; the worker writes no outbox row for the others.
    events: frozenset[EventType]

    async def deliver(self, event: Event) -> None:
        """Deliver one event, once; raise Retry or Failed when it did not arrive."""
        ...


@contextmanager
def timeout_is_retry(what: str) -> Iterator[None]:
    """An `asyncio.timeout` around a delivery that expires becomes `Retry`."""
    try:
        yield
    except TimeoutError:
        raise Retry(f"{what}: timed out") from None
