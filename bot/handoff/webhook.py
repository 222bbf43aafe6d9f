"""The generic webhook, signed the Standard Webhooks way (standardwebhooks.com).

    POST <INTAKE_CRM_WEBHOOK_URL>
    content-type: application/json
    webhook-id: msg_...            stable per lead, event and target: the idempotency key
    webhook-timestamp: 1795430000  unix seconds of this attempt
    webhook-signature: v1,<base64 HMAC-SHA256(key, "<id>.<timestamp>.<body>")>

    {"type": "lead.created", "timestamp": "2026-11-23T10:30:00Z", "data": {...the lead...}}

The key is the base64 after `whsec_` in INTAKE_CRM_WEBHOOK_SECRET. A receiver verifies with the
`standardwebhooks` library of its language (docs/handoff.md has a Python receiver). A 2xx is
success, and so is 409 (the receiver already has this webhook-id); 408, 425, 429 (with
Retry-After) and 5xx are retried; any other status is permanent.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import httpx
from standardwebhooks import Webhook

from bot.handoff._http import check, request
from bot.handoff.base import Failed
from bot.handoff.events import EVENT_TYPES, Event, EventType

__all__ = ["WebhookTarget", "encode", "signed_headers"]

log = logging.getLogger("intake.handoff.webhook")
USER_AGENT = "intake-webhook/1"


def encode(event: Event) -> str:
    """The body exactly as sent and signed: compact JSON, UTF-8 as is."""
    return json.dumps(event.body(), ensure_ascii=False, separators=(",", ":"))


def signed_headers(signer: Webhook, event: Event, body: str,
                   now: datetime | None = None) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt (signed at `now`, default: now)."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    return {
        "webhook-id": event.id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signer.sign(event.id, moment, body),
    }


class WebhookTarget:
    """Posts every event to one URL, signed with one secret."""

    events: frozenset[EventType] = frozenset(EVENT_TYPES)

    def __init__(self, url: str, secret: str, client: httpx.AsyncClient, *,
                 name: str = "webhook") -> None:
        if not secret.startswith("whsec_"):
            raise Failed("webhook: the secret is not whsec_<base64>")
        try:
            self._signer = Webhook(secret)
        except Exception:  # standardwebhooks raises bare errors for bad base64 or empty keys
            raise Failed("webhook: the secret is not whsec_<base64>") from None
        self.name = name
        self._url = url
        self._client = client

    async def deliver(self, event: Event) -> None:
        body = encode(event)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            **signed_headers(self._signer, event, body),
        }
        response = await request(self._client, "POST", self._url, "webhook",
                                 content=body.encode("utf-8"), headers=headers)
        # 409: the receiver already has this webhook-id, which is what a retry hopes for.
        check(response, "webhook", ok=frozenset({409}))
        log.info("webhook delivered", extra={"reference": event.reference, "event": event.type,
                                             "status": response.status_code})
