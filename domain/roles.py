"""Roles, what scope each may hold, and who may act on what."""

from __future__ import annotations

from enum import StrEnum

from domain.regions import Level, contains, level_of


class Role(StrEnum):
    TPS = "tps"
    CAMAT = "camat"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


_ALLOWED_LEVELS: dict[Role, set[Level]] = {
    Role.TPS: {Level.TPS},
    Role.CAMAT: {Level.DISTRICT},
    Role.COORDINATOR: {Level.NATION, Level.PROVINCE, Level.REGENCY, Level.DISTRICT},
    Role.ADMIN: {Level.NATION, Level.PROVINCE, Level.REGENCY, Level.DISTRICT},
}


class ScopeError(ValueError):
    """A scope code does not fit the role."""


def check_scope(role: Role, scope: str) -> None:
    """Raise `ScopeError` unless `scope` is a code of a level the role may hold."""
    level = level_of(scope)
    if level is None:
        raise ScopeError(f"'{scope}' is not a region code or TPS id")
    if level not in _ALLOWED_LEVELS[role]:
        allowed = ", ".join(sorted(lv.value for lv in _ALLOWED_LEVELS[role]))
        raise ScopeError(f"role {role.value} needs a scope of level {allowed}, not {level.value}")


def can_see(role: Role, scope: str, code: str) -> bool:
    """Whether a person with this role and scope may read data about `code`."""
    if role is Role.TPS:
        return code == scope
    return contains(scope, code)


def effective_scope(desk: str, member_scope: str) -> str:
    """What someone sees by default: their scope, narrowed to the desk's if theirs is wider."""
    return desk if contains(member_scope, desk) else member_scope


def can_approve_registration(role: Role, scope: str, tps_id: str) -> bool:
    """Camats approve for their district; coordinators and admins for anything under them."""
    return role in (Role.CAMAT, Role.COORDINATOR, Role.ADMIN) and contains(scope, tps_id)


def can_manage(role: Role) -> bool:
    return role is Role.ADMIN
