"""Sending a broadcast's content: to recipients with the read button, to its sender as preview."""

from __future__ import annotations

from telegram import Bot, Message

from domain.broadcast import BroadcastView
from handlers.broadcast import keyboards


async def send_content(bot: Bot, chat_id: int, b: BroadcastView, *, with_ack: bool) -> Message:
    """Send the broadcast as recipients see it (the preview leaves out the read button)."""
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
