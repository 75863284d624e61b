"""What the SMS side needs from a gateway, without importing any client library (the bot
imports `sms` at start even when SMS is off; `sms.gateway` loads the HTTP client only when used)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class SendError(Exception):
    """The gateway did not take the SMS. `transient`: worth trying again later."""

    def __init__(self, reason: str, *, transient: bool) -> None:
        super().__init__(reason)
        self.transient = transient


class Gateway(Protocol):
    async def send(
        self, message_id: str, phone: str, text: str, *, ttl_seconds: int
    ) -> str: ...  # the gateway's id for it

    async def export_inbox(self, device_id: str, since: datetime, until: datetime) -> None: ...

    async def close(self) -> None: ...
