"""Process-wide counters that storage-level events feed (rendered by `bot.metrics`).

`deskbot_checkins_total` counts check-ins stored, incremented by the one function that stores
them (`handlers.checkins.service.store`) once its transaction committed a new check-in; a
redelivered update (the same dedupe key) or a rolled-back transaction counts nothing.
"""

from __future__ import annotations

from prometheus_client import Counter

CHECKINS = Counter("deskbot_checkins_total", "Check-ins committed to the database")


def checkin_stored() -> None:
    """Count one newly committed check-in."""
    CHECKINS.inc()
