"""Prometheus metrics: counted around the runtime from the outside, drop-off read at scrape time.

`Metrics` owns a `CollectorRegistry` of its own (never prometheus-client's global one), so two
apps in one process (tests) count separately. `MeteredRuntime` is an `AsyncRuntime` that counts
what passes through `process` and `current`; `bot/runtime.py` knows nothing of metrics.

What is counted (every counter by channel: telegram, web, cli, other):

- `intake_turns_total`: messages answered with a new turn; a redelivered message answered from
  the store is `intake_replayed_messages_total` instead.
- `intake_errors_total`: messages whose turn raised instead of answering.
- `intake_turn_seconds`: from a message reaching the runtime (waiting for the chat's earlier
  messages included) until its turn is committed; sending the reply is not included.
- `intake_conversations_started_total`: turns that open a conversation with the greeting (a new
  chat, or "opnieuw").
- `intake_conversations_completed_total`: conversations that reach the end, with a lead or with
  consent declined.
- `intake_leads_total` (also by intent: quote, callback): leads made.
- `intake_conversations_waiting{step}`: stored conversations that are not done, by the question
  id they wait at (drop-off per question); one grouped query on `conversations` at scrape time,
  cached for a few seconds.
- `intake_webhook_rejected_total{reason}`: webhook requests refused (secret, not an update).
"""

from __future__ import annotations

import asyncio
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.logs import chat_ref
from bot.runtime import AsyncRuntime, Incoming, Runtime
from flows.conversation import Turn
from flows.i18n import _

if TYPE_CHECKING:
    from bot.store import Store

__all__ = ["CHANNELS", "DropOffCollector", "MeteredRuntime", "Metrics"]

log = logging.getLogger("intake.metrics")

CHANNELS = ("telegram", "web", "cli")
TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def _channel(chat_key: str) -> str:
    """A label value from a bounded set, whatever a chat key looks like."""
    channel = chat_key.split(":", 1)[0]
    return channel if channel in CHANNELS else "other"


class Metrics:
    """The service's metrics in a registry of their own; `render()` is the /metrics body."""

    def __init__(self, store: Store | None = None, *, dropoff_ttl: float = 15.0) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.turns = Counter("intake_turns", "Messages answered with a new turn.",
                             ["channel"], registry=r)
        self.replays = Counter("intake_replayed_messages",
                               "Redelivered messages answered from the stored turn.",
                               ["channel"], registry=r)
        self.errors = Counter("intake_errors", "Messages whose turn raised an error.",
                              ["channel"], registry=r)
        self.turn_seconds = Histogram(
            "intake_turn_seconds",
            "Time from a message reaching the runtime until its turn is committed.",
            ["channel"], buckets=TURN_BUCKETS, registry=r)
        self.started = Counter("intake_conversations_started",
                               "Conversations opened with the greeting (new, or started again).",
                               ["channel"], registry=r)
        self.completed = Counter("intake_conversations_completed",
                                 "Conversations that reached the end (lead, or consent declined).",
                                 ["channel"], registry=r)
        self.leads = Counter("intake_leads", "Leads made.", ["channel", "intent"], registry=r)
        self.webhook_rejected = Counter("intake_webhook_rejected",
                                        "Webhook requests refused, by reason.", ["reason"],
                                        registry=r)
        self.handoffs = Counter("intake_handoffs",
                                "Lead hand-off attempts settled, by target and outcome "
                                "(delivered, retry, failed).", ["target", "outcome"],
                                registry=r)
        self.dropoff: DropOffCollector | None = None
        if store is not None:
            self.dropoff = DropOffCollector(store, ttl=dropoff_ttl)
            r.register(self.dropoff)

    def handoff_settled(self, target: str, outcome: str) -> None:
        self.handoffs.labels(target=target, outcome=outcome).inc()

    def render(self) -> bytes:
        """The Prometheus text exposition of every metric (may query the database: call it
        from a worker thread)."""
        return generate_latest(self.registry)


# --- counting around the runtime -------------------------------------------------------------


@cache
def _greeting_pattern(template: str) -> re.Pattern[str]:
    head, _sep, tail = template.partition("%(broker)s")
    return re.compile(re.escape(head) + r".*?" + re.escape(tail), re.DOTALL)


def _is_greeting(turn: Turn) -> bool:
    # The greeting's opening sentence (flows.engine._greeting), whatever the broker's name.
    pattern = _greeting_pattern(
        _("Good day! I am the automated assistant of %(broker)s, not a person."))
    return any(pattern.match(reply.text) for reply in turn.replies)


def _new_lead(turn: Turn, since: datetime) -> dict[str, Any] | None:
    """The turn's lead if it was made in this turn (a finished conversation's later turns
    show the lead made earlier)."""
    lead = turn.lead
    if not turn.done or not lead:
        return None
    try:
        created = datetime.fromisoformat(str(lead["created_at"]))
    except (KeyError, ValueError):
        return None
    if created.tzinfo is None:
        created = created.replace(tzinfo=UTC)
    return lead if created >= since else None


