"""The views behind the routes in `web.app`: region, TPS, wall, export and photos.

Every view checks the code against the viewer's current scope before reading anything about it
(`domain.roles.can_see`); a code outside the scope gets 403 whether or not it exists.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, Response

from domain.dashboard import unslug
from domain.figures import COVERAGE_KINDS
from domain.people import Member
from domain.regions import Level, RegionRef
from domain.roles import can_see
from storage import dashboard, export, regions
from storage.xlsx import XLSX_MIME
from views import exports
from web.pages import is_region, region_view, tps_view
from web.render import HEADERS, page, refused, text_of

if TYPE_CHECKING:
    from web.app import WebDeps

WALL_SECONDS = 20  # how long the wall shows each region before moving on


async def _found(request: Request, deps: WebDeps, member: Member) -> RegionRef | Response:
    """The region or TPS in the URL, if the viewer may see it; else the refusal to send."""
    code = unslug(str(request.path_params["code"]))
    if code is None:
        return refused(deps.env, member.language, 404)
    if not can_see(member.role, member.scope, code):
        return refused(deps.env, member.language, 403)
    async with deps.reads() as session:
        found = await regions.region(session, code)
    if found is None:
        return refused(deps.env, member.language, 404)
    return found


async def region(request: Request, deps: WebDeps, member: Member) -> Response:
    """A region's page (or, with `?bagian=isi`, the part live pages re-read)."""
    found = await _found(request, deps, member)
    if isinstance(found, Response):
        return found
    if found.level is Level.TPS:
        return await tps(request, deps, member)
    if request.query_params.get("bagian") == "isi":
        return await _body(deps, "region_body.html", found, member)
    async with deps.reads() as session:
        view = await region_view(session, found, scope=member.scope, now=deps.clock())
    return page(
        deps.env,
        "region.html",
        lang=member.language,
        zone=view.zone,
        view=view,
        member=member,
        kinds=COVERAGE_KINDS,
        photos_on_disk=deps.download_dir is not None,
    )


async def _body(deps: WebDeps, name: str, found: RegionRef, member: Member) -> Response:
    """The part of a region or wall page that live pages re-read (`?bagian=isi`): the same
    for every viewer of the region in one language, so rendered once per stored state."""
    lists = name == "region_body.html"

    async def make() -> str:
        async with deps.reads() as session:
            view = await region_view(
                session, found, scope=found.code, now=deps.clock(), lists=lists
            )
        return text_of(
            deps.env,
            name,
            lang=member.language,
            zone=view.zone,
            view=view,
            kinds=COVERAGE_KINDS,
            photos_on_disk=deps.download_dir is not None,
        )

    key = (name, found.code, member.language)
    body = await deps.partials.get(deps.live.mark, key, make)
    return HTMLResponse(body, headers=HEADERS)


async def tps(request: Request, deps: WebDeps, member: Member) -> Response:
    """One TPS's history."""
    found = await _found(request, deps, member)
    if isinstance(found, Response):
        return found
    if found.level is not Level.TPS:
        return refused(deps.env, member.language, 404)
    async with deps.reads() as session:
        view = await tps_view(session, found, scope=member.scope)
    return page(
        deps.env,
        "tps.html",
        lang=member.language,
        zone=view.zone,
        view=view,
        member=member,
        photos_on_disk=deps.download_dir is not None,
    )


async def wall(request: Request, deps: WebDeps, member: Member) -> Response:
    """The wall view for the projector (or the part it re-reads while rotating)."""
    found = await _found(request, deps, member)
    if isinstance(found, Response):
        return found
    if not is_region(found.code):
        return refused(deps.env, member.language, 404)
    if request.query_params.get("bagian") == "isi":
        return await _body(deps, "wall_body.html", found, member)
    async with deps.reads() as session:
        view = await region_view(session, found, scope=member.scope, now=deps.clock(), lists=False)
    return page(
        deps.env,
        "wall.html",
        lang=member.language,
        zone=view.zone,
        view=view,
        member=member,
        kinds=COVERAGE_KINDS,
        seconds=WALL_SECONDS,
    )


async def spreadsheet(request: Request, deps: WebDeps, member: Member) -> Response:
    """The `/ekspor` spreadsheet for the region on screen, in the viewer's language."""
    found = await _found(request, deps, member)
    if isinstance(found, Response):
        return found
    async with deps.reads() as session:
        sheets = await export.checkin_sheets(session, found.code, current_only=True)
    book = await asyncio.to_thread(exports.workbook, sheets, member.language, deps.election)
    filename = f"ekspor-{found.code or 'nasional'}-{deps.clock().date().isoformat()}.xlsx"
    headers = {
        **HEADERS,
        "Content-Disposition": f'attachment; filename="{filename}"',
    }
    return Response(book, media_type=XLSX_MIME, headers=headers)


async def photo(request: Request, deps: WebDeps, member: Member) -> Response:
    """A check-in's photo as kept on disk (DOWNLOAD_DIR), inside the viewer's scope."""
    checkin, n = int(request.path_params["checkin"]), int(request.path_params["n"])
    async with deps.reads() as session:
        place = await dashboard.checkin_place(session, checkin)
    if place is None or not 1 <= n <= place[1] or deps.download_dir is None:
        return refused(deps.env, member.language, 404)
    if not can_see(member.role, member.scope, place[0]):
        return refused(deps.env, member.language, 403)
    path = deps.download_dir / place[0] / f"{checkin}-{n}.jpg"
    if not path.is_file():
        return refused(deps.env, member.language, 404)
    return FileResponse(path, media_type="image/jpeg", headers=HEADERS)
