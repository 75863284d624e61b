from datetime import UTC, datetime, timedelta

import pytest

from domain.invites import (
    InviteProblem,
    InviteState,
    deep_link,
    hash_code,
    invite_problem,
    looks_like_code,
    new_code,
)
from domain.roles import Role, ScopeError, can_approve_registration, can_see, check_scope

NOW = datetime(2024, 2, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("role", "scope", "ok"),
    [
        (Role.TPS, "3604012001-003", True),
        (Role.TPS, "360401", False),
        (Role.CAMAT, "360401", True),
        (Role.CAMAT, "3604", False),
        (Role.COORDINATOR, "36", True),
        (Role.COORDINATOR, "3604012001-003", False),
        (Role.ADMIN, "", True),
        (Role.ADMIN, "36x", False),
    ],
)
def test_check_scope(role: Role, scope: str, ok: bool) -> None:
    if ok:
        check_scope(role, scope)
    else:
        with pytest.raises(ScopeError):
            check_scope(role, scope)


def test_visibility_and_approval() -> None:
    assert can_see(Role.TPS, "3604012001-003", "3604012001-003")
    assert not can_see(Role.TPS, "3604012001-003", "3604012001-004")
    assert can_see(Role.CAMAT, "360401", "3604012001-004")
    assert not can_see(Role.CAMAT, "360401", "3604022001-004")
    assert can_approve_registration(Role.CAMAT, "360401", "3604012001-004")
    assert not can_approve_registration(Role.CAMAT, "360402", "3604012001-004")
    assert not can_approve_registration(Role.TPS, "3604012001-004", "3604012001-004")


def test_codes_are_unique_hashable_and_link_safe() -> None:
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    for code in codes:
        assert looks_like_code(code)
        assert len(hash_code(code)) == 64
    assert hash_code("abc") != hash_code("abd")
    assert deep_link("desk_bot", "XYZ") == "https://t.me/desk_bot?start=XYZ"
    assert not looks_like_code("short")
    assert not looks_like_code("has space in it")


@pytest.mark.parametrize(
    ("state", "problem"),
    [
        pytest.param(None, InviteProblem.UNKNOWN, id="unknown"),
        pytest.param(InviteState(NOW, NOW + timedelta(days=1)), InviteProblem.USED, id="used"),
        pytest.param(InviteState(None, NOW), InviteProblem.EXPIRED, id="expires-now"),
        pytest.param(InviteState(None, NOW + timedelta(seconds=1)), None, id="valid"),
    ],
)
def test_invite_problem(state: InviteState | None, problem: InviteProblem | None) -> None:
    assert invite_problem(state, NOW) is problem
