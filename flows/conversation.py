"""The dialogue's data: a conversation's stored state, what comes in, and the turn that goes out.

All of it is plain data that serialises to JSON, so the runtime can store a conversation between
turns and nothing about it lives only in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["VERSION", "ChoiceOut", "Context", "Conversation", "Reply", "Turn"]


# Bumped when the stored form changes; `from_json` brings older conversations up to date.
VERSION = 2
_OLD_PRODUCTS = {"credit": ["credit"], "bi": ["bi"], "both": ["credit", "bi"]}


@dataclass(slots=True)
class Conversation:
    """Everything a conversation has to remember between two messages."""

    state: str = "new"
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    attempts: int = 0
    # What we asked back and wait for: readings of an answer to confirm or choose between
    # ({"question", "options": [{"id", "label", "value"}], "estimated"}), or a command to
    # confirm ({"command": "erase"}).
    pending: dict[str, Any] | None = None
    reference: str | None = None
    lead: dict[str, Any] | None = None
    # Questions where a call was offered already: never twice on one question.
    offered: list[str] = field(default_factory=list)
    # The furthest progress shown, so the count never runs backwards; and where the call-back
    # path started counting.
    progress: tuple[int, int] = (0, 0)
    progress_base: int = 0
    version: int = VERSION

    def to_json(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "state": self.state,
            "answers": self.answers,
            "history": self.history,
            "attempts": self.attempts,
            "pending": self.pending,
            "reference": self.reference,
            "lead": self.lead,
            "offered": self.offered,
            "progress": list(self.progress),
            "progress_base": self.progress_base,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        answers = dict(data.get("answers") or {})
        version = int(data.get("version") or 1)
        pending = data.get("pending")
        if version < 2:
            # Version 1 stored one product word and confirmed values as {"value": ...}.
            product = answers.get("product")
            if product == "callback":
                answers.pop("product")
            elif isinstance(product, str):
                answers["product"] = _OLD_PRODUCTS.get(product, [])
            pending = None
        progress = data.get("progress") or (0, 0)
        return cls(
            state=data.get("state") or "new",
            answers=answers,
            history=[str(h) for h in data.get("history") or []],
            attempts=int(data.get("attempts") or 0),
            pending=pending,
            reference=data.get("reference"),
            lead=data.get("lead"),
            offered=list(data.get("offered") or []),
            progress=(int(progress[0]), int(progress[1])),
            progress_base=int(data.get("progress_base") or 0),
            version=VERSION,
        )


@dataclass(frozen=True, slots=True)
class ChoiceOut:
    id: str
    label: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    choices: tuple[ChoiceOut, ...] = ()


@dataclass(slots=True)
class Turn:
    """What the prospect gets back for one message; a channel only renders it."""

    replies: list[Reply]
    step: str
    progress: tuple[int, int]
    done: bool = False
    lead: dict[str, Any] | None = None
    # Effects for the runtime: erase everything stored about this chat ("vergeet mij").
    erase: bool = False
    # The step asks for a phone number: a channel may offer its own one-tap way to share one.
    input_hint: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "replies": [
                {"text": r.text, "choices": [{"id": c.id, "label": c.label} for c in r.choices]}
                for r in self.replies
            ],
            "step": self.step,
            "progress": {"current": self.progress[0], "total": self.progress[1]},
            "done": self.done,
            "lead": self.lead,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Turn:
        return cls(
            replies=[
                Reply(r["text"], tuple(ChoiceOut(c["id"], c["label"]) for c in r["choices"]))
                for r in data["replies"]
            ],
            step=data["step"],
            progress=(data["progress"]["current"], data["progress"]["total"]),
            done=data["done"],
            lead=data.get("lead"),
        )


def _no_reference() -> str:
    raise RuntimeError("this context cannot issue lead references")


@dataclass(frozen=True, slots=True)
class Context:
    """What the dialogue needs from its surroundings, passed in so flows/ knows no service."""

    broker_name: str = ""  # empty: the catalog's generic "our advisory office"
    # The rest of the broker's profile (bot.config.BrokerProfile.context_fields()); empty:
    # the greeting leaves that sentence out.
    broker_afm_number: str = ""  # registration in the AFM register, e.g. "12345678"
    broker_privacy_url: str = ""  # the privacy statement, linked in the greeting
    broker_phone: str = ""  # a person to call instead, e.g. "020-1234567"
    broker_office_hours: str = ""  # when that phone is answered, e.g. "ma-vr 09:00-17:30"
    channel: str = "cli"
    now: Callable[[], datetime] = datetime.now
    new_reference: Callable[[], str] = _no_reference
