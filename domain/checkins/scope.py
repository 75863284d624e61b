"""Who may file for which TPS: shared by every channel (Telegram guided, quick, SMS)."""

from __future__ import annotations

from domain.people import Member
from domain.regions import contains
from domain.roles import Role

FILERS = (Role.TPS, Role.CAMAT)


def scope_refusal(member: Member, tps_id: str) -> str | None:
    """Why this person may not file for this TPS (`not_your_tps`, `outside_district`,
    `not_for_role`), or None if they may: an officer files for their own TPS, a camat for any
    TPS of their district (a relay)."""
    if member.role is Role.TPS:
        return None if tps_id == member.scope else "not_your_tps"
    if member.role is Role.CAMAT:
        return None if contains(member.scope, tps_id) else "outside_district"
    return "not_for_role"
