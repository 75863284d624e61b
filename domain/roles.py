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


# Role names as people type them, in Indonesian or English ("koordinator", "petugas").
ROLE_WORDS: dict[str, Role] = {
    "tps": Role.TPS,
    "petugas": Role.TPS,
    "kpps": Role.TPS,
    "camat": Role.CAMAT,
    "kecamatan": Role.CAMAT,
    "koordinator": Role.COORDINATOR,
    "coordinator": Role.COORDINATOR,
    "admin": Role.ADMIN,
}


def parse_role(word: str) -> Role | None:
    """The role a typed word names (`koordinator`, `coordinator`, `TPS`), or None."""
    return ROLE_WORDS.get(word.strip().lower())


class ScopeProblem(StrEnum):
    """Why a scope does not fit a role; the catalogue words each one (`scope.<value>`)."""

    NOT_A_CODE = "not_a_code"
    WRONG_LEVEL = "wrong_level"


class ScopeError(ValueError):
    """A scope code does not fit the role: `problem` names why, `values` fill the sentence
    (`scope`, and for WRONG_LEVEL `role`, `level` and `allowed`, a tuple of `Level`s)."""

    def __init__(self, problem: ScopeProblem, **values: object) -> None:
        super().__init__(problem.value)
        self.problem = problem
        self.values = values

    def __str__(self) -> str:
        """English, for the command line (chat words it through the catalogue)."""
        if self.problem is ScopeProblem.NOT_A_CODE:
            return f"'{self.values.get('scope')}' is not a TPS id or region code"
        allowed = " or ".join(str(lv) for lv in self.values.get("allowed", ()))  # type: ignore[attr-defined]
        return (
            f"role {self.values.get('role')} needs a scope of level {allowed}, "
            f"not {self.values.get('level')}"
        )


def allowed_levels(role: Role) -> tuple[Level, ...]:
    """The scope levels a role may hold, widest first."""
    return tuple(lv for lv in Level if lv in _ALLOWED_LEVELS[role])


def check_scope(role: Role, scope: str) -> None:
    """Raise `ScopeError` unless `scope` is a code of a level the role may hold."""
    level = level_of(scope)
    if level is None:
        raise ScopeError(ScopeProblem.NOT_A_CODE, scope=scope)
    if level not in _ALLOWED_LEVELS[role]:
        raise ScopeError(
            ScopeProblem.WRONG_LEVEL,
            scope=scope,
            role=role,
            level=level,
            allowed=allowed_levels(role),
        )


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


def can_manage_people(role: Role, scope: str, target_scope: str) -> bool:
    """Admins, and coordinators within their region, list, revoke and replace people."""
    return role in (Role.ADMIN, Role.COORDINATOR) and contains(scope, target_scope)
