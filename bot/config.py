"""Settings read from the environment and `.env`; one class, one place."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/deskbot.sqlite3"
TELEGRAM_API_BASE_URL = "https://api.telegram.org/bot"
SECRET_CHARS = re.compile(r"[A-Za-z0-9_-]{1,256}")
SMS_HOURS = re.compile(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d")
MIN_SIGNING_KEY = 32


DATABASE_DRIVERS = ("sqlite+aiosqlite", "postgresql+asyncpg")
DATABASE_URL_HINT = (
    "use sqlite+aiosqlite:///./data/deskbot.sqlite3 or "
    "postgresql+asyncpg://USER:PASSWORD@HOST:5432/DATABASE"
)


class Settings(BaseSettings):
    """Everything an operator can set; see `.env.example`."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    # More bots for the same desk (comma-separated tokens): each serves a share of the
    # regencies (`deskbot bots`); `deskbot bots add` stores more in the database.
    telegram_extra_bot_tokens: SecretStr | None = None
    telegram_api_base_url: str = TELEGRAM_API_BASE_URL
    database_url: str = DEFAULT_DATABASE_URL
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    # Telegram delivers webhooks to HTTPS only; plain http:// is for tests on loopback.
    webhook_allow_http: bool = False
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = 8080
    # Seconds a webhook request waits for its update to be handled before answering 200 anyway.
    webhook_ack_seconds: float = Field(default=10.0, gt=0, le=50)
    # Long polling: seconds one getUpdates call waits at Telegram.
    poll_timeout: int = Field(default=10, ge=0, le=50)
    # Polling mode: serve /healthz and /metrics here (off unless set). Webhook mode serves
    # them on the webhook port.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = None
    # The desk page (`/dasbor`): the address people open, as the bot writes it into sign-in
    # links (e.g. https://desk.example.go.id). Webhook mode serves the page on the webhook's
    # server; polling mode on WEB_LISTEN:WEB_PORT (which then also answers /healthz and
    # /metrics). Off while WEB_BASE_URL is unset.
    web_base_url: str | None = None
    web_listen: str = "127.0.0.1"
    web_port: int = 8081

    # PostgreSQL connection pool (ignored for SQLite).
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=10, ge=0)
    db_pool_timeout: float = Field(default=30.0, gt=0)
    db_pool_recycle: int = Field(default=1800, ge=-1)

    # Standby (PostgreSQL only): how often a standby tries the lock, how often the active
    # instance proves its lock session alive, and how long PostgreSQL keeps a silent lock
    # session before ending it (which frees the lock for the standby).
    leader_retry_seconds: float = Field(default=1.0, gt=0)
    # Several processes sharing a desk's bots through PostgreSQL: how many bots this one holds
    # at most (default: every bot it can get; a process holding none stands by).
    hold_bots: int | None = Field(default=None, ge=1)
    leader_keepalive_seconds: float = Field(default=2.0, gt=0)
    leader_session_timeout_seconds: int = Field(default=10, ge=2)
    # Where pg_dump / pg_restore live when they are not on PATH.
    pg_bin_dir: Path | None = None

    election: Literal["pemilu2024", "pilkada"] = "pemilu2024"
    # The desk schedule (election day, deadlines, reminders, digest times): TOML, see
    # desk.example.toml. Applied at start when its content changed since it was last applied.
    desk_config_file: Path | None = Field(default=None, description="TOML desk schedule file")
    schedule_tick_seconds: float = Field(default=15.0, gt=0, le=300)
    download_dir: Path | None = None
    invite_ttl_days: int = Field(default=30, ge=1, le=365)
    # The bulk cap: proactive calls a second for all of them together (Telegram: about 30).
    send_rate: float = Field(default=30.0, gt=0, le=1000)
    # Replies (receipts, answers) go out at once and are paced only after Telegram answers 429
    # on one. A desk that sees Telegram hold replies to the bulk cap too (429s on replies in
    # /metrics) sets this to pace them under SEND_RATE from the start.
    pace_replies: bool = False
    # Broadcast messages a second; below Telegram's ~30/s so receipts and reminders still fit.
    broadcast_rate: float = Field(default=25.0, gt=0, le=1000)
    # Paid broadcasts (Telegram Stars, Bot API allow_paid_broadcast): when on, a broadcast's
    # preview also offers to send it paid: up to 1000 messages a second instead of ~30, for
    # 0.1 Star a message drawn from the bot's balance. Off: broadcasts only go at the free pace.
    paid_broadcasts: bool = False
    # Seconds between edits of a broadcast's progress message to its sender.
    broadcast_progress_seconds: float = Field(default=3.0, ge=1)
    # SMS filing through an Android phone running SMS Gateway for Android (docs/sms-gateway.md).
    sms_enabled: bool = False
    # The phone's API: local mode http://<phone-ip>:8080, cloud https://api.sms-gate.app/3rdparty/v1
    sms_gateway_url: str | None = None
    sms_gateway_username: str | None = None
    sms_gateway_password: SecretStr | None = None
    # The webhook signing key set in the app (Settings > Webhooks > Signing key); 32+ characters.
    sms_signing_key: SecretStr | None = None
    sms_signature_window_seconds: float = Field(default=300, ge=10, le=3600)
    sms_webhook_path: str = "/sms/webhook"
    # Long polling: the webhook gets a server of its own here (webhook mode mounts it on the
    # Telegram webhook's server, WEBHOOK_LISTEN:WEBHOOK_PORT).
    sms_webhook_listen: str = "127.0.0.1"
    sms_webhook_port: int = Field(default=8090, ge=0, le=65535)
    # The gateway SIM's own number(s), comma-separated: never answered.
    sms_desk_numbers: str = ""
    sms_sim_number: int | None = Field(default=None, ge=1, le=3)
    # SMS a minute to the phone; Android stalls an app after about 30 parts a minute.
    sms_per_minute: int = Field(default=10, ge=1, le=25)
    sms_receipt_ttl_minutes: int = Field(default=120, ge=5, le=1440)
    sms_answers_per_hour: int = Field(default=6, ge=1, le=60)
    sms_repeat_limit: int = Field(default=2, ge=1, le=20)
    # Tell the desk groups when the phone has not pinged nor forwarded an SMS for this long,
    # during these local hours (set the ping interval in the app well below it).
    sms_silence_minutes: int = Field(default=30, ge=5, le=1440)
    sms_watch_hours: str = "06:00-20:00"
    sms_timezone: str = "Asia/Jakarta"
    # Reminders by SMS to officers whose TPS declared no signal (latest /sinyal: TIDAK).
    sms_reminders: bool = False
    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @field_validator(
        "telegram_bot_token", "telegram_extra_bot_tokens", "webhook_secret", mode="before"
    )
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        """Only the two drivers the bot runs on; the message never repeats the URL (it may
        hold a password)."""
        try:
            driver = make_url(value).drivername
        except ArgumentError:
            raise ValueError(f"is not a database URL; {DATABASE_URL_HINT}") from None
        if driver not in DATABASE_DRIVERS:
            raise ValueError(f"'{driver}' is not supported; {DATABASE_URL_HINT}")
        return value

    @field_validator("desk_config_file", mode="before")
    @classmethod
    def _blank_path_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url", "web_base_url", mode="before")
    @classmethod
    def _blank_url_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator(
        "sms_gateway_url",
        "sms_gateway_username",
        "sms_gateway_password",
        "sms_signing_key",
        "sms_sim_number",
        mode="before",
    )
    @classmethod
    def _blank_sms(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("metrics_port", "pg_bin_dir", mode="before")
    @classmethod
    def _blank_optional(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def web_enabled(self) -> bool:
        return self.web_base_url is not None

    @property
    def webhook_mode(self) -> bool:
        return self.webhook_url is not None

    def engine_options(self) -> dict[str, object]:
        """Pool settings for `storage.db.create_engine` (SQLite takes none)."""
        if make_url(self.database_url).get_backend_name() == "sqlite":
            return {}
        return {
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout,
            "pool_recycle": self.db_pool_recycle,
        }

    def check_webhook(self) -> None:
        """Refuse half a webhook configuration with a message that says what is missing."""
        if self.webhook_url is None:
            return
        if self.webhook_secret is None:
            raise ConfigError(
                "WEBHOOK_URL is set but WEBHOOK_SECRET is not: set both for webhook mode "
                "(the secret: 1-256 characters of A-Z, a-z, 0-9, _ and -), or neither for "
                "long polling."
            )
        if not SECRET_CHARS.fullmatch(self.webhook_secret.get_secret_value()):
            raise ConfigError(
                "WEBHOOK_SECRET may only hold 1-256 characters of A-Z, a-z, 0-9, _ and -."
            )
        if self.webhook_url.startswith("http://") and self.webhook_allow_http:
            return
        if not self.webhook_url.startswith("https://"):
            raise ConfigError(
                "WEBHOOK_URL must be the public https:// address of the webhook "
                "(Telegram delivers to HTTPS only)."
            )

    def check_sms(self) -> None:
        """Refuse an SMS configuration that cannot work, saying what to set."""
        if not self.sms_enabled:
            return
        missing = [
            name
            for name, value in (
                ("SMS_GATEWAY_URL", self.sms_gateway_url),
                ("SMS_GATEWAY_USERNAME", self.sms_gateway_username),
                ("SMS_GATEWAY_PASSWORD", self.sms_gateway_password),
                ("SMS_SIGNING_KEY", self.sms_signing_key),
            )
            if value is None
        ]
        if missing:
            raise ConfigError(f"SMS_ENABLED is on but {', '.join(missing)} not set.")
        assert self.sms_signing_key is not None
        if len(self.sms_signing_key.get_secret_value()) < MIN_SIGNING_KEY:
            raise ConfigError(
                f"SMS_SIGNING_KEY must be at least {MIN_SIGNING_KEY} characters: the app's "
                "default key is 8 characters, too short to keep forged reports out "
                "(docs/sms-gateway.md shows how to make one)."
            )
        if not SMS_HOURS.fullmatch(self.sms_watch_hours.strip()):
            raise ConfigError('SMS_WATCH_HOURS must look like "06:00-20:00".')

    def token(self) -> str:
        """Return the bot token or raise `MissingTokenError` with instructions."""
        if self.telegram_bot_token is None:
            raise MissingTokenError
        return self.telegram_bot_token.get_secret_value()

    def extra_tokens(self) -> list[str]:
        """The tokens of TELEGRAM_EXTRA_BOT_TOKENS, in order (empty when unset)."""
        if self.telegram_extra_bot_tokens is None:
            return []
        raw = self.telegram_extra_bot_tokens.get_secret_value()
        return [token.strip() for token in raw.split(",") if token.strip()]


class ConfigError(RuntimeError):
    """A setting is missing or wrong; the message says what to do."""


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
