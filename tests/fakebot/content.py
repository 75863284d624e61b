"""Shapes of what users send: texts with command entities, photos, albums, stickers,
voice notes, polls, documents (Bot API ``Message`` fields)."""

from __future__ import annotations

import re

from .html_check import utf16_len
from .state import FakeState, JSONDict

COMMAND_RE = re.compile(r"^/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?=\s|$)")
FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 32 + b"\xff\xd9"
FAKE_OGG = b"OggS\x00\x02" + b"\x00" * 40


def command_entities(text: str) -> list[JSONDict]:
    """A ``bot_command`` entity for a leading ``/cmd`` or ``/cmd@botname``."""
    match = COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


def text_fields(text: str) -> JSONDict:
    fields: JSONDict = {"text": text}
    entities = command_entities(text)
    if entities:
        fields["entities"] = entities
    return fields


def photo_fields(
    state: FakeState, *, caption: str | None = None, data: bytes = FAKE_JPEG
) -> JSONDict:
    stored = state.register_file(kind="photo", data=data, filename="photo.jpg")
    small = state.register_file(kind="photo", data=data, filename="photo_s.jpg")
    fields: JSONDict = {
        "photo": [
            photo_size(small.file_id, small.file_unique_id, 90, len(data)),
            photo_size(stored.file_id, stored.file_unique_id, 800, len(data)),
        ]
    }
    if caption is not None:
        fields["caption"] = caption
    return fields


def album_fields(
    state: FakeState, count: int, caption: str | None, caption_index: int
) -> list[JSONDict]:
    """The messages of one album: photos sharing a ``media_group_id`` (Telegram sends
    each as its own update), the caption on one of them."""
    if not 2 <= count <= 10:
        raise ValueError("an album has 2 to 10 items")
    if not 0 <= caption_index < count:
        raise ValueError("caption_index is outside the album")
    group_id = str(13_000_000_000_000_000 + state.next_id())
    album = []
    for index in range(count):
        fields = photo_fields(state, caption=caption if index == caption_index else None)
        fields["media_group_id"] = group_id
        album.append(fields)
    return album


def sticker_fields(state: FakeState, emoji: str = "👍") -> JSONDict:
    stored = state.register_file(kind="sticker", data=b"RIFF\x00WEBP", filename="s.webp")
    sticker: JSONDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
        "emoji": emoji,
        "file_size": stored.size,
    }
    return {"sticker": sticker}


def voice_fields(state: FakeState, duration: int = 2, data: bytes = FAKE_OGG) -> JSONDict:
    stored = state.register_file(kind="voice", data=data, filename="voice.oga")
    voice: JSONDict = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "duration": duration,
        "mime_type": "audio/ogg",
        "file_size": stored.size,
    }
    return {"voice": voice}


def poll_fields(state: FakeState, question: str, options: tuple[str, ...]) -> JSONDict:
    poll: JSONDict = {
        "id": str(5_000_000_000_000_000_000 + state.next_id()),
        "question": question,
        "options": [
            {"text": option, "voter_count": 0, "persistent_id": str(index)}
            for index, option in enumerate(options)
        ],
        "total_voter_count": 0,
        "is_closed": False,
        "is_anonymous": True,
        "type": "regular",
        "allows_multiple_answers": False,
        # Bot API 9.6/10.0 fields PTB 22.8 requires to parse a poll
        "allows_revoting": True,
        "members_only": False,
    }
    return {"poll": poll}


def photo_size(file_id: str, unique_id: str, side: int, size: int) -> JSONDict:
    return {
        "file_id": file_id,
        "file_unique_id": unique_id,
        "width": side,
        "height": side * 3 // 4,
        "file_size": size,
    }


def document_dict(
    file_id: str, unique_id: str, filename: str | None, mime_type: str | None, size: int
) -> JSONDict:
    doc: JSONDict = {"file_id": file_id, "file_unique_id": unique_id, "file_size": size}
    if filename:
        doc["file_name"] = filename
    if mime_type:
        doc["mime_type"] = mime_type
    return doc