class MeteredRuntime(AsyncRuntime):
    """An AsyncRuntime that counts turns, errors, time per turn, conversations started and
    completed, and leads. Use it wherever an AsyncRuntime goes."""

    def __init__(self, runtime: Runtime, metrics: Metrics, *,
                 offload: bool | None = None) -> None:
        super().__init__(runtime, offload=offload)
        self.metrics = metrics

    async def process(
        self, incoming: Incoming,
        deliver: Callable[[Turn], Awaitable[bool]] | None = None,
    ) -> tuple[Turn, bool]:
        channel = _channel(incoming.chat_key)
        since = datetime.now(UTC)
        start = time.perf_counter()
        committed: float | None = None
        timed = deliver
        if deliver is not None:
            send = deliver

            async def timed_deliver(turn: Turn) -> bool:
                nonlocal committed
                committed = time.perf_counter()  # the turn is committed: sending starts
                return await send(turn)

            timed = timed_deliver
        try:
            turn, replayed = await super().process(incoming, timed)
        except Exception:
            self.metrics.errors.labels(channel).inc()
            raise
        if replayed:
            self.metrics.replays.labels(channel).inc()
            return turn, replayed
        seconds = (committed if committed is not None else time.perf_counter()) - start
        self.metrics.turn_seconds.labels(channel).observe(seconds)
        self.metrics.turns.labels(channel).inc()
        if log.isEnabledFor(logging.DEBUG):
            log.debug("turn", extra={"chat": chat_ref(incoming.chat_key), "channel": channel,
                                     "step": turn.step, "ms": round(seconds * 1000, 2)})
        await self._count(incoming.chat_key, channel, turn, since)
        return turn, replayed

    async def current(self, chat_key: str) -> Turn:
        turn = await super().current(chat_key)
        if _is_greeting(turn):  # a new conversation, opened (web) before its first message
            self.metrics.started.labels(_channel(chat_key)).inc()
        return turn

    async def _count(self, chat_key: str, channel: str, turn: Turn, since: datetime) -> None:
        if _is_greeting(turn):
            self.metrics.started.labels(channel).inc()
        if not turn.done or turn.step != "done":
            return
        lead = _new_lead(turn, since)
        if lead is not None:
            self.metrics.completed.labels(channel).inc()
            intent = lead.get("intent")
            self.metrics.leads.labels(
                channel, intent if intent in ("quote", "callback") else "other").inc()
        elif turn.lead is None and await self._just_finished(chat_key):
            self.metrics.completed.labels(channel).inc()  # consent declined

    async def _just_finished(self, chat_key: str) -> bool:
        """Whether the chat's previous turn was not at the end yet (rare: only done turns
        without a lead ask, i.e. declined consent and what is typed after it)."""
        def previous_step() -> str | None:
            turns = self.runtime.transcript(chat_key)
            return turns[-2][1].step if len(turns) >= 2 else None

        # In a thread even for SQLite: the transcript's transaction may wait for a lock.
        return await asyncio.to_thread(previous_step) != "done"


# --- drop-off, read at scrape time ------------------------------------------------------------


_WAITING = ("intake_conversations_waiting",
            "Stored conversations that are not done, by the step they wait at (drop-off).")

# One grouped query; the state is read from the JSON in the database, not in Python.
_DROPOFF_SQL = {
    "sqlite": "SELECT json_extract(data, '$.state'), count(*) FROM conversations "
              "GROUP BY 1",
    "postgresql": "SELECT CAST(data AS json) ->> 'state', count(*) FROM conversations "
                  "GROUP BY 1",
}
def _steps() -> tuple[str, ...]:
    from flows.flow import current

    return (*(q.id for q in current().questions), "stopped")


class DropOffCollector(Collector):
    """Per step id, how many stored conversations wait there and are not done; counted with one
    grouped query when scraped, cached for `ttl` seconds so frequent scrapes cost nothing."""

    def __init__(self, store: Store, *, ttl: float = 15.0, timeout_ms: int = 5000) -> None:
        self.store = store
        self.ttl = ttl
        self.timeout_ms = timeout_ms
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, int]] | None = None

    def describe(self) -> Iterable[Metric]:
        return [GaugeMetricFamily(*_WAITING, labels=["step"])]

    def collect(self) -> Iterator[Metric]:
        counts = self.counts()
        if counts is None:
            return
        family = GaugeMetricFamily(*_WAITING, labels=["step"])
        for step, n in sorted(counts.items()):
            family.add_metric([step], n)
        yield family

    def counts(self) -> dict[str, int] | None:
        """{step id: conversations waiting there}; every known step listed, zero or not;
        None when the database cannot be read (the metric is left out, /metrics still works)."""
        with self._lock:
            now = time.monotonic()
            if self._cached is not None and now - self._cached[0] < self.ttl:
                return self._cached[1]
            try:
                rows = self._query()
            except Exception as error:  # the database is down: /readyz reports that
                log.warning("metrics: drop-off query failed: %s", type(error).__name__)
                return None
            known = _steps()
            counts = dict.fromkeys(known, 0)
            for state, n in rows:
                if state in ("done", "new", None):
                    continue
                key = state if state in counts else "other"
                counts[key] = counts.get(key, 0) + int(n)
            self._cached = (now, counts)
            return counts

    def _query(self) -> list[tuple[str | None, int]]:
        engine = self.store.engine
        sql = _DROPOFF_SQL[engine.dialect.name]  # the store runs on these two only
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}")
            return [(row[0], int(row[1])) for row in conn.exec_driver_sql(sql)]
