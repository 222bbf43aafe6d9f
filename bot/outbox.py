"""The lead hand-off's delivery: which outbox rows an event makes, and the worker that sends
them (DESIGN, "The lead and its hand-off").

The rows are written in the transaction of what caused them (the final turn, a claim, an
erasure), so a lead exists if and only if its hand-offs do. The worker runs inside
`intake serve`, one per process:

- woken at once: in this process by `wake()` right after the commit; across processes on
  PostgreSQL by `NOTIFY intake_outbox` (sent at the commit) on a `LISTEN` connection; and in any
  case at the next row's due time, and every `POLL` seconds should a notification be lost;
- claims due rows under a lease (`bot/store/outbox.py`: `FOR UPDATE SKIP LOCKED` on
  PostgreSQL), delivers them concurrently, and settles each: delivered; or again later, after an
  exponential back-off with full jitter (or the receiver's Retry-After, if longer); or, after
  `give_up_after` (or a permanent refusal), failed, and the brokers are alerted;
- a process killed mid-delivery leaves leased rows that the next worker takes when the lease
  runs out: at-least-once delivery, made exactly-once at the receiver by the event id
  (`webhook-id`), which every attempt of a row carries.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot.handoff.base import Failed, Retry, Target
from bot.handoff.events import Event, EventType
from bot.store import Store
from bot.store import outbox as table
from bot.store.outbox import Claim, OutboxRow, take_lead

__all__ = ["OutboxWorker", "Route", "claim_lead", "claim_rows", "erased_rows", "lead_rows",
           "routes_of"]

T = TypeVar("T")
log = logging.getLogger("intake.outbox")

POLL = 30.0  # seconds: the longest sleep, should a wake-up be lost


@dataclass(frozen=True, slots=True)
class Route:
    """A configured target's name and the event types it takes."""

    target: str
    events: frozenset[EventType]


def routes_of(targets: Iterable[Target]) -> tuple[Route, ...]:
    return tuple(Route(t.name, frozenset(t.events)) for t in targets)


def _row(event: Event, target: str, chat_key: str | None) -> dict[str, Any]:
    """One outbox row (the columns `Tx.enqueue` and `bot.store.outbox.add` take)."""
    return {
        "event_id": event.id, "target": target, "type": event.type,
        "reference": event.reference, "chat_key": chat_key,
        "payload": json.dumps({"type": event.type, "id": event.id,
                               "timestamp": event.timestamp.isoformat(),
                               "data": dict(event.data)}, ensure_ascii=False),
    }


def _rows(make: Callable[[str], Event], routes: Sequence[Route], type: EventType,
          chat_key: str | None) -> list[dict[str, Any]]:
    """A row per configured target that takes `type`; `make(target)` builds its event."""
    return [_row(make(route.target), route.target, chat_key)
            for route in routes if type in route.events]


def lead_rows(lead: Mapping[str, Any], chat_key: str,
              routes: Sequence[Route]) -> list[dict[str, Any]]:
    """A new lead: `lead.created`, or `lead.callback_requested` for a call-back, per target.
    The rows carry the lead (personal data), so they are keyed by the chat for erasure."""
    type: EventType = "lead.callback_requested" if lead.get("intent") == "callback" \
        else "lead.created"
    return _rows(lambda target: Event.for_lead(lead, target=target, type=type), routes, type,
                 chat_key)


def claim_rows(reference: str, *, by: str, at: datetime, telegram_user_id: int | None,
               chat_key: str | None, routes: Sequence[Route]) -> list[dict[str, Any]]:
    return _rows(lambda target: Event.claimed(reference, target=target, by=by, at=at,
                                              telegram_user_id=telegram_user_id),
                 routes, "lead.claimed", chat_key)


def claim_lead(engine: Any, reference: str, *, by: str, at: datetime,
               routes: Sequence[Route], telegram_user_id: int | None = None) -> Claim:
    """A broker claims a lead ("Ik bel deze", in the Telegram group or the inbox: one and the
    same claim). The first wins; the targets hear `lead.claimed` in the same transaction."""
    def rows(chat_key: str | None) -> list[dict[str, Any]]:
        return claim_rows(reference, by=by, at=at, telegram_user_id=telegram_user_id,
                          chat_key=chat_key, routes=routes)

    return take_lead(engine, reference, by, at, rows)


def erased_rows(reference: str, *, at: datetime,
                routes: Sequence[Route]) -> list[dict[str, Any]]:
    """The erasure passed on: only the reference travels, so the row outlives the chat."""
    return _rows(lambda target: Event.erased(reference, target=target, at=at), routes,
                 "lead.erased", None)


def _event(row: OutboxRow) -> Event:
    payload = row.payload
    return Event(payload["type"], payload["id"], datetime.fromisoformat(payload["timestamp"]),
                 payload["data"])


Alert = Callable[[str, str, str], Awaitable[None]]  # (reference, target, reason)


