"""`GET /dasbor/langsung`: the live feed as server-sent events, limited to the viewer's scope.

The stream re-checks the session every `RECHECK_SECONDS` (signing out or a revoke closes it),
sends a comment line when idle so proxies keep it open, and on reconnect replays the check-ins
after `Last-Event-ID` that the viewer may see.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from domain.people import Member
from storage import dashboard, web_auth
from storage.dashboard import Event
from web import auth
from web.live import CATCH_UP, RESYNC, sse, visible

if TYPE_CHECKING:
    from web.app import WebDeps

RECHECK_SECONDS = 10.0
IDLE_SECONDS = 15.0


async def events(request: Request, deps: WebDeps, member: Member) -> Response:
    """The viewer's live feed: check-ins and acknowledgements inside their scope, as SSE."""
    last = request.headers.get("last-event-id", "")
    token = auth.token_of(request) or ""
    scope = member.scope

    async def still_signed_in() -> bool:
        async with deps.reads() as session:
            now_member = await web_auth.session_member(session, token, deps.clock())
        return now_member is not None and now_member.scope == scope

    async def body() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        async with deps.live.subscribe() as subscriber:
            yield b"retry: 1000\n: connected\n\n"
            if last.isdigit():
                async with deps.reads() as session:
                    missed = await dashboard.checkins_after(session, int(last), limit=CATCH_UP)
                for old in missed:
                    if visible(old, scope):
                        yield sse(old)
            checked = loop.time()
            while True:
                event: Event | None
                try:
                    event = await asyncio.wait_for(subscriber.queue.get(), IDLE_SECONDS)
                except TimeoutError:
                    event = None
                if subscriber.overflowed:
                    while not subscriber.queue.empty():
                        subscriber.queue.get_nowait()
                    subscriber.overflowed = False
                    event = RESYNC
                if event is None:
                    yield b": idle\n\n"
                elif visible(event, scope):
                    yield sse(event)
                if loop.time() - checked > RECHECK_SECONDS:
                    if not await still_signed_in():
                        yield b"event: signed_out\ndata: {}\n\n"
                        return
                    checked = loop.time()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)
