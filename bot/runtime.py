"""The one path for every message: Incoming -> Turn, committed before it is returned.

Lock the chat, then load (DESIGN, aiogram): an in-process lock serialises turns of one chat
between threads, and the store's transaction serialises them between processes. The answer, the
new state and the id of the message that caused it are committed together; a redelivered id is
answered from the stored turn and changes nothing. Nothing about a conversation stays in memory
between turns.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from bot import privacy
from bot.config import BrokerProfile
from bot.logs import chat_ref
from bot.outbox import Route, erased_rows, lead_rows
from bot.store import Busy, ChatSession, Store, Tx
from flows.conversation import Context, Conversation, Turn
from flows.engine import current_turn, step

__all__ = ["AsyncRuntime", "Incoming", "Runtime"]

T = TypeVar("T")
log = logging.getLogger("intake.runtime")
# How long a committed reply may be on its way before a duplicate message sends it itself: the
# original sender died. Telegram's own retry of a webhook comes later than this.
IN_FLIGHT = timedelta(seconds=10)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A prospect's message, as every channel hands it over."""

    chat_key: str  # "<channel>:<id>", e.g. "telegram:123456", "web:<token>", "cli:demo"
    message_id: str
    text: str | None = None
    choice: str | None = None
    notice: str | None = None  # not an answer: "media", "edited", "too_long", ...

    @property
    def channel(self) -> str:
        return self.chat_key.split(":", 1)[0]


