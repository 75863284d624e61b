"""A broadcast's content: to recipients with the read button, to its sender as preview."""

from __future__ import annotations

from telegram import Bot, Message

from domain.broadcast import BroadcastView
from domain.outbox import Outgoing
from handlers.broadcast import keyboards
from outbox import messages


async def send_content(bot: Bot, chat_id: int, b: BroadcastView, *, with_ack: bool) -> Message:
    """Send the broadcast as recipients see it. Only the delivery worker calls this: its own
    queue (`broadcast_delivery`) claims each send before it and records it after."""
    markup = keyboards.ack(b.id) if with_ack else None
    if b.media_type == "photo" and b.media_file_id:
        return await bot.send_photo(
            chat_id, b.media_file_id, caption=b.text or None, parse_mode="HTML", reply_markup=markup
        )
    if b.media_type == "document" and b.media_file_id:
        return await bot.send_document(
            chat_id, b.media_file_id, caption=b.text or None, parse_mode="HTML", reply_markup=markup
        )
    return await bot.send_message(chat_id, b.text, parse_mode="HTML", reply_markup=markup)


def preview_calls(chat_id: int, b: BroadcastView, *, key: str | None) -> list[Outgoing]:
    """The broadcast as its recipients will see it, without the read button, for the sender."""
    if b.media_type in ("photo", "document") and b.media_file_id:
        return messages.file_message(
            chat_id, b.media_type, file_id=b.media_file_id, caption=b.text or "", key=key
        )
    return messages.text_message(chat_id, b.text, key=key)
