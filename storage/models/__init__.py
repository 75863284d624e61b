"""All tables; importing this module registers them on `Base.metadata`."""

from storage.models.base import Base
from storage.models.broadcasts import Broadcast, BroadcastDelivery
from storage.models.checkins import Checkin
from storage.models.conversations import Conversation
from storage.models.people import (
    AuditLog,
    DeskGroup,
    Invite,
    Person,
    RegistrationRequest,
    StartAttempt,
)
from storage.models.regions import District, Province, Regency, Tps, Village
from storage.models.schedules import CheckinCount, DeskScheduleRow, Digest, Slot, SlotDelivery
from storage.models.web import WebLogin, WebSession

__all__ = [
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastDelivery",
    "Checkin",
    "CheckinCount",
    "Conversation",
    "DeskGroup",
    "DeskScheduleRow",
    "Digest",
    "District",
    "Invite",
    "Person",
    "Province",
    "Regency",
    "RegistrationRequest",
    "Slot",
    "SlotDelivery",
    "StartAttempt",
    "Tps",
    "Village",
    "WebLogin",
    "WebSession",
]
