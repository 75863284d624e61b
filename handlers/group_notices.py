"""Telling the desk's admins when a desk group stops getting the desk's messages.

A desk group leaves the desk when the bot is removed from it (an update says so,
`handlers.admin.bot_membership_changed`) or when Telegram refuses a message to it for good
(`bot.app.attach_outbox`). Either way digests and alerts stop going there; the admins must
know, or a desk may go through election morning with its alerts reaching nobody.
"""

from __future__ import annotations

from domain.outbox import Priority
from domain.roles import Role
from outbox import messages
from services import Services
from storage import desk_groups, people
from views.texts import text


async def tell_admins_group_gone(services: Services, chat_id: int, *, why: str | None) -> int:
    """Each admin gets, in their own chat and language, which desk group no longer gets
    digests and alerts, why (`why`: Telegram's refusal as it gave it; None: the bot was
    removed from the group), how to bring it back, and whether any desk group is left. Sent
    through the sender as an alert (proactive). Returns how many admins were told."""
    now = services.clock()
    async with services.transaction() as session:
        title = await desk_groups.title_of(session, chat_id) or str(chat_id)
        left = await desk_groups.desk_groups(session)
        admins = await people.members_in_scope(session, "", roles=[Role.ADMIN])
    calls = []
    for admin in admins:
        reason = text(admin.language, "admin.group_gone_removed") if why is None else why
        body = text(admin.language, "admin.group_gone", title=title, why=reason)
        if not left:
            body += "\n\n" + text(admin.language, "admin.group_gone_none_left")
        calls += messages.text_message(
            admin.telegram_id,
            body,
            priority=Priority.ALERT,
            proactive=True,
            key=f"group_gone:{chat_id}:{admin.telegram_id}:{now.isoformat()}",
        )
    if calls:
        await services.out.send(*calls, wait=False)
    return len(admins)
