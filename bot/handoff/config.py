"""The configured targets, from the settings (INTAKE_*), in a fixed order."""

from __future__ import annotations

import httpx

from bot.config import Settings
from bot.handoff.base import Target
from bot.handoff.hubspot import HubSpotTarget
from bot.handoff.mail import BrokerMailTarget, ProspectMailTarget
from bot.handoff.pipedrive import PipedriveTarget
from bot.handoff.smtp import parse_smtp_url
from bot.handoff.webhook import WebhookTarget
from bot.logs import register_secret

__all__ = ["TIMEOUT", "new_client", "targets_from_settings"]

# Per request: connecting, each read and write, waiting for a pooled connection.
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def new_client(timeout: httpx.Timeout = TIMEOUT) -> httpx.AsyncClient:
    """The one HTTP client the targets share: explicit timeouts, no redirects followed (a
    redirect is a wrong URL, and would carry a token elsewhere)."""
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False,
                             headers={"user-agent": "intake-handoff/1"})


def targets_from_settings(settings: Settings, client: httpx.AsyncClient) -> list[Target]:
    """Every target whose settings are given: webhook, hubspot, pipedrive, broker_email,
    prospect_email. Their secrets are registered with the log scrubber."""
    targets: list[Target] = []
    if settings.crm_webhook_url and settings.crm_webhook_secret:
        secret = settings.crm_webhook_secret.get_secret_value()
        register_secret(secret)
        targets.append(WebhookTarget(settings.crm_webhook_url, secret, client))
    if settings.hubspot_token:
        token = settings.hubspot_token.get_secret_value()
        register_secret(token)
        targets.append(HubSpotTarget(token, client, base_url=settings.hubspot_base_url))
    if settings.pipedrive_token:
        token = settings.pipedrive_token.get_secret_value()
        register_secret(token)
        targets.append(PipedriveTarget(token, client, base_url=settings.pipedrive_base_url))
    if settings.smtp_url and settings.broker_email:
        smtp = parse_smtp_url(settings.smtp_url.get_secret_value())
        register_secret(smtp.password)
        brokers = [a for a in settings.broker_email.split(",") if a]
        targets.append(BrokerMailTarget(smtp, brokers))
        targets.append(ProspectMailTarget(smtp, brokers, settings.profile))
    return targets
