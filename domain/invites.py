"""Invite codes: generated at random, stored only as hashes, single use, expiring."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

# Deep-link payloads allow A-Z a-z 0-9 _ - up to 64 characters; 16 url-safe characters carry
# 96 bits, far beyond guessing even without the throttle.
CODE_BYTES = 12
MAX_FAILED_ATTEMPTS = 5
ATTEMPT_WINDOW_MINUTES = 15


def new_code() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().encode()).hexdigest()


def looks_like_code(text: str) -> bool:
    return 8 <= len(text) <= 64 and all(c.isalnum() or c in "-_" for c in text) and text.isascii()


def deep_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


@dataclass(frozen=True, slots=True)
class InviteState:
    used_at: datetime | None
    expires_at: datetime


def invite_problem(invite: InviteState | None, now: datetime) -> InviteProblem | None:
    """Why an invite cannot be redeemed now, or None if it can."""
    if invite is None:
        return InviteProblem.UNKNOWN
    if invite.used_at is not None:
        return InviteProblem.USED
    if invite.expires_at <= now:
        return InviteProblem.EXPIRED
    return None
