"""Attach every feature's handlers to an application, in priority order."""

from __future__ import annotations

from handlers import (
    admin,
    bots,
    broadcast,
    checkins,
    desk,
    fallback,
    groups,
    help,
    inbox_admin,
    phone,
    registration,
    rehearsal,
    selfreg,
    staff,
    web_link,
)
from handlers.context import DeskApplication


def register_all(app: DeskApplication) -> None:
    bots.register(app)  # first: a person writing to another of the desk's bots is redirected
    groups.register(app)  # upgrades, chats signing messages, business accounts
    for feature in (
        help,
        registration,
        selfreg,
        admin,
        inbox_admin,
        staff,
        phone,
        checkins,
        desk,
        broadcast,
        rehearsal,
        web_link,
    ):
        feature.register(app)
    fallback.register(app)  # last: claims whatever no feature did
