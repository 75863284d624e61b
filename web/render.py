"""Jinja2 templates (autoescaped) and the headers every page carries.

No asset comes from another host: styles and scripts are files under `web/static/`, charts are
SVG drawn by the templates, and the Content-Security-Policy allows only this origin.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import HTMLResponse

from domain.checkins.kinds import Kind
from domain.dashboard import BAR_GAP, BAR_HEIGHT, bars, chart_height, percent, slug
from domain.schedule import zone_abbreviation
from web.texts import number, t

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",  # sign-in links carry a token in their path
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}


def environment() -> Environment:
    """The page's Jinja2 environment: HTML autoescaped, helpers for the templates."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(
        slug=slug,
        percent=percent,
        bar_height=BAR_HEIGHT,
        bar_gap=BAR_GAP,
        chart_height=chart_height,
        chart_bars=bars,
    )
    env.filters["slug"] = slug
    return env


def helpers(lang: str, zone: ZoneInfo | None) -> dict[str, Any]:
    """Per-request template functions: words, numbers and local times in the reader's terms."""

    def when(moment: datetime | None) -> str:
        if moment is None:
            return "-"
        if zone is None:
            return moment.strftime("%d/%m %H:%M UTC")
        return f"{moment.astimezone(zone):%d/%m %H:%M} {zone_abbreviation(zone)}"

    return {
        "t": lambda key, **values: t(lang, key, **values),
        "num": lambda value: number(lang, int(value)),
        "when": when,
        "kind_name": lambda kind: t(lang, f"kind.{kind}"),
        "kind_names": {kind.value: t(lang, f"kind.{kind.value}") for kind in Kind},
    }


def text_of(
    env: Environment, name: str, *, lang: str, zone: ZoneInfo | None = None, **context: Any
) -> str:
    """A template rendered for a reader."""
    return env.get_template(name).render(lang=lang, **helpers(lang, zone), **context)


def page(
    env: Environment,
    name: str,
    *,
    lang: str,
    zone: ZoneInfo | None = None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A template as a full HTML response with the page's security headers."""
    body = text_of(env, name, lang=lang, zone=zone, **context)
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def refused(env: Environment, lang: str, status: int) -> HTMLResponse:
    """Not signed in (401), outside the viewer's scope (403), no such region (404)."""
    key = {401: "refused.signed_out", 403: "refused.outside", 404: "refused.unknown"}[status]
    return page(env, "message.html", lang=lang, status=status, message_key=key)
