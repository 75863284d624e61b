"""`/dasbor`: a personal one-time link to the desk page; `/dasbor_cabut`: end someone's sessions.

The page itself lives in `web/` (which handlers never import); this module only writes the
sign-in row (`storage.web_auth`) and answers with the link.
"""

from __future__ import annotations

from telegram import Update
from telegram.ext import CommandHandler

from domain.people import Member
from domain.roles import Role
from handlers.commands import CommandSpec, add_commands
from handlers.common import is_private, registered, reply
from handlers.context import DeskApplication, DeskContext
from storage import people, web_auth
from views.texts import text

PAGE_ROLES = (Role.COORDINATOR, Role.ADMIN)
SIGN_IN_PATH = "/dasbor/masuk/"


def sign_in_url(base_url: str, token: str) -> str:
    """The link the bot sends: `<WEB_BASE_URL>/dasbor/masuk/<token>`."""
    return base_url.rstrip("/") + SIGN_IN_PATH + token


@registered(*PAGE_ROLES)
async def cmd_dasbor(update: Update, context: DeskContext, member: Member) -> None:
    """Send a coordinator or admin a personal link that signs them in to the page once."""
    lang = member.language
    if not is_private(update):  # a personal sign-in link never goes to a group
        await reply(update, text(lang, "web.private_only"))
        return
    base = context.services.web_base_url
    if base is None:
        await reply(update, text(lang, "web.off"))
        return
    async with context.services.transaction() as session:
        token = await web_auth.create_login(session, member.id, context.now())
    await reply(
        update,
        text(
            lang,
            "web.link",
            url=sign_in_url(base, token),
            minutes=int(web_auth.LOGIN_TTL.total_seconds() // 60),
            hours=int(web_auth.SESSION_TTL.total_seconds() // 3600),
        ),
    )


@registered(Role.ADMIN)
async def cmd_dasbor_cabut(update: Update, context: DeskContext, member: Member) -> None:
    """End every desk page session of a person at once: by the number /orang shows (`12` or
    `#12`, as /cabut takes it) or by their Telegram id."""
    lang = member.language
    args = context.args or []
    raw = args[0].removeprefix("#") if len(args) == 1 else ""
    if not raw.isdigit():
        await reply(update, text(lang, "web.revoke_usage"))
        return
    now = context.now()
    async with context.services.transaction() as session:
        target = None
        if not args[0].startswith("#"):  # Telegram ids are far above the /orang numbers
            target = await people.member_by_telegram_id(session, int(raw))
        if target is None:
            target = await people.member_by_id(session, int(raw))
        count = 0
        if target is not None:
            count = await web_auth.end_sessions_of(session, target.id, now)
            await people.audit(
                session,
                actor_id=member.id,
                actor_label=f"telegram:{member.telegram_id}",
                action="web_sessions_ended",
                now=now,
                detail={"person_id": target.id, "sessions": count},
            )
    if target is None:
        await reply(update, text(lang, "web.revoke_unknown", who=args[0]))
        return
    await reply(update, text(lang, "web.revoked", name=target.name, count=count))


def register(app: DeskApplication) -> None:
    """Add /dasbor and /dasbor_cabut."""
    add_commands(
        app,
        CommandSpec("dasbor", "web.cmd_dasbor", roles=frozenset(PAGE_ROLES)),
        CommandSpec("dasbor_cabut", "web.cmd_dasbor_cabut", roles=frozenset({Role.ADMIN})),
    )
    app.add_handler(CommandHandler("dasbor", cmd_dasbor))
    app.add_handler(CommandHandler("dasbor_cabut", cmd_dasbor_cabut))
