"""The session cookie and who is behind a request.

The cookie holds a random token (only its hash is stored, `storage.web_auth`): HttpOnly (no
script reads it), SameSite=Lax (other sites cannot post with it), Secure when the page is served
over https, limited to `/dasbor`, lasting one working shift. Each request looks the person up
again, so revoking, a changed role or a changed scope apply at the next request.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import Response

from domain.people import Member
from storage import web_auth

COOKIE = "desk_session"
COOKIE_PATH = "/dasbor"


def set_cookie(response: Response, token: str, *, secure: bool) -> None:
    """Give the browser its session cookie (attributes: see the module docstring)."""
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(web_auth.SESSION_TTL.total_seconds()),
        path=COOKIE_PATH,
        httponly=True,
        samesite="lax",
        secure=secure,
    )


def clear_cookie(response: Response, *, secure: bool) -> None:
    """Remove the session cookie (signing out)."""
    response.delete_cookie(COOKIE, path=COOKIE_PATH, httponly=True, samesite="lax", secure=secure)


def token_of(request: Request) -> str | None:
    """The session token the request carries, if any (overlong values ignored)."""
    value = request.cookies.get(COOKIE)
    return value if value and len(value) <= 100 else None


async def member_of(
    request: Request, sessions: async_sessionmaker[AsyncSession], now: datetime
) -> Member | None:
    """The signed-in person (as stored now), or None."""
    token = token_of(request)
    if token is None:
        return None
    async with sessions() as session:
        return await web_auth.session_member(session, token, now)
