"""All tables; importing this module registers them on `Base.metadata`."""

from storage.models.base import Base
from storage.models.broadcasts import Broadcast, BroadcastDelivery
from storage.models.checkins import Checkin
from storage.models.people import (
    AuditLog,
    DeskGroup,
    Invite,
    Person,
    RegistrationRequest,
    StartAttempt,
)
from storage.models.regions import District, Province, Regency, Tps, Village

__all__ = [
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastDelivery",
    "Checkin",
    "DeskGroup",
    "District",
    "Invite",
    "Person",
    "Province",
    "Regency",
    "RegistrationRequest",
    "StartAttempt",
    "Tps",
    "Village",
]
