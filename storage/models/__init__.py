"""All tables; importing this module registers them on `Base.metadata`."""

from storage.models.base import Base
from storage.models.bots import BotRegion, DeskBot
from storage.models.broadcasts import Broadcast, BroadcastDelivery
from storage.models.checkins import Checkin
from storage.models.conversations import AlbumPart, Conversation
from storage.models.outbox import InboxUpdate, OutboxMessage
from storage.models.people import (
    AuditLog,
    DeskGroup,
    Invite,
    Person,
    RegistrationRequest,
    StartAttempt,
)
from storage.models.regions import District, Province, Regency, Tps, TpsList, Village
from storage.models.rehearsals import Rehearsal, RehearsalEvent
from storage.models.schedules import CheckinCount, DeskScheduleRow, Digest, Slot
from storage.models.sms import SmsGateway, SmsInbound, SmsOutbound
from storage.models.web import WebLogin, WebSession

__all__ = [
    "AlbumPart",
    "AuditLog",
    "Base",
    "BotRegion",
    "Broadcast",
    "BroadcastDelivery",
    "Checkin",
    "CheckinCount",
    "Conversation",
    "DeskBot",
    "DeskGroup",
    "DeskScheduleRow",
    "Digest",
    "District",
    "InboxUpdate",
    "Invite",
    "OutboxMessage",
    "Person",
    "Province",
    "Regency",
    "RegistrationRequest",
    "Rehearsal",
    "RehearsalEvent",
    "Slot",
    "SmsGateway",
    "SmsInbound",
    "SmsOutbound",
    "StartAttempt",
    "Tps",
    "TpsList",
    "Village",
    "WebLogin",
    "WebSession",
]
