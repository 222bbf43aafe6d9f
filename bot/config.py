"""Settings: INTAKE_* environment variables, with an embedded default for everything but secrets.

Every setting is listed in the README's configuration table and in `.env.example`. An empty
variable counts as unset (docker-compose passes `KEY=` lines from an env file as empty strings),
so `.env.example` can list every setting without switching anything on.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
from dataclasses import dataclass
from typing import Literal, TypedDict
from urllib.parse import urlsplit

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# The office hours are read in flows/ (the dialogue places call-back windows in them); the
# setting is validated here with the same parser.
from flows.office_hours import OfficeHours, OfficeSpan, parse_office_hours

__all__ = ["BrokerProfile", "ContextFields", "OfficeHours", "OfficeSpan", "Settings",
           "parse_office_hours", "parse_origins"]

MIB = 1024 * 1024


def parse_origins(text: str) -> list[str]:
    """`https://www.broker.nl, http://localhost:8080` -> normalised origins (scheme, host, port;
    lower case, default ports dropped). Raises ValueError naming what is not an origin."""
    origins = []
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        parts = urlsplit(item)
        if (parts.scheme not in ("http", "https") or not parts.hostname
                or parts.path not in ("", "/") or parts.query or parts.fragment
                or parts.username is not None):
            raise ValueError(f"{item!r} is not an origin like https://www.example.nl")
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"{item!r} has a bad port") from None
        default = 443 if parts.scheme == "https" else 80
        host = parts.hostname
        if ":" in host:
            host = f"[{host}]"
        origin = f"{parts.scheme}://{host}"
        if port is not None and port != default:
            origin += f":{port}"
        origins.append(origin)
    return list(dict.fromkeys(origins))


class ContextFields(TypedDict):
    """The fields of `flows.conversation.Context` that carry the broker profile."""

    broker_name: str
    broker_afm_number: str
    broker_privacy_url: str
    broker_phone: str
    broker_office_hours: str


@dataclass(frozen=True, slots=True)
class BrokerProfile:
    """Who the prospect is talking to: the broker's name, AFM registration, privacy statement,
    phone and office hours, and the widget's colour. Empty strings mean "not configured"; the
    dialogue then leaves that sentence out (the name falls back to the catalog's generic one)."""

    name: str = ""
    afm_number: str = ""
    privacy_url: str = ""
    phone: str = ""
    office_hours: str = ""
    brand_color: str = "#1f4e79"

    def context_fields(self) -> ContextFields:
        """The keyword arguments of `flows.conversation.Context` that carry this profile:
        `Context(**profile.context_fields(), channel=..., ...)`."""
        return {
            "broker_name": self.name,
            "broker_afm_number": self.afm_number,
            "broker_privacy_url": self.privacy_url,
            "broker_phone": self.phone,
            "broker_office_hours": self.office_hours,
        }


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore",
                                      env_ignore_empty=True)

    database_url: str = Field(
        default="sqlite:///intake.sqlite3",
        description="SQLAlchemy URL; a SQLite file by default, PostgreSQL at scale.",
    )
    # FULL makes every turn survive a power cut; NORMAL (WAL) survives a killed process, which
    # is what a service restart or crash does, at a fraction of the cost per commit.
    sqlite_synchronous: str = Field(default="NORMAL", pattern="^(OFF|NORMAL|FULL|EXTRA)$")

    # --- the broker profile ----------------------------------------------------------------
    broker_name: str = Field(default="", max_length=120)  # empty: "ons adviesbureau"
    broker_afm_number: str = Field(default="", pattern=r"^(\d{6,10})?$",
                                   description="registration number in the AFM register")
    broker_privacy_url: str = ""
    broker_phone: str = ""
    office_hours: str = ""
    brand_color: str = Field(default="#1f4e79", pattern=r"^#[0-9a-fA-F]{6}$")

    # --- web server ------------------------------------------------------------------------
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=MIB, ge=1024, le=64 * MIB)
    metrics_token: SecretStr | None = None
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto uvicorn believes (comma-separated
    # addresses or networks, or "*"): behind them the client address is the prospect's own,
    # which the per-address rate limit counts.
    forwarded_allow_ips: str = "127.0.0.1"

    # --- web chat (widget API) ---------------------------------------------------------------
    # Websites allowed to call the API from a browser: "https://www.broker.nl,https://broker.nl".
    widget_origins: str = ""
    # Requests per minute (a token bucket holding one minute's worth): one chat session, and
    # one client address (loopback exempt). 0 switches the limit off.
    rate_limit_per_session: int = Field(default=60, ge=0, le=1_000_000)
    rate_limit_per_address: int = Field(default=600, ge=0, le=1_000_000)

    # --- Telegram --------------------------------------------------------------------------
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_secret: SecretStr | None = None
    broker_chat_id: str | None = None

    # How long a hand-off is retried before it is marked failed and the brokers are alerted.
    handoff_give_up_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    # How long a worker owns a hand-off it took: longer than one delivery can last (the HTTP
    # and SMTP timeouts), short enough that a crashed instance's leads go out soon after.
    handoff_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    # --- lead hand-off targets (bot/handoff/, docs/handoff.md) -------------------------------
    # Each is on when its settings are given; several at once.
    crm_webhook_url: str | None = None
    crm_webhook_secret: SecretStr | None = None  # whsec_<base64 key>, Standard Webhooks
    hubspot_token: SecretStr | None = None  # private app access token
    hubspot_base_url: str = "https://api.hubapi.com"
    pipedrive_token: SecretStr | None = None  # API token, sent as x-api-token
    pipedrive_base_url: str = "https://api.pipedrive.com"
    # smtp://user:pass@host:587?starttls=1 or smtps://user:pass@host:465 (password inside)
    smtp_url: SecretStr | None = None
    broker_email: str | None = None  # one address, or several comma-separated

    # --- broker inbox (/broker, docs/inbox.md) ---------------------------------------------
    # Signs the inbox's session cookies; unset: a random one per start (sessions end at a
    # restart, and several instances would not accept each other's cookies), with a warning.
    session_secret: SecretStr | None = None

    # --- logs and retention ----------------------------------------------------------------
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    log_secret: SecretStr | None = None
    retention_days: int = Field(default=30, ge=1,
                                description="days an abandoned conversation is kept")
    lead_retention_days: int = Field(default=730, ge=1, description="days a lead is kept")

    @field_validator("log_level", mode="before")
    @classmethod
    def _level_case(cls, value: object) -> object:
        return value.strip().upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _format_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("broker_name")
    @classmethod
    def _name(cls, value: str) -> str:
        return " ".join(value.split())

    @field_validator("broker_privacy_url")
    @classmethod
    def _privacy_url(cls, value: str) -> str:
        value = value.strip()
        if not value:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.netloc or " " in value:
            raise ValueError("must be a full http(s) URL, e.g. https://www.example.nl/privacy")
        return value

    @field_validator("broker_phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        value = " ".join(value.split())
        if not value:
            return value
        try:
            number = phonenumbers.parse(value, "NL")
        except phonenumbers.NumberParseException:
            raise ValueError("is not a phone number (e.g. 020-1234567)") from None
        if not phonenumbers.is_possible_number(number):
            raise ValueError("is not a possible phone number (e.g. 020-1234567)")
        return value  # shown as the operator wrote it

    @field_validator("office_hours")
    @classmethod
    def _office_hours(cls, value: str) -> str:
        if not value.strip():
            return ""
        return parse_office_hours(value).text

    @field_validator("widget_origins")
    @classmethod
    def _origins(cls, value: str) -> str:
        return ",".join(parse_origins(value))

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _proxies(cls, value: str) -> str:
        items = [p.strip() for p in value.split(",") if p.strip()]
        for item in items:
            if item == "*":
                continue
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError("must be IP addresses or networks (or *), comma-separated") \
                    from None
        return ",".join(items)

    @field_validator("crm_webhook_url", "hubspot_base_url", "pipedrive_base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        value = value.strip()
        parts = urlsplit(value)
        if parts.scheme not in ("https", "http") or not parts.hostname or " " in value:
            raise ValueError("must be a full http(s) URL, e.g. https://crm.example.nl/hooks/intake")
        return value

    @field_validator("crm_webhook_secret")
    @classmethod
    def _whsec(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        text = value.get_secret_value().strip()
        key = text.removeprefix("whsec_")
        try:
            decoded = base64.b64decode(key + "=" * (-len(key) % 4), validate=True)
        except (ValueError, binascii.Error):
            decoded = b""
        if not text.startswith("whsec_") or len(decoded) < 16:
            raise ValueError("must be whsec_ followed by a base64 key of at least 16 bytes "
                             "(make one: echo whsec_$(openssl rand -base64 32))")
        return SecretStr(text)

    @field_validator("session_secret")
    @classmethod
    def _session_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().strip()) < 16:
            raise ValueError("must be at least 16 characters (make one: openssl rand -hex 32)")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        from bot.handoff.smtp import parse_smtp_url  # the URL's shape lives with the sender

        parse_smtp_url(value.get_secret_value())  # ValueError names what is wrong, not the URL
        return value

    @field_validator("broker_email")
    @classmethod
    def _broker_email(cls, value: str | None) -> str | None:
        if value is None:
            return value
        addresses = [a.strip() for a in value.split(",") if a.strip()]
        if not addresses:
            return None
        for address in addresses:
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError:
                raise ValueError("must be e-mail addresses, comma-separated") from None
        return ",".join(addresses)

    @field_validator("brand_color")
    @classmethod
    def _color(cls, value: str) -> str:
        return value.lower()

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_secret:
            raise ValueError(
                "INTAKE_TELEGRAM_WEBHOOK_URL is set but INTAKE_TELEGRAM_SECRET is not: without "
                "a secret anyone could post updates to the webhook"
            )
        return self

    @model_validator(mode="after")
    def _handoff_pairs(self) -> Settings:
        pairs = (
            ("INTAKE_CRM_WEBHOOK_URL", self.crm_webhook_url,
             "INTAKE_CRM_WEBHOOK_SECRET", self.crm_webhook_secret),
            ("INTAKE_SMTP_URL", self.smtp_url, "INTAKE_BROKER_EMAIL", self.broker_email),
        )
        for first, a, second, b in pairs:
            if bool(a) != bool(b):
                given, missing = (first, second) if a else (second, first)
                raise ValueError(f"{given} is set but {missing} is not: set both or neither")
        return self

    @property
    def widget_origin_list(self) -> tuple[str, ...]:
        return tuple(o for o in self.widget_origins.split(",") if o)

    @property
    def profile(self) -> BrokerProfile:
        return BrokerProfile(
            name=self.broker_name,
            afm_number=self.broker_afm_number,
            privacy_url=self.broker_privacy_url,
            phone=self.broker_phone,
            office_hours=self.office_hours,
            brand_color=self.brand_color,
        )
