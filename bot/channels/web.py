"""The web-chat channel: the widget's messages in front of the shared runtime.

A thin adapter, like the Telegram channel: a session token becomes a chat key, a posted message
an `Incoming`, and the runtime's `Turn` goes back as the turn JSON (`Turn.to_json`, the turn
contract). It decides nothing about the dialogue and knows no HTTP: the routes, validation and
protection live in `bot/api.py`, `bot/guard.py` and `bot/http.py`.

- A session is a random token (`secrets.token_urlsafe(32)`, 256 bits). The database holds only
  its SHA-256 (`chat_key`), so a dump of the database hands out no live session.
- The greeting is a recorded turn (message id `open`): the transcript starts with it, and a
  session exists exactly when that turn is stored.
- A message's id is the client's `client_message_id` (prefixed `m:`): the runtime answers a
  repeated id from the stored turn and changes nothing, which is how the widget retries safely.
- Delivery is the HTTP response: a response lost on the way is recovered by the client's retry
  with the same id, so web turns take no part in the runtime's redelivery at start-up.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.config import BrokerProfile
from bot.logs import chat_ref
from bot.runtime import AsyncRuntime, Incoming
from flows.conversation import Turn
from flows.i18n import N_, _

__all__ = ["LABELS", "OPEN_ID", "Entry", "WebChannel", "chat_key", "new_token"]

log = logging.getLogger("intake.web")
T = TypeVar("T")

OPEN_ID = "open"  # the message id of the recorded greeting
MESSAGE_PREFIX = "m:"  # client message ids live apart from "open"
# Sessions known to exist, so a message needs no extra read: bounded, and forgotten after a
# while (another instance may have erased the chat: "vergeet mij").
KNOWN_MAX = 50_000
KNOWN_SECONDS = 300.0

# Every sentence the widget shows around the dialogue; the keys are the widget's contract.
LABELS: dict[str, str] = {
    "launcher": N_("Chat with us"),
    "title": N_("Quick premium indication"),
    "input_label": N_("Your answer"),
    "input_placeholder": N_("Type your answer…"),
    "send": N_("Send"),
    "callback": N_("Call me"),
    "close": N_("Close the chat"),
    "typing": N_("The assistant is typing…"),
    # Translators: {current} and {total} are filled in by the widget; keep them as they are.
    "progress": N_("Question {current} of {total}"),
    "error_retry": N_("Connection lost, trying again…"),
    "error_failed": N_("Your message could not be sent. Please try again later or call us."),
    "retry": N_("Try again"),
    "restart": N_("Start a new conversation"),
}


def new_token() -> str:
    """A fresh session token: 43 URL-safe characters, 256 random bits."""
    return secrets.token_urlsafe(32)


def chat_key(token: str) -> str:
    """The chat key stored for a session: the token's SHA-256, never the token itself. A token
    is 256 random bits, so an unkeyed hash cannot be reversed or guessed."""
    return "web:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    """One step of a transcript: what the prospect said (None for the greeting) and the turn
    that answered it."""

    said: str | None  # the typed text, or the label of the button pressed
    choice: str | None  # the button's id when a button was pressed
    turn: Turn

    def to_json(self) -> dict[str, Any]:
        return {"said": self.said, "choice": self.choice, "turn": self.turn.to_json()}


def _label(turn: Turn | None, choice: str) -> str | None:
    if turn is None:
        return None
    for reply in turn.replies:
        for option in reply.choices:
            if option.id == choice:
                return option.label
    return None


def transcript_entries(rows: list[tuple[dict[str, object] | None, Turn]]) -> list[Entry]:
    """The runtime's transcript rows as entries: a pressed button is shown by the label it
    had in the turn before it."""
    entries: list[Entry] = []
    previous: Turn | None = None
    for said, turn in rows:
        text = said.get("text") if said else None
        choice = said.get("choice") if said else None
        if isinstance(choice, str):
            entries.append(Entry(_label(previous, choice) or choice, choice, turn))
        elif isinstance(text, str):
            entries.append(Entry(text, None, turn))
        else:  # the greeting, or a notice
            entries.append(Entry(None, None, turn))
        previous = turn
    return entries


class WebChannel:
    """Sessions of the web widget over the shared `AsyncRuntime`."""

    def __init__(self, runtime: AsyncRuntime, profile: BrokerProfile | None = None) -> None:
        self.runtime = runtime
        self.profile = profile or runtime.runtime.profile
        self._known: OrderedDict[str, float] = OrderedDict()

    # --- sessions ------------------------------------------------------------------------------

    async def open(self) -> tuple[str, Turn]:
        """A new session: its token and the greeting, recorded as the transcript's first turn."""
        token = new_token()
        key = chat_key(token)
        turn, _replayed = await self.runtime.process(Incoming(key, OPEN_ID))
        self._remember(key)
        return token, turn

    async def send(self, token: str, client_message_id: str, *, text: str | None = None,
                   choice: str | None = None) -> Turn | None:
        """The turn answering a message; None when there is no such session. The same
        `client_message_id` again returns the stored turn and changes nothing."""
        key = chat_key(token)
        if not await self.exists(key):
            return None
        incoming = Incoming(key, MESSAGE_PREFIX + client_message_id, text=text, choice=choice)
        turn, _replayed = await self.runtime.process(incoming)
        if turn.erase:
            # "Vergeet mij": the chat left every table, the session with it.
            self._forget(key)
            log.info("web: session %s ended by erasure", chat_ref(key))
        return turn

    async def restore(self, token: str) -> tuple[list[Entry], Turn] | None:
        """For a page reload: the transcript and the current turn (the last one recorded);
        None when there is no such session (never made, erased, or expired)."""
        key = chat_key(token)
        # In a thread even for SQLite: the transcript's transaction may wait for a writer.
        rows = await asyncio.to_thread(self.runtime.runtime.transcript, key)
        if not rows:
            self._forget(key)
            return None
        self._remember(key)
        return transcript_entries(rows), rows[-1][1]

    async def exists(self, key: str) -> bool:
        """Whether a session's greeting is stored: known in memory, or read once."""
        expires = self._known.get(key)
        if expires is not None and expires > time.monotonic():
            self._known.move_to_end(key)
            return True
        found = await self._read(self.runtime.runtime.delivery, key, OPEN_ID) is not None
        if found:
            self._remember(key)
        else:
            self._forget(key)
        return found

    async def _read(self, fn: Callable[..., T], *args: Any) -> T:
        # A read: in the loop for SQLite (WAL readers never wait for the writer), in a worker
        # thread for a network database, as the runtime does with its turns.
        if self.runtime.offload:
            return await asyncio.to_thread(fn, *args)
        return fn(*args)

    def _remember(self, key: str) -> None:
        self._known[key] = time.monotonic() + KNOWN_SECONDS
        self._known.move_to_end(key)
        while len(self._known) > KNOWN_MAX:
            self._known.popitem(last=False)

    def _forget(self, key: str) -> None:
        self._known.pop(key, None)

    # --- what the widget shows around the dialogue -------------------------------------------

    def config(self) -> dict[str, Any]:
        """The broker profile and every label of the widget, in Dutch from the catalog."""
        return {
            "broker": {
                "name": self.profile.name or _("our advisory office"),
                "color": self.profile.brand_color,
                "phone": self.profile.phone or None,
            },
            "labels": {key: _(message) for key, message in LABELS.items()},
        }
