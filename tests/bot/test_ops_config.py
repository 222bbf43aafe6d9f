"""Operations, configuration: the broker profile and other settings, validated; every setting
documented in the README and shipped in .env.example; the greeting and the consent version."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from pydantic import ValidationError

from bot.config import BrokerProfile, Settings, parse_office_hours
from bot.runtime import Incoming, Runtime
from bot.store import Store
from flows.conversation import Context, Conversation
from flows.engine import step
from flows.i18n import catalog_path
from flows.lead import CONSENT_TEXT_VERSION, consent_text_version
from flows.questions import CONSENT_PROMPT

ROOT = Path(__file__).resolve().parents[2]

PROFILE = BrokerProfile(name="Van Dijk Assurantiën", afm_number="12345678",
                        privacy_url="https://www.vandijk.example/privacy",
                        phone="020-1234567", office_hours="ma-vr 09:00-17:30")

ROUTE = ["beide", "groothandel", "1,2 miljoen", "90", "40", "35%", "overslaan", "80.000",
         "30 dagen", "10%", "0", "90%", "7 ton", "ja", "12 maanden", "48 uur", "ja", "1",
         "Klopt, ga verder", "Jan de Vries", "Vries BV", "jan@vries.nl", "0612345678",
         "overslaan", "ochtend", "ja", "ja"]


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    import os

    for name in list(os.environ):
        if name.startswith("INTAKE_"):
            monkeypatch.delenv(name)
    return monkeypatch


# --- settings ---------------------------------------------------------------------------------


def test_defaults_need_no_environment(clean_env: pytest.MonkeyPatch) -> None:
    settings = Settings()
    assert settings.log_level == "INFO" and settings.log_format == "text"
    assert settings.log_secret is None
    assert settings.retention_days == 30 and settings.lead_retention_days == 730
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.brand_color == "#1f4e79"
    assert settings.profile == BrokerProfile()


def test_the_broker_profile_comes_from_the_environment(clean_env: pytest.MonkeyPatch) -> None:
    for name, value in {
        "INTAKE_BROKER_NAME": "  Van Dijk   Assurantiën ",
        "INTAKE_BROKER_AFM_NUMBER": "12345678",
        "INTAKE_BROKER_PRIVACY_URL": "https://www.vandijk.example/privacy",
        "INTAKE_BROKER_PHONE": "020-1234567",
        "INTAKE_OFFICE_HOURS": "Ma-Vr 9:00 - 17:30",
        "INTAKE_BRAND_COLOR": "#AB12CD",
        "INTAKE_LOG_LEVEL": "debug",
        "INTAKE_LOG_FORMAT": "JSON",
        "INTAKE_RETENTION_DAYS": "14",
        "INTAKE_LEAD_RETENTION_DAYS": "365",
    }.items():
        clean_env.setenv(name, value)
    settings = Settings()
    assert settings.profile == BrokerProfile(
        name="Van Dijk Assurantiën", afm_number="12345678",
        privacy_url="https://www.vandijk.example/privacy", phone="020-1234567",
        office_hours="ma-vr 09:00-17:30", brand_color="#ab12cd")
    assert (settings.log_level, settings.log_format) == ("DEBUG", "json")
    assert (settings.retention_days, settings.lead_retention_days) == (14, 365)


@pytest.mark.parametrize(("name", "value"), [
    ("INTAKE_OFFICE_HOURS", "maandag tot vrijdag"),
    ("INTAKE_OFFICE_HOURS", "ma-vr 17:30-09:00"),
    ("INTAKE_OFFICE_HOURS", "vr-ma 09:00-17:00"),
    ("INTAKE_OFFICE_HOURS", "ma-vr 09:00-25:00"),
    ("INTAKE_OFFICE_HOURS", "xx 09:00-17:00"),
    ("INTAKE_BRAND_COLOR", "blue"),
    ("INTAKE_BRAND_COLOR", "#12345"),
    ("INTAKE_BRAND_COLOR", "#1234567"),
    ("INTAKE_BROKER_AFM_NUMBER", "AFM-123"),
    ("INTAKE_BROKER_PRIVACY_URL", "www.example.nl/privacy"),
    ("INTAKE_BROKER_PRIVACY_URL", "javascript:alert(1)"),
    ("INTAKE_BROKER_PHONE", "bel ons"),
    ("INTAKE_LOG_LEVEL", "LOUD"),
    ("INTAKE_LOG_FORMAT", "xml"),
    ("INTAKE_RETENTION_DAYS", "0"),
    ("INTAKE_LEAD_RETENTION_DAYS", "-1"),
    ("INTAKE_MAX_BODY_BYTES", "10"),
])
def test_invalid_settings_are_refused_naming_the_variable(
    clean_env: pytest.MonkeyPatch, name: str, value: str,
) -> None:
    clean_env.setenv(name, value)
    with pytest.raises(ValidationError) as error:
        Settings()
    fields = {str(e["loc"][0]) for e in error.value.errors()}
    assert fields == {name.removeprefix("INTAKE_").lower()}


def test_an_empty_variable_means_the_default(clean_env: pytest.MonkeyPatch) -> None:
    # docker-compose passes `KEY=` lines of an env file as empty strings.
    for name in ("INTAKE_TELEGRAM_TOKEN", "INTAKE_PORT", "INTAKE_LOG_LEVEL", "INTAKE_BRAND_COLOR",
                 "INTAKE_TELEGRAM_BASE_URL", "INTAKE_OFFICE_HOURS", "INTAKE_LOG_SECRET"):
        clean_env.setenv(name, "")
    settings = Settings()
    assert settings.telegram_token is None and settings.log_secret is None
    assert settings.port == 8000 and settings.log_level == "INFO"
    assert settings.telegram_base_url == "https://api.telegram.org/bot"


def test_office_hours_in_several_spans_and_whether_open() -> None:
    hours = parse_office_hours("ma-do 09:00-17:30; vr 9.00-16.00")
    assert hours.text == "ma-do 09:00-17:30, vr 09:00-16:00"
    assert hours.is_open(datetime(2026, 11, 26, 17, 0))  # a Thursday
    assert not hours.is_open(datetime(2026, 11, 27, 16, 30))  # Friday after four
    assert not hours.is_open(datetime(2026, 11, 28, 11, 0))  # Saturday


# --- documented and shipped -------------------------------------------------------------------


def _variables() -> list[str]:
    return [f"INTAKE_{name.upper()}" for name in Settings.model_fields]


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    missing = [v for v in _variables() if f"`{v}`" not in table]
    assert not missing, f"README's configuration table lacks {missing}"


def test_env_example_ships_every_setting_and_no_secret() -> None:
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    values = dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))
    missing = [v for v in _variables() if v not in values]
    assert not missing, f".env.example lacks {missing}"
    for secret in ("INTAKE_TELEGRAM_TOKEN", "INTAKE_TELEGRAM_SECRET", "INTAKE_LOG_SECRET",
                   "INTAKE_METRICS_TOKEN"):
        assert values[secret] == "", f"{secret} must ship empty"
    assert not any(v.startswith(("'", '"')) for v in values.values()), "no quotes"


def test_env_example_is_a_valid_configuration(clean_env: pytest.MonkeyPatch) -> None:
    lines = (ROOT / ".env.example").read_text("utf-8").splitlines()
    for line in lines:
        if line.startswith("INTAKE_"):
            name, value = line.split("=", 1)
            clean_env.setenv(name, value)
    settings = Settings()
    assert settings.host == "0.0.0.0" and settings.telegram_token is None


def test_the_readme_still_begins_with_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    assert readme.startswith("# intake\n\n```\nbash scripts/serve\nbash scripts/test\n```\n")


# --- the greeting -----------------------------------------------------------------------------


def _greeting(ctx: Context) -> str:
    return step(Conversation(), ctx).replies[0].text


def test_the_greeting_names_broker_afm_wft_privacy_and_a_person_to_call() -> None:
    greeting = _greeting(Context(**PROFILE.context_fields()))
    assert "geautomatiseerde assistent van Van Dijk Assurantiën" in greeting
    assert "AFM" in greeting and "12345678" in greeting
    assert "indicatie, geen advies" in greeting and "Wft" in greeting
    assert "https://www.vandijk.example/privacy" in greeting
    assert "020-1234567 (ma-vr 09:00-17:30)" in greeting
    assert "'hulp'" in greeting


def test_without_a_profile_the_greeting_leaves_those_sentences_out() -> None:
    greeting = _greeting(Context())
    assert "ons adviesbureau" in greeting and "indicatie, geen advies" in greeting
    assert "AFM" not in greeting and "http" not in greeting and "Bel " not in greeting
    only_phone = _greeting(Context(broker_phone="020-1234567"))
    assert "Bel 020-1234567 of typ 'bel mij'" in only_phone


def test_the_service_runtime_greets_with_the_whole_profile(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 'p.sqlite3'}")
    store.upgrade()
    try:
        runtime = Runtime(store, profile=PROFILE)
        turn = runtime.handle(Incoming("cli:p", "m1", text="hallo"))
        assert "12345678" in turn.replies[0].text
        assert "https://www.vandijk.example/privacy" in turn.replies[0].text
    finally:
        store.dispose()


# --- the consent version ----------------------------------------------------------------------


def _catalog_consent() -> str:
    with open(catalog_path(), "rb") as po:
        catalog = read_po(po, locale="nl")
    message = catalog.get(CONSENT_PROMPT)
    assert message is not None and message.string, "the consent question has Dutch"
    return str(message.string)


def test_the_leads_consent_version_is_the_catalogs_current_one(tmp_path: Path) -> None:
    dutch = _catalog_consent()
    expected = consent_text_version(dutch)
    assert re.fullmatch(r"consent-[0-9a-f]{12}", expected)
    assert expected == CONSENT_TEXT_VERSION
    store = Store(f"sqlite:///{tmp_path / 'c.sqlite3'}")
    store.upgrade()
    try:
        runtime = Runtime(store, profile=PROFILE)
        runtime.open("cli:c")
        turn = None
        for i, line in enumerate(ROUTE):
            turn = runtime.handle(Incoming("cli:c", f"m{i}", text=line))
        assert turn is not None and turn.lead is not None, "the route ends in a lead"
        assert turn.lead["consent"]["text_version"] == expected
    finally:
        store.dispose()


def test_a_changed_consent_wording_is_a_new_version() -> None:
    dutch = _catalog_consent()
    assert consent_text_version(dutch) != consent_text_version(dutch.replace("adviseur",
                                                                              "medewerker"))
    # Re-wrapping the catalog's lines is not a change of wording.
    assert consent_text_version(dutch) == consent_text_version(dutch.replace(" ", "\n", 1))
