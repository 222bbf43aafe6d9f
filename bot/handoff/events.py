"""What a target delivers: one event about one lead, with an id that is stable per target.

`Event.id` is the receiver's idempotency key (the webhook's `webhook-id`, the e-mail's
Message-ID): derived from the lead's reference, the event type and the target's name, so every
attempt to deliver the same outbox row carries the same id, and two targets never share one.
`Event.timestamp` is when the event happened (the lead's `created_at`, the claim, the erasure),
not when an attempt was made, so a retried delivery carries exactly the same body.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, get_args

__all__ = ["EVENT_TYPES", "Event", "EventType", "event_id"]

EventType = Literal["lead.created", "lead.callback_requested", "lead.claimed", "lead.erased"]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


def event_id(reference: str, type: EventType, target: str) -> str:
    """`msg_` and 26 base32 characters of SHA-256(reference, type, target): stable, opaque,
    the same for every attempt, different for every target (Standard Webhooks' `msg_` style)."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    digest = hashlib.sha256(f"{reference}\x00{type}\x00{target}".encode()).digest()
    return "msg_" + base64.b32encode(digest).decode("ascii")[:26].lower()


def _utc(moment: datetime | str) -> datetime:
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("event timestamps must be timezone-aware")
    return moment.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Event:
    """One event for one target.

    `data` is JSON-ready: for `lead.created` and `lead.callback_requested` the whole lead
    (`intake.lead/v1`, as `Lead.model_dump(mode="json", by_alias=True)` gives it); for
    `lead.claimed` `{"reference", "claimed_by": {"name", "telegram_user_id"}, "claimed_at"}`;
    for `lead.erased` `{"reference", "erased_at"}` and nothing else.
    """

    type: EventType
    id: str
    timestamp: datetime
    data: Mapping[str, Any] = field(repr=False)  # personal data: never in a repr or a log

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")
        if not isinstance(self.data.get("reference"), str):
            raise ValueError("an event's data carries the lead's reference")
        object.__setattr__(self, "timestamp", _utc(self.timestamp))

    @property
    def reference(self) -> str:
        return str(self.data["reference"])

    @property
    def lead(self) -> Mapping[str, Any]:
        """The lead of a `lead.created` or `lead.callback_requested` event."""
        if self.type not in ("lead.created", "lead.callback_requested"):
            raise ValueError(f"a {self.type} event carries no lead")
        return self.data

    def body(self) -> dict[str, Any]:
        """What the webhook posts: `{"type", "timestamp" (ISO 8601, UTC), "data"}`."""
        stamp = self.timestamp.isoformat().replace("+00:00", "Z")
        return {"type": self.type, "timestamp": stamp, "data": dict(self.data)}

    # --- constructors, one per event type --------------------------------------------------

    @classmethod
    def for_lead(cls, lead: Mapping[str, Any], *, target: str,
                 type: EventType | None = None) -> Event:
        """`lead.created`, or `lead.callback_requested` for a call-back lead (intent
        `callback`) unless `type` says otherwise. `lead` is the lead's JSON form."""
        if type is None:
            type = "lead.callback_requested" if lead.get("intent") == "callback" \
                else "lead.created"
        if type not in ("lead.created", "lead.callback_requested"):
            raise ValueError(f"{type} is not a lead event")
        reference = str(lead["reference"])
        return cls(type, event_id(reference, type, target), _utc(lead["created_at"]),
                   dict(lead))

    @classmethod
    def claimed(cls, reference: str, *, target: str, by: str, at: datetime,
                telegram_user_id: int | None = None) -> Event:
        """A broker took the lead ("Ik bel deze"): who and when."""
        data = {
            "reference": reference,
            "claimed_by": {"name": by, "telegram_user_id": telegram_user_id},
            "claimed_at": _utc(at).isoformat().replace("+00:00", "Z"),
        }
        return cls("lead.claimed", event_id(reference, "lead.claimed", target), at, data)

    @classmethod
    def erased(cls, reference: str, *, target: str, at: datetime) -> Event:
        """The prospect had their data erased ("vergeet mij"): only the reference travels."""
        data = {"reference": reference, "erased_at": _utc(at).isoformat().replace("+00:00", "Z")}
        return cls("lead.erased", event_id(reference, "lead.erased", target), at, data)
