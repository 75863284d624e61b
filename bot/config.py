"""Settings read from the environment and `.env`; one class, one place."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/deskbot.sqlite3"
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"


class Settings(BaseSettings):
    """Everything an operator can set; see `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080

    default_language: Literal["id", "en"] = "id"
    election: Literal["pemilu2024", "pilkada"] = "pemilu2024"
    desk_config_file: Path | None = Field(default=None, description="YAML/TOML deadlines file")
    download_dir: Path | None = None
    invite_ttl_days: int = Field(default=30, ge=1, le=365)
    # Broadcast messages a second; below Telegram's ~30/s so receipts and reminders still fit.
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    # Seconds between edits of a broadcast's progress message to its sender.
    broadcast_progress_seconds: float = Field(default=3.0, ge=1)
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @field_validator("telegram_bot_token", "webhook_secret", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _blank_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None

    def token(self) -> str:
        """Return the bot token or raise `MissingTokenError` with instructions."""
        if self.telegram_bot_token is None:
            raise MissingTokenError
        return self.telegram_bot_token.get_secret_value()


class MissingTokenError(RuntimeError):
    """No `TELEGRAM_BOT_TOKEN` was configured."""

    def __str__(self) -> str:
        return (
            "TELEGRAM_BOT_TOKEN is not set.\n"
            "  1. In Telegram, open @BotFather, send /newbot and follow the steps;\n"
            "     it answers with a token like 123456789:AA...\n"
            "  2. Copy .env.example to .env and put the token after TELEGRAM_BOT_TOKEN=\n"
            "     (or export TELEGRAM_BOT_TOKEN in the environment).\n"
            "  3. Run `make run` again."
        )
