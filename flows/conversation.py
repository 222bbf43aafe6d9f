"""The dialogue's data: a conversation's stored state, what comes in, and the turn that goes out.

All of it is plain data that serialises to JSON, so the runtime can store a conversation between
turns and nothing about it lives only in memory.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

__all__ = ["ChoiceOut", "Context", "Conversation", "Reply", "Turn"]


@dataclass(slots=True)
class Conversation:
    """Everything a conversation has to remember between two messages."""

    state: str = ""
    answers: dict[str, Any] = field(default_factory=dict)
    history: list[str] = field(default_factory=list)
    attempts: int = 0
    # A value we asked the prospect to confirm ("Bedoelt u € 1.500.000?"), for the current question.
    pending: dict[str, Any] | None = None
    reference: str | None = None
    lead: dict[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "answers": self.answers,
            "history": self.history,
            "attempts": self.attempts,
            "pending": self.pending,
            "reference": self.reference,
            "lead": self.lead,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Conversation:
        return cls(
            state=data.get("state", ""),
            answers=dict(data.get("answers") or {}),
            history=list(data.get("history") or []),
            attempts=int(data.get("attempts") or 0),
            pending=data.get("pending"),
            reference=data.get("reference"),
            lead=data.get("lead"),
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

    broker_name: str = ""  # empty: the catalog's generic "your insurance adviser"
    channel: str = "cli"
    now: Callable[[], datetime] = datetime.now
    new_reference: Callable[[], str] = _no_reference
