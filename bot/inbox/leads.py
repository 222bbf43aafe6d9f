"""What the inbox reads and writes about leads: the list, one lead with its history and
transcript, a status change. Blocking SQLAlchemy Core on the store's engine: call in a thread.

A claim is not here: it is `bot.store.outbox.take_lead`, shared with the brokers' Telegram
group, so the two are one and the same claim.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update

from bot.store.schema import LEAD_STATUSES, lead_status, leads, turns

__all__ = ["CHANNELS", "Change", "LeadRow", "Said", "channel_of", "history", "lead_rows",
           "load_lead", "set_status", "transcript"]

# The channels a lead can come from: the chat key's prefix (`web:<hash>`, `telegram:<id>`).
CHANNELS = ("web", "telegram", "cli")


@dataclass(frozen=True, slots=True)
class LeadRow:
    """A lead as the list and the export show it."""

    reference: str
    chat_key: str
    created_at: datetime
    status: str
    claimed_by: str | None
    claimed_at: datetime | None
    data: dict[str, Any]

    @property
    def channel(self) -> str:
        return channel_of(self.chat_key, self.data)


@dataclass(frozen=True, slots=True)
class Change:
    """One status change of a lead."""

    status: str
    by: str
    at: datetime


@dataclass(frozen=True, slots=True)
class Said:
    """One line of a transcript: who (prospect or assistant) and what."""

    who: str  # "prospect" | "assistant"
    text: str
    buttons: tuple[str, ...] = ()


def channel_of(chat_key: str, data: dict[str, Any] | None = None) -> str:
    channel = (data or {}).get("channel")
    if isinstance(channel, str) and channel:
        return channel
    return chat_key.partition(":")[0]


def _row(r: Any) -> LeadRow:
    try:
        data = json.loads(r.data)
    except ValueError:
        data = {}
    return LeadRow(r.reference, r.chat_key, r.created_at, r.status, r.claimed_by, r.claimed_at,
                   data if isinstance(data, dict) else {})


def _filtered(query: Any, status: str | None, channel: str | None) -> Any:
    c = leads.c
    if status in LEAD_STATUSES:
        query = query.where(c.status == status)
    if channel in CHANNELS:
        # The chat key's prefix as a range (no LIKE: no wildcards, no case folding), as
        # Store.undelivered does.
        query = query.where(c.chat_key >= f"{channel}:", c.chat_key < f"{channel};")
    return query


_COLUMNS = (leads.c.reference, leads.c.chat_key, leads.c.created_at, leads.c.status,
            leads.c.claimed_by, leads.c.claimed_at, leads.c.data)


def lead_rows(engine: Any, *, status: str | None = None, channel: str | None = None,
              limit: int | None = 100, offset: int = 0) -> tuple[list[LeadRow], int]:
    """Leads newest first (filtered), and how many match in all."""
    query = _filtered(select(*_COLUMNS), status, channel) \
        .order_by(leads.c.created_at.desc(), leads.c.reference.desc()).offset(offset)
    if limit is not None:
        query = query.limit(limit)
    count = _filtered(select(func.count()).select_from(leads), status, channel)
    with engine.connect() as conn:
        rows = [_row(r) for r in conn.execute(query)]
        total = int(conn.execute(count).scalar_one())
    return rows, total


def iter_leads(engine: Any, *, status: str | None = None,
               channel: str | None = None) -> Iterator[LeadRow]:
    """Every matching lead, newest first, read in batches (the export)."""
    offset = 0
    while True:
        batch, _total = lead_rows(engine, status=status, channel=channel, limit=500,
                                  offset=offset)
        yield from batch
        if len(batch) < 500:
            return
        offset += len(batch)


def load_lead(engine: Any, reference: str) -> LeadRow | None:
    with engine.connect() as conn:
        row = conn.execute(select(*_COLUMNS).where(leads.c.reference == reference)).first()
    return None if row is None else _row(row)


def history(engine: Any, reference: str) -> list[Change]:
    """The lead's status changes, oldest first."""
    s = lead_status.c
    with engine.connect() as conn:
        rows = conn.execute(select(s.status, s.by, s.at).where(s.reference == reference)
                            .order_by(s.at, s.id)).all()
    return [Change(r.status, r.by, r.at) for r in rows]


def set_status(engine: Any, reference: str, status: str, by: str, at: datetime) -> bool | None:
    """Change the lead's status and record it. None: no such lead; False: it already had this
    status (nothing recorded); True: changed."""
    if status not in LEAD_STATUSES:
        raise ValueError(f"unknown status {status!r}")
    c = leads.c
    with engine.begin() as conn:
        changed = conn.execute(update(leads).where(c.reference == reference, c.status != status)
                               .values(status=status)).rowcount
        if not changed:
            exists = conn.execute(select(c.reference).where(c.reference == reference)).first()
            return None if exists is None else False
        conn.execute(lead_status.insert().values(reference=reference, status=status, by=by,
                                                 at=at))
    return True


def _label(turn: dict[str, Any] | None, choice: str) -> str | None:
    for reply in (turn or {}).get("replies") or ():
        for option in reply.get("choices") or ():
            if option.get("id") == choice:
                return str(option.get("label", ""))
    return None


def transcript(engine: Any, chat_key: str) -> list[Said]:
    """The whole conversation behind a lead, oldest first: what the prospect typed (or the
    label of the button pressed) and what the assistant answered, with its buttons."""
    t = turns.c
    with engine.connect() as conn:
        rows = conn.execute(select(t.incoming, t.turn).where(t.chat_key == chat_key)
                            .order_by(t.id)).all()
    lines: list[Said] = []
    previous: dict[str, Any] | None = None
    for raw_in, raw_turn in rows:
        incoming = json.loads(raw_in) if raw_in else None
        turn = json.loads(raw_turn)
        if isinstance(incoming, dict):
            choice, text = incoming.get("choice"), incoming.get("text")
            if isinstance(choice, str):
                lines.append(Said("prospect", _label(previous, choice) or choice))
            elif isinstance(text, str):
                lines.append(Said("prospect", text))
        for reply in turn.get("replies") or ():
            lines.append(Said("assistant", str(reply.get("text", "")),
                              tuple(str(o.get("label", "")) for o in reply.get("choices") or ())))
        previous = turn
    return lines
