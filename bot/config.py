"""Settings: INTAKE_* environment variables, with an embedded default for everything but secrets."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///intake.sqlite3",
        description="SQLAlchemy URL; a SQLite file by default, PostgreSQL at scale.",
    )
    # FULL makes every turn survive a power cut; NORMAL (WAL) survives a killed process, which
    # is what a service restart or crash does, at a fraction of the cost per commit.
    sqlite_synchronous: str = Field(default="NORMAL", pattern="^(OFF|NORMAL|FULL|EXTRA)$")
    broker_name: str = ""  # empty: the catalog's "ons adviesbureau"
    host: str = "127.0.0.1"
    port: int = 8000
    telegram_token: SecretStr | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_secret: SecretStr | None = None
    broker_chat_id: str | None = None
    widget_origins: str = ""

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and not self.telegram_secret:
            raise ValueError(
                "INTAKE_TELEGRAM_WEBHOOK_URL is set but INTAKE_TELEGRAM_SECRET is not: without "
                "a secret anyone could post updates to the webhook"
            )
        return self
