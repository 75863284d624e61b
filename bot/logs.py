"""Logging setup (called by the command line, never at import): text or JSON lines.

Secrets never reach the log: the token and webhook secret are redacted from every record,
and httpx's request lines (which carry the token in the URL) are kept at WARNING.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Protocol

from pydantic import SecretStr


class HasSecrets(Protocol):
    telegram_bot_token: SecretStr | None
    webhook_secret: SecretStr | None


def secrets_of(settings: HasSecrets, db_password: object = None) -> list[str]:
    """Every secret of a configuration that must never be printed: the token (and its part
    after the colon alone), the webhook secret, the SMS gateway's signing key and password, the
    database password."""
    found: list[str] = []
    extra = (getattr(settings, n, None) for n in ("sms_signing_key", "sms_gateway_password"))
    more = getattr(settings, "telegram_extra_bot_tokens", None)
    values = [] if more is None else more.get_secret_value().split(",")
    for secret in (settings.telegram_bot_token, settings.webhook_secret, *extra):
        if secret is not None:
            values.append(secret.get_secret_value())
    found += token_parts([v.strip() for v in values])
    if db_password:
        found.append(str(db_password))
    return [s for s in found if s]


def token_parts(tokens: list[str]) -> list[str]:
    """Each secret, and for a bot token also its part after the colon alone."""
    found = []
    for value in tokens:
        found.append(value)
        if ":" in value and len(value.split(":", 1)[1]) >= 8:
            found.append(value.split(":", 1)[1])
    return found


def redact_more(secrets: list[str]) -> None:
    """Redact these too from every log line from now on (bot tokens read from the database)."""
    for handler in logging.getLogger().handlers:
        for found in handler.filters:
            if isinstance(found, RedactingFilter):
                found.add(token_parts(secrets))


def redact(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by [REDACTED]."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "[REDACTED]")
    return text


class RedactingFilter(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if s]

    def add(self, secrets: list[str]) -> None:
        """Redact these as well."""
        self._secrets += [s for s in secrets if s and s not in self._secrets]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._secrets:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        changed = False
        for secret in self._secrets:
            if secret in message:
                message = message.replace(secret, "[REDACTED]")
                changed = True
            if record.exc_text and secret in record.exc_text:
                record.exc_text = record.exc_text.replace(secret, "[REDACTED]")
        if changed:
            record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        if record.exc_info or record.exc_text:
            entry["exc"] = record.exc_text or self.formatException(record.exc_info)  # type: ignore[arg-type]
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO", fmt: str = "text", secrets: list[str] | None = None) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(RedactingFilter(secrets or []))
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # alembic: its INFO lines ("Context impl", "Will assume") would greet every command;
    # `storage.migrate` logs one line of its own when it applied anything.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiosqlite", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