class _ChatLocks:
    """One lock per chat that is in use; an idle chat's lock is garbage collected."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: weakref.WeakValueDictionary[str, threading.Lock] = (
            weakref.WeakValueDictionary()
        )

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        with self._guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = threading.Lock()
                self._locks[key] = lock
        with lock:
            yield


class Runtime:
    def __init__(self, store: Store, *, broker_name: str = "",
                 profile: BrokerProfile | None = None, routes: Sequence[Route] = (),
                 on_enqueue: Callable[[], None] | None = None) -> None:
        self.store = store
        # The broker the prospect talks to: its name, AFM number, privacy statement, phone.
        self.profile = profile or BrokerProfile(name=broker_name)
        self._locks = _ChatLocks()
        # The lead hand-off (bot/outbox.py): the configured targets, and who to wake once
        # their rows are committed.
        self.routes = tuple(routes)
        self.on_enqueue = on_enqueue

    def _context(self, tx: Tx, channel: str) -> Context:
        def new_reference() -> str:
            year = datetime.now(UTC).year
            return f"IK-{year}-{tx.next_value(f'lead-{year}'):06d}"

        return Context(**self.profile.context_fields(), channel=channel,
                       now=lambda: datetime.now(UTC), new_reference=new_reference)

    def handle(self, incoming: Incoming) -> Turn:
        """Process one message; the returned turn is already committed."""
        return self.process(incoming)[0]

    def process(self, incoming: Incoming, *, wait: bool = True) -> tuple[Turn, bool]:
        """Process one message: (the committed turn, whether it is a replay of a stored one).

        `wait=False`: raise `Busy` at once when another writer holds the database, instead of
        waiting for it (see AsyncRuntime)."""
        with self._locks.hold(incoming.chat_key), \
                self.store.transaction(incoming.chat_key, wait=wait) as tx:
            stored, data = tx.begin_turn(incoming.message_id)
            if stored is not None:
                return Turn.from_json(stored), True
            conv = Conversation() if data is None else Conversation.from_json(data)
            had_lead = conv.lead is not None
            reference = conv.reference if had_lead else None  # an erasure clears it
            turn = step(conv, self._context(tx, incoming.channel), incoming.text,
                        incoming.choice, incoming.notice)
            said: dict[str, str | None] | None = {"text": incoming.text,
                                                  "choice": incoming.choice}
            if incoming.notice is not None:
                said = {"notice": incoming.notice}
            handoff: list[dict[str, Any]] = []
            if turn.erase:
                # "Vergeet mij": the chat leaves every table, the record of this very turn too
                # (its key is the prospect's id), its pending hand-offs included; a redelivery
                # of it finds an empty chat. The targets that took the lead hear of it.
                tx.erase()
                if reference:
                    handoff = erased_rows(reference, at=datetime.now(UTC),
                                          routes=self.routes)
            else:
                tx.save(conv.to_json(), existed=data is not None)
                if conv.lead is not None and not had_lead and conv.reference:
                    tx.insert_lead(conv.reference, conv.lead)
                    handoff = lead_rows(conv.lead, incoming.chat_key, self.routes)
                tx.record(incoming.message_id, said, turn.to_json())
            for row in handoff:
                tx.enqueue(**row)
            if handoff:
                tx.notify()
        if handoff and self.on_enqueue is not None:
            self.on_enqueue()
        if turn.erase:
            privacy.scrub(self.store)
            log.info("privacy: chat %s erased itself ('vergeet mij')", chat_ref(incoming.chat_key))
        return turn, False

    def open(self, chat_key: str, *, wait: bool = True) -> Turn:
        """The turn to show when a prospect (re)opens a chat: the greeting for a new one, the
        current question for one in progress. Changes nothing for an existing conversation."""
        channel = chat_key.split(":", 1)[0]
        with self._locks.hold(chat_key), self.store.transaction(chat_key, wait=wait) as tx:
            data = tx.load()
            ctx = self._context(tx, channel)
            if data is not None:
                return current_turn(Conversation.from_json(data), ctx)
            conv = Conversation()
            turn = step(conv, ctx)
            tx.save(conv.to_json(), existed=False)
            return turn

    # --- delivery: a committed reply is sent even if the process died before sending it ------

    def claim_delivery(self, chat_key: str, message_id: str, *, wait: bool = True) -> bool:
        """Mark a turn's reply as delivered; False when it already was (someone sent it)."""
        return self.store.mark_delivered(chat_key, message_id, wait=wait)

    def delivery(self, chat_key: str, message_id: str, *,
                 wait: bool = True) -> tuple[bool, datetime] | None:
        """(delivered?, committed at) of a stored turn; None when there is none."""
        return self.store.delivery(chat_key, message_id)

    def release_delivery(self, chat_key: str, message_id: str, *, wait: bool = True) -> None:
        """The send failed after all: the reply counts as not delivered again."""
        self.store.unmark_delivered(chat_key, message_id, wait=wait)

    def undelivered(self, channel: str, max_age: timedelta, *,
                    wait: bool = True) -> list[tuple[str, str, Turn]]:
        """Replies of this channel committed but never confirmed sent, oldest first, no older
        than `max_age`: a reply to a question asked yesterday would only confuse."""
        since = datetime.now(UTC) - max_age
        return [(chat_key, message_id, Turn.from_json(turn))
                for chat_key, message_id, turn in self.store.undelivered(since, channel=channel)]

    def transcript(self, chat_key: str) -> list[tuple[dict[str, object] | None, Turn]]:
        with self.store.transaction(chat_key) as tx:
            return [(said, Turn.from_json(turn)) for said, turn in tx.transcript()]


