"""Lead hand-off targets: where a finished lead goes, one delivery attempt at a time.

This package knows nothing of the store or the outbox worker: the worker claims an outbox row,
builds an `Event` for the row's target and calls `target.deliver(event)`. The interface:

    Event.for_lead(lead_json, target=name)            lead.created / lead.callback_requested
    Event.claimed(reference, target=name, by=..., at=..., telegram_user_id=...)
    Event.erased(reference, target=name, at=...)
    event.id          stable per (reference, type, target): the idempotency key (webhook-id)

    class Target(Protocol):
        name: str                                     stable: in every event id and outbox row
        events: frozenset[EventType]                  the event types it takes
        async def deliver(self, event: Event) -> None
            returns when delivered; raises Retry(reason, after=seconds | None) for transient
            failures and Failed(reason) for permanent ones; `reason` holds no personal data

    targets_from_settings(settings, client) -> list[Target]    the configured ones, in order
    new_client() -> httpx.AsyncClient                           explicit timeouts, for sharing

Targets: `WebhookTarget` (Standard Webhooks), `HubSpotTarget`, `PipedriveTarget`,
`BrokerMailTarget` and `ProspectMailTarget` (SMTP). Each HTTP target takes one shared
`httpx.AsyncClient`; a retried delivery never makes a second deal, lead or stored webhook.
docs/handoff.md describes what each receives.
"""

from bot.handoff.base import Failed, Retry, Target, TargetError
from bot.handoff.config import new_client, targets_from_settings
from bot.handoff.events import EVENT_TYPES, Event, EventType, event_id
from bot.handoff.hubspot import HubSpotTarget
from bot.handoff.mail import BrokerMailTarget, ProspectMailTarget
from bot.handoff.pipedrive import PipedriveTarget
from bot.handoff.webhook import WebhookTarget

__all__ = [
    "EVENT_TYPES",
    "BrokerMailTarget",
    "Event",
    "EventType",
    "Failed",
    "HubSpotTarget",
    "PipedriveTarget",
    "ProspectMailTarget",
    "Retry",
    "Target",
    "TargetError",
    "WebhookTarget",
    "event_id",
    "new_client",
    "targets_from_settings",
]
