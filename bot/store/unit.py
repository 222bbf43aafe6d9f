"""What a unit of work writes, shared by SQLite's `Tx` and PostgreSQL's `BatchTx`.

The two differ in how a statement travels (a DB-API cursor, or libpq with the writes batched
until the next read) and so in how they read results; what they write is the same statements
with the same arguments, kept here once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from bot.store.sql import Statement, Statements

__all__ = ["Writes", "dumps", "loads"]


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def loads(raw: str | bytes | None) -> Any:
    return None if raw is None else json.loads(raw)


class Writes:
    """The writing half of the unit of work's vocabulary; a subclass provides `_execute`."""

    __slots__ = ()

    chat_key: str
    _sql: Statements
    _now: Callable[[], Any]

    def _execute(self, stmt: Statement, args: tuple[Any, ...]) -> Any:
        raise NotImplementedError

    def save(self, data: dict[str, Any], existed: bool) -> None:
        if existed:
            self._execute(self._sql.update, (dumps(data), self._now(), self.chat_key))
        else:
            self._execute(self._sql.insert, (self.chat_key, dumps(data), self._now()))

    def record(self, message_id: str, incoming: dict[str, Any] | None,
               turn: dict[str, Any]) -> None:
        """Store the turn a message produced (not yet delivered)."""
        said = None if incoming is None else dumps(incoming)
        self._execute(self._sql.record,
                      (self.chat_key, message_id, said, dumps(turn), self._now()))

    def erase(self) -> None:
        """'Vergeet mij': the conversation, its transcript, its leads and their pending
        hand-offs, gone."""
        for stmt in (self._sql.erase_conversation, self._sql.erase_turns,
                     self._sql.erase_leads, self._sql.erase_outbox):
            self._execute(stmt, (self.chat_key,))

    def insert_lead(self, reference: str, lead: dict[str, Any]) -> None:
        self._execute(self._sql.insert_lead, (reference, self.chat_key, self._now(),
                                              dumps(lead)))

    def enqueue(self, event_id: str, target: str, type: str, reference: str,
                chat_key: str | None, payload: str) -> None:
        """An outbox row (bot/outbox.py), committed with the unit of work."""
        self._execute(self._sql.insert_outbox, (event_id, target, type, reference, chat_key,
                                                payload, self._now()))

    def notify(self) -> None:
        """Wake the outbox workers of other processes at COMMIT (PostgreSQL only)."""
