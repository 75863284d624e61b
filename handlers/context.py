"""What every handler can reach: the shared services, typed through `DeskContext`."""

from __future__ import annotations

from services import (
    BotData,
    CheckinListener,
    Clock,
    DeskApplication,
    DeskContext,
    Services,
    services_of,
    utc_now,
)

__all__ = [
    "BotData",
    "CheckinListener",
    "Clock",
    "DeskApplication",
    "DeskContext",
    "Services",
    "services_of",
    "utc_now",
]
