"""The wall clock: now, in UTC. Code that must be testable takes a clock (a callable giving
an aware datetime) and is given this one when it runs for real."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)
