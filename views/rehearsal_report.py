"""The end-of-rehearsal report: to every desk group and to the admin who started it.

A rehearsal ended in chat (`/simulasi selesai`) or on the command line (`deskbot rehearsal
end`, maybe while the bot runs elsewhere) is reported by whichever comes first: the chat
handler right away, or the next schedule tick. The report is claimed in the `rehearsal` row
(`reported_at`) before anything is sent, so it goes out once (a crash mid-send loses the rest
rather than sending twice, like every slot).
"""

from __future__ import annotations

import logging

from domain.outbox import Outgoing, Priority
from domain.rehearsal import RehearsalInfo, RehearsalReport
from outbox import messages
from services import DeskApplication, Services
from storage import desk_groups, people, rehearsals, xlsx
from storage.digest import desk_setup
from views import rehearsal as render
from views.texts import text

log = logging.getLogger(__name__)

GROUP_LANGUAGE = "id"


async def build_report(
    services: Services, rehearsal_id: int
) -> tuple[RehearsalReport, bytes] | None:
    """The report's figures and its spreadsheet (None if there is no such rehearsal)."""
    async with services.transaction() as session:
        setup = await desk_setup(session)
        found = await rehearsals.report(session, rehearsal_id, setup.scope)
    if found is None:
        return None
    return found, xlsx.workbook_bytes(render.report_sheets(found))


async def notify_report(
    chat_id: int,
    lang: str,
    report: RehearsalReport,
    book: bytes,
    services: Services,
    *,
    answer_key: str | None = None,
) -> None:
    """Queue the report's messages and spreadsheet for one chat: once per rehearsal and chat,
    or, as the answer to someone asking for it, once per `answer_key`."""
    async with services.transaction() as session:
        zone = (await desk_setup(session)).zone
    key = answer_key or f"rehearsal:{report.rehearsal_id}:{chat_id}"
    proactive = answer_key is None
    calls: list[Outgoing] = []
    for index, body in enumerate(render.report_messages(lang, report, zone)):
        calls += messages.text_message(
            chat_id, body, priority=Priority.DIGEST, proactive=proactive, key=f"{key}:text{index}"
        )
    calls += messages.file_message(
        chat_id,
        "document",
        data=book,
        filename=f"simulasi-{report.rehearsal_id}.xlsx",
        caption=text(lang, "rehearsal.report_caption", id=report.rehearsal_id),
        priority=Priority.DIGEST,
        proactive=proactive,
        key=f"{key}:xlsx",
    )
    await services.out.send(*calls, wait=False)


async def send_report(services: Services, info: RehearsalInfo) -> None:
    """The report to every desk group (Indonesian) and to the admin who started it."""
    built = await build_report(services, info.id)
    if built is None:
        return
    report, book = built
    async with services.transaction() as session:
        groups = await desk_groups.desk_groups(session)
        starter = await people.member_by_id(session, info.started_by) if info.started_by else None
    for chat_id, _title, _scope in groups:
        await notify_report(chat_id, GROUP_LANGUAGE, report, book, services)
    if starter is not None:
        await notify_report(starter.telegram_id, starter.language, report, book, services)
    log.info("rehearsal %s reported to %d group(s)", info.id, len(groups))


async def send_pending(app: DeskApplication) -> int:
    """Report every ended rehearsal nobody reported yet; how many were reported."""
    services = app.bot_data.services
    assert services is not None
    async with services.transaction() as session:
        claimed = await rehearsals.claim_reports(session, now=services.clock())
    for info in claimed:
        await send_report(services, info)
    return len(claimed)
