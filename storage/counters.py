"""Process-wide counters that storage-level events feed (rendered by `bot.metrics`).

`deskbot_checkins_total` counts check-ins stored, incremented by the one function that stores
them for every channel (`storage.filing.store_checkin`: Telegram and SMS) once its transaction
committed a new real check-in; a redelivered update (the same dedupe key), a rehearsal's
check-in or a rolled-back transaction counts nothing.
"""

from __future__ import annotations

from prometheus_client import Counter

CHECKINS = Counter("deskbot_checkins_total", "Check-ins committed to the database")


def checkin_stored() -> None:
    """Count one newly committed check-in."""
    CHECKINS.inc()
