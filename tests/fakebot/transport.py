"""Decoding of Bot API request bodies (JSON, urlencoded, multipart)."""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass

from aiohttp import web

from .state import ApiError, JSONDict, UploadedFile, bad_request

logger = logging.getLogger(__name__)

# Fields whose form values are JSON-serialized objects/arrays.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "scope",
        "commands",
        "allowed_updates",
        "link_preview_options",
        "reply_parameters",
        "menu_button",
        "media",
        "reaction",
        "results",
    }
)
INT_FIELDS = frozenset(
    {
        "chat_id",
        "message_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
        "reply_to_message_id",
        "message_thread_id",
        "max_connections",
        "live_period",
        "heading",
        "proximity_alert_radius",
        "duration",
        "width",
        "height",
    }
)
FLOAT_FIELDS = frozenset({"latitude", "longitude", "horizontal_accuracy"})
BOOL_FIELDS = frozenset(
    {
        "disable_notification",
        "protect_content",
        "drop_pending_updates",
        "show_alert",
        "disable_web_page_preview",
        "allow_sending_without_reply",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
        "is_personal",
    }
)


def normalize_params(params: JSONDict) -> JSONDict:
    """Turn form strings into the types Telegram would parse them as."""
    result: JSONDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            # Undecodable values stay strings: handlers answer "can't parse ..." and
            # chat_id="@channelusername" is legitimately not an integer.
            if key in JSON_FIELDS:
                with contextlib.suppress(ValueError):
                    value = json.loads(value)
            elif key in INT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = int(value)
            elif key in FLOAT_FIELDS:
                with contextlib.suppress(ValueError):
                    value = float(value)
            elif key in BOOL_FIELDS:
                value = value.strip().lower() in ("true", "1")
        result[key] = value
    return result


@dataclass
class ParsedBody:
    params: JSONDict
    files: dict[str, UploadedFile]


async def read_params(request: web.Request) -> ParsedBody:
    params: JSONDict = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files[key] = UploadedFile(
                        name=key,
                        filename=value.filename,
                        content_type=value.content_type,
                        data=data if isinstance(data, bytes) else bytes(data),
                    )
                else:
                    params[key] = value if isinstance(value, str) else bytes(value).decode()
        else:
            raw = await request.read()
            if raw.strip():
                try:
                    body = json.loads(raw)
                except ValueError:
                    raise bad_request("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: JSON object expected")
                params.update(body)
    return ParsedBody(normalize_params(params), files)
