"""The desk page's routes, added to the bot's own HTTP server (`bot.webhook.build_http_app`).

    GET  /dasbor                      → the viewer's own region
    GET  /dasbor/masuk/<token>        → a button that signs in (a GET never uses the link, so a
    POST /dasbor/masuk/<token>          link preview cannot burn it); sets the session cookie
    POST /dasbor/keluar               → sign out
    GET  /dasbor/wilayah/<code>       → a region (nasional, 36, 3672, 367201, 3672011001)
    GET  /dasbor/tps/<id>             → one TPS's history
    GET  /dasbor/dinding/<code>       → the wall view for the projector
    GET  /dasbor/ekspor/<code>        → the /ekspor spreadsheet of that region
    GET  /dasbor/foto/<checkin>/<n>   → a stored photo of a check-in
    GET  /dasbor/langsung             → server-sent events (web.live)

Everything but signing in needs a valid session (401), and a code outside the viewer's scope
is refused (403) with the same page whether or not the region exists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from jinja2 import Environment
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from domain.dashboard import slug
from domain.invites import InviteProblem
from domain.people import Member
from domain.roles import effective_scope
from storage import digest, web_auth
from storage.db import read_sessionmaker
from web import auth, stream, views
from web.live import Live, Partials
from web.render import STATIC, environment, page, refused


@dataclass
class WebDeps:
    """What the page needs from the bot: the database, the clock, where it is served.

    `sessions` write (sign-in, sign-out); everything else reads through `reads` (the bot's
    reading engine, which never waits for its writer; left out, a read-only view of
    `sessions`)."""

    sessions: async_sessionmaker[AsyncSession]
    clock: Callable[[], datetime]
    base_url: str
    download_dir: Path | None = None
    election: str = "pemilu2024"  # which ballot types the export's logistics columns name
    read_sessions: async_sessionmaker[AsyncSession] | None = None
    reads: async_sessionmaker[AsyncSession] = field(init=False)
    live: Live = field(init=False)
    partials: Partials = field(init=False, default_factory=Partials)
    env: Environment = field(init=False, default_factory=environment)

    def __post_init__(self) -> None:
        # Pages only read: on SQLite they must not take the write lock the bot's writers need.
        self.reads = self.read_sessions or read_sessionmaker(self.sessions)
        self.live = Live(self.reads)

    @property
    def secure(self) -> bool:
        return self.base_url.startswith("https://")


Handler = Callable[[Request, WebDeps, Member], Awaitable[Response]]


def guarded(deps: WebDeps, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Run `handler` for a signed-in person only."""

    async def endpoint(request: Request) -> Response:
        member = await auth.member_of(request, deps.reads, deps.clock())
        if member is None:
            return refused(deps.env, "id", 401)
        return await handler(request, deps, member)

    return endpoint


async def home(request: Request, deps: WebDeps, member: Member) -> Response:
    """Send the viewer to their own region (their scope, narrowed to the desk's)."""
    async with deps.reads() as session:
        setup = await digest.desk_setup(session)
    code = effective_scope(setup.scope, member.scope)
    return RedirectResponse(f"/dasbor/wilayah/{slug(code)}", status_code=303)


def routes(deps: WebDeps) -> list[BaseRoute]:
    """The page's routes for `build_http_app`; `deps.live` starts with the first open page."""

    async def sign_in_form(request: Request) -> Response:
        return page(deps.env, "sign_in.html", lang="id", token=request.path_params["token"])

    async def sign_in(request: Request) -> Response:
        token = str(request.path_params["token"])
        async with deps.sessions.begin() as session:
            outcome = await web_auth.redeem_login(session, token[:100], deps.clock())
        if isinstance(outcome, InviteProblem):
            return page(
                deps.env,
                "message.html",
                lang="id",
                status=403,
                message_key=f"sign_in.{outcome.value}",
            )
        response = RedirectResponse("/dasbor", status_code=303)
        auth.set_cookie(response, outcome.token, secure=deps.secure)
        return response

    async def sign_out(request: Request) -> Response:
        token = auth.token_of(request)
        if token is not None:
            async with deps.sessions.begin() as session:
                await web_auth.end_session(session, token, deps.clock())
        response = page(deps.env, "message.html", lang="id", message_key="signed_out")
        auth.clear_cookie(response, secure=deps.secure)
        return response

    return [
        Route("/dasbor", guarded(deps, home), methods=["GET"]),
        Route("/dasbor/", guarded(deps, home), methods=["GET"]),
        Route("/dasbor/masuk/{token}", sign_in_form, methods=["GET"]),
        Route("/dasbor/masuk/{token}", sign_in, methods=["POST"]),
        Route("/dasbor/keluar", sign_out, methods=["POST"]),
        Route("/dasbor/wilayah/{code}", guarded(deps, views.region), methods=["GET"]),
        Route("/dasbor/tps/{code}", guarded(deps, views.tps), methods=["GET"]),
        Route("/dasbor/dinding/{code}", guarded(deps, views.wall), methods=["GET"]),
        Route("/dasbor/ekspor/{code}", guarded(deps, views.spreadsheet), methods=["GET"]),
        Route("/dasbor/foto/{checkin:int}/{n:int}", guarded(deps, views.photo), methods=["GET"]),
        Route("/dasbor/langsung", guarded(deps, stream.events), methods=["GET"]),
        Mount("/dasbor/static", StaticFiles(directory=STATIC), name="static"),
    ]