class AsyncRuntime:
    """The runtime for an event loop: one chat's messages in arrival order, chats concurrently.

    asyncio's lock wakes waiters first come, first served, so two updates of one chat are
    handled in the order they arrived; the blocking database work runs in a worker thread so
    other chats' network I/O goes on meanwhile.
    """

    def __init__(self, runtime: Runtime, *, offload: bool | None = None) -> None:
        self.runtime = runtime
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        # A SQLite turn takes ~0.3 ms of CPU, most of it holding the GIL: running it in the
        # loop is faster than a thread hop and the GIL hand-offs (bench/telegram.py). A network
        # database waits on I/O instead, so its turns go to worker threads.
        self.offload = runtime.store.dialect != "sqlite" if offload is None else offload

    @asynccontextmanager
    async def _across_processes(self, key: str) -> AsyncIterator[ChatSession | None]:
        """On a shared database, the chat is held across processes from the turn to the end of
        its delivery (`Store.try_chat_session`); within this process `_chat` does that. While
        another process holds it, this waits in the loop, holding no thread or connection.
        Yields the held session (None on SQLite, where `_chat` is enough)."""
        if not self.offload:
            yield None
            return
        delay = 0.002
        while (session := await asyncio.to_thread(self.runtime.store.try_chat_session,
                                                  key)) is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
        try:
            yield session
        finally:
            if session.locked:  # else `finish` let go already: no I/O left, no thread needed
                await asyncio.to_thread(session.release)
            else:
                session.release()

    @asynccontextmanager
    async def _chat(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:
            lock = asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    async def _call(self, fn: Callable[..., T], *args: Any) -> T:
        """Run a store-bound call: in the loop for SQLite (faster than a thread hop), but never
        waiting there for a lock another writer holds: then in a thread, where waiting blocks
        nothing else."""
        if self.offload:
            return await asyncio.to_thread(fn, *args)
        try:
            return fn(*args, wait=False)
        except Busy:
            return await asyncio.to_thread(fn, *args)

    async def process(
        self, incoming: Incoming,
        deliver: Callable[[Turn], Awaitable[bool]] | None = None,
    ) -> tuple[Turn, bool]:
        """Process one message and deliver its reply before the chat's next message, so
        replies leave in the order the messages came in.

        `deliver(turn)` sends the reply and says whether it reached the channel. The turn is
        committed before it is sent; once sent it is marked delivered. A redelivered message
        (same id) sends the stored reply only if it was never confirmed sent: the process may
        have died between commit and send.
        """
        async with self._chat(incoming.chat_key), \
                self._across_processes(incoming.chat_key) as session:
            turn, replayed = await self._call(self.runtime.process, incoming)
            if deliver is not None:
                await self._deliver(incoming.chat_key, incoming.message_id, turn, replayed,
                                    deliver, session)
            return turn, replayed

    async def _deliver(self, chat_key: str, message_id: str, turn: Turn, replayed: bool,
                       deliver: Callable[[Turn], Awaitable[bool]],
                       session: ChatSession | None = None) -> None:
        if not replayed:
            if await deliver(turn):
                if session is not None and session.held:
                    # The mark and the chat's release in one round trip.
                    await asyncio.to_thread(self.runtime.store.finish, session, message_id)
                else:
                    await self._call(self.runtime.claim_delivery, chat_key, message_id)
            return
        # A duplicate that reached this process while another one still answers the original
        # (a load balancer, Telegram's retry): give that one the time to confirm its send.
        while True:
            state = await self._call(self.runtime.delivery, chat_key, message_id)
            if state is None or state[0]:
                return
            if datetime.now(UTC) - state[1] > IN_FLIGHT:
                break
            await asyncio.sleep(0.05)
        # Claim first: of two processes that both see the redelivery, one sends.
        if not await self._call(self.runtime.claim_delivery, chat_key, message_id):
            return
        if not await deliver(turn):
            await self._call(self.runtime.release_delivery, chat_key, message_id)

    async def redeliver(self, channel: str,
                        send: Callable[[str, Turn], Awaitable[bool]],
                        max_age: timedelta = timedelta(days=1)) -> int:
        """At start-up: send the replies of `channel` that were committed but never confirmed
        sent (the process died in between), once each. Returns how many were sent."""
        sent = 0
        for chat_key, message_id, turn in await self._call(self.runtime.undelivered, channel,
                                                           max_age):
            async with self._chat(chat_key), self._across_processes(chat_key):
                if not await self._call(self.runtime.claim_delivery, chat_key, message_id):
                    continue
                if await send(chat_key, turn):
                    sent += 1
                else:
                    await self._call(self.runtime.release_delivery, chat_key, message_id)
        return sent

    async def current(self, chat_key: str) -> Turn:
        async with self._chat(chat_key):
            return await self._call(self.runtime.open, chat_key)
