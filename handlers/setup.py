"""Attach every feature's handlers to an application, in priority order."""

from __future__ import annotations

from handlers import (
    admin,
    broadcast,
    checkins,
    desk,
    fallback,
    groups,
    help,
    registration,
    selfreg,
)
from handlers.context import DeskApplication


def register_all(app: DeskApplication) -> None:
    groups.register(app)  # first: upgrades, chats signing messages, business accounts
    for feature in (help, registration, selfreg, admin, checkins, desk, broadcast):
        feature.register(app)
    fallback.register(app)  # last: claims whatever no feature did