class OutboxWorker:
    """Delivers this store's outbox rows to `targets` (see the module docstring)."""

    def __init__(self, store: Store, targets: Sequence[Target], *, batch: int = 32,
                 lease: timedelta = timedelta(minutes=2),
                 give_up_after: timedelta = timedelta(hours=24),
                 first_delay: float = 1.0, max_delay: float = 900.0,
                 alert: Alert | None = None,
                 on_settled: Callable[[str, str], None] | None = None) -> None:
        self.store = store
        self.targets = {t.name: t for t in targets}
        self.batch = batch
        self.lease = lease
        self.give_up_after = give_up_after
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.alert = alert
        self.on_settled = on_settled  # (target, outcome): metrics
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._connecting = False
        # Database calls running in worker threads: stop() waits for them, so none still
        # holds a pooled connection when the store is disposed.
        self._inflight: set[asyncio.Future[Any]] = set()

    # --- waking --------------------------------------------------------------------------------

    def wake(self) -> None:
        """Rows were committed: deliver now. Safe from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            if asyncio.get_running_loop() is loop:
                self._wake.set()
                return
        except RuntimeError:
            pass
        loop.call_soon_threadsafe(self._wake.set)

    async def _listen(self) -> None:
        """PostgreSQL: LISTEN on a connection of its own; every NOTIFY wakes the worker."""
        import psycopg

        from bot.store.postgres import OUTBOX_CHANNEL

        url = self.store.engine.url.set(drivername="postgresql")
        dsn = url.render_as_string(hide_password=False)
        delay = 1.0
        while True:
            try:
                # stop() lets a connect in progress finish: psycopg leaves a connection
                # cancelled halfway to the garbage collector.
                self._connecting = True
                try:
                    conn = await psycopg.AsyncConnection.connect(dsn, autocommit=True)
                finally:
                    self._connecting = False
                async with conn:
                    await conn.execute(f"LISTEN {OUTBOX_CHANNEL}")
                    delay = 1.0
                    self._wake.set()  # rows may have come while we were not listening
                    async for _ in conn.notifies():
                        self._wake.set()
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("outbox: LISTEN connection lost (%s); polling meanwhile",
                            type(error).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, POLL)

    # --- the loop ----------------------------------------------------------------------------

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._tasks.append(asyncio.create_task(self.run(), name="outbox"))
        if self.store.dialect == "postgresql":
            self._tasks.append(asyncio.create_task(self._listen(), name="outbox-listen"))

    async def stop(self) -> None:
        for _ in range(200):  # at most 2 s
            if not self._connecting:
                break
            await asyncio.sleep(0.01)
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        await asyncio.gather(*self._inflight, return_exceptions=True)

    async def _db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn` in a worker thread; a cancelled caller leaves it to finish (see stop)."""
        future = asyncio.ensure_future(asyncio.to_thread(fn, *args, **kwargs))
        self._inflight.add(future)
        future.add_done_callback(self._inflight.discard)
        return await asyncio.shield(future)

    async def run(self) -> None:
        self._loop = asyncio.get_running_loop()
        names = tuple(self.targets)
        while True:
            self._wake.clear()
            try:
                rows = await self._db(table.claim, self.store.engine,
                                               limit=self.batch, lease=self.lease,
                                               targets=names)
            except Exception as error:  # the database is away: try again shortly
                log.warning("outbox: claim failed: %s", type(error).__name__)
                rows = []
                await self._sleep(5.0)
                continue
            if rows:
                await asyncio.gather(*(self._deliver(row) for row in rows))
                continue  # more may be due
            await self._sleep(await self._until_next_due(names))

    async def _until_next_due(self, names: tuple[str, ...]) -> float:
        try:
            due = await self._db(table.next_due, self.store.engine, names)
        except Exception:
            return 5.0
        if due is None:
            return POLL
        return min(max((due - datetime.now(UTC)).total_seconds(), 0.0), POLL)

    async def _sleep(self, seconds: float) -> None:
        if seconds <= 0:
            return
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    # --- one row -----------------------------------------------------------------------------

    def backoff(self, attempts: int) -> float:
        """Seconds before attempt `attempts + 1`: exponential, full jitter (AWS's advice:
        spreads the retries of many rows that failed together), at least a tenth of the cap."""
        cap = min(self.max_delay, self.first_delay * 2 ** (attempts - 1))
        return random.uniform(cap / 10, cap)

    async def _deliver(self, row: OutboxRow) -> None:
        target = self.targets.get(row.target)
        engine = self.store.engine
        outcome: str
        if target is None:  # pragma: no cover - claim() takes only configured targets
            return
        try:
            await target.deliver(_event(row))
        except Failed as error:
            await self._give_up(row, error.reason)
            outcome = "failed"
        except Exception as error:
            reason = error.reason if isinstance(error, Retry) else type(error).__name__
            after = error.after if isinstance(error, Retry) else None
            if not isinstance(error, Retry):
                log.warning("outbox: %s to %s raised %s", row.type, row.target,
                            type(error).__name__)
            now = datetime.now(UTC)
            delay = max(self.backoff(row.attempts), after or 0.0)
            if now + timedelta(seconds=delay) - row.created_at > self.give_up_after:
                await self._give_up(row, reason)
                outcome = "failed"
            else:
                await self._db(table.retry, engine, row,
                                        now + timedelta(seconds=delay), reason)
                log.info("outbox: %s %s to %s not delivered (%s), attempt %d; again in %.1f s",
                         row.reference, row.type, row.target, reason, row.attempts, delay)
                outcome = "retry"
        else:
            await self._db(table.done, engine, row)
            log.info("outbox: %s %s delivered to %s (attempt %d)", row.reference, row.type,
                     row.target, row.attempts)
            outcome = "delivered"
        if self.on_settled is not None:
            self.on_settled(row.target, outcome)

    async def _give_up(self, row: OutboxRow, reason: str) -> None:
        await self._db(table.fail, self.store.engine, row, reason)
        log.error("outbox: %s %s to %s failed for good after %d attempts: %s", row.reference,
                  row.type, row.target, row.attempts, reason)
        if self.alert is not None:
            try:
                await self.alert(row.reference, row.target, reason)
            except Exception as error:
                log.error("outbox: could not alert the brokers: %s", type(error).__name__)
