"""Attach every feature's handlers to an application, in priority order."""

from __future__ import annotations

from handlers import (
    admin,
    broadcast,
    checkins,
    desk,
    fallback,
    help,
    phone,
    registration,
    selfreg,
)
from handlers.context import DeskApplication


def register_all(app: DeskApplication) -> None:
    for feature in (help, registration, selfreg, admin, phone, checkins, desk, broadcast):
        feature.register(app)
    fallback.register(app)  # last: claims whatever no feature did
