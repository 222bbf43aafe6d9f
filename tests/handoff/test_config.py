"""Targets from the settings: which are on, in which order, and their secrets kept out of logs."""

from __future__ import annotations

import base64

import pytest

from bot.config import Settings
from bot.handoff import Target, new_client, targets_from_settings
from bot.logs import scrub

SECRET = "whsec_" + base64.b64encode(b"k" * 32).decode()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("INTAKE_"):
            monkeypatch.delenv(name)
    return monkeypatch


async def test_nothing_configured_means_no_targets(clean_env: pytest.MonkeyPatch) -> None:
    async with new_client() as client:
        assert targets_from_settings(Settings(), client) == []


async def test_every_target_on_in_a_fixed_order(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings(
        crm_webhook_url="https://crm.example.nl/hooks/intake", crm_webhook_secret=SECRET,
        hubspot_token="pat-eu1-secret-hubspot", pipedrive_token="pipedrive-secret-token",
        smtp_url="smtps://leads:p%40ss-word-9@mail.example.nl?from=leads%40broker.nl",
        broker_email="a@broker.nl, b@broker.nl")
    async with new_client() as client:
        targets = targets_from_settings(settings, client)
        assert client.timeout.read == 10.0 and client.timeout.connect == 5.0
        assert not client.follow_redirects
    assert [t.name for t in targets] == ["webhook", "hubspot", "pipedrive", "broker_email",
                                         "prospect_email"]
    assert all(isinstance(t, Target) for t in targets)
    assert {t.name for t in targets if "lead.erased" in t.events} == \
        {"webhook", "hubspot", "pipedrive"}
    assert {t.name for t in targets if "lead.claimed" in t.events} == {"webhook"}
    line = f"{SECRET} pat-eu1-secret-hubspot pipedrive-secret-token p@ss-word-9"
    assert scrub(line) == "*** *** *** ***"


@pytest.mark.parametrize(("env", "message"), [
    ({"INTAKE_CRM_WEBHOOK_URL": "https://x.nl/h"}, "INTAKE_CRM_WEBHOOK_SECRET is not"),
    ({"INTAKE_CRM_WEBHOOK_URL": "https://x.nl/h", "INTAKE_CRM_WEBHOOK_SECRET": "hunter2"},
     "whsec_"),
    ({"INTAKE_CRM_WEBHOOK_URL": "ftp://x.nl/h", "INTAKE_CRM_WEBHOOK_SECRET": SECRET},
     "http(s) URL"),
    ({"INTAKE_SMTP_URL": "smtp://mail.example.nl"}, "INTAKE_BROKER_EMAIL is not"),
    ({"INTAKE_SMTP_URL": "imap://mail.example.nl", "INTAKE_BROKER_EMAIL": "a@b.nl"},
     "smtp:// or smtps://"),
    ({"INTAKE_SMTP_URL": "smtps://mail.example.nl?starttls=1", "INTAKE_BROKER_EMAIL": "a@b.nl"},
     "TLS already"),
    ({"INTAKE_SMTP_URL": "smtp://h", "INTAKE_BROKER_EMAIL": "not an address"},
     "e-mail addresses"),
])
def test_bad_settings_name_the_problem_not_the_secret(
        clean_env: pytest.MonkeyPatch, env: dict[str, str], message: str) -> None:
    for name, value in env.items():
        clean_env.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        Settings()

