"""What a slot owes: its calls queued in the outbox, once per slot, chat and part.

Each call is keyed `slot:<slot id>:<chat>:<part>`, so a slot run again (a restart in the middle,
a second tick) queues nothing twice; the sender (`outbox.sender`) delivers each once, retrying
passing refusals until the slot's message is no longer useful.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from domain.outbox import Outgoing, Priority
from outbox import messages
from outbox.messages import Markup
from services import Services
from storage.schedules import SlotRecord

FILE_KINDS = ("photo", "document")


def slot_key(slot: SlotRecord, chat_id: int, part: str) -> str:
    return f"slot:{slot.id}:{chat_id}:{part}"


def useful_for(services: Services, slot: SlotRecord) -> timedelta:
    """A slot's messages are worth sending until its `useful_until`."""
    return max(timedelta(seconds=1), slot.useful_until - services.clock())


def slot_text(
    services: Services,
    slot: SlotRecord,
    chat_id: int,
    part: str,
    body: str,
    *,
    priority: Priority,
    markup: Markup = None,
    thread_id: int | None = None,
) -> list[Outgoing]:
    """A slot's text to one chat (cut to Telegram's limit if need be)."""
    return messages.text_message(
        chat_id,
        body,
        markup=markup,
        priority=priority,
        proactive=True,
        key=slot_key(slot, chat_id, part),
        thread_id=thread_id,
        useful_for=useful_for(services, slot),
        slot_id=slot.id,
    )


def slot_file(
    services: Services,
    slot: SlotRecord,
    chat_id: int,
    part: str,
    kind: str,
    *,
    data: bytes,
    filename: str,
    caption: str,
    priority: Priority,
    thread_id: int | None = None,
) -> list[Outgoing]:
    """A slot's picture or spreadsheet (`kind` in `FILE_KINDS`) to one chat."""
    return messages.file_message(
        chat_id,
        kind,
        data=data,
        filename=filename,
        caption=caption,
        priority=priority,
        proactive=True,
        key=slot_key(slot, chat_id, part),
        thread_id=thread_id,
        useful_for=useful_for(services, slot),
        slot_id=slot.id,
    )


async def owe(services: Services, calls: Sequence[Outgoing]) -> int:
    """Queue a slot's calls in one transaction; return how many were new."""
    if not calls:
        return 0
    async with services.transaction() as session:
        queued = await services.out.queue(session, calls)
    services.out.release(queued)
    return len(queued)
