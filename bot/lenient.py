"""A bot that survives malformed updates.

PTB parses a whole `getUpdates` batch at once; one update it cannot parse makes the whole batch
fail, forever, and every later update waits behind it. Here each update is checked on its own;
one that does not parse is logged by id and replaced by a bare `{"update_id": N}`, which no
handler claims, so the offset moves past it and nothing after it is lost.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import ExtBot

log = logging.getLogger(__name__)


class LenientExtBot(ExtBot[None]):
    async def _post(self, endpoint: str, data: Any = None, **kwargs: Any) -> Any:
        result = await super()._post(endpoint, data, **kwargs)
        if endpoint != "getUpdates" or not isinstance(result, list):
            return result
        return [u for u in (_checked(raw, self) for raw in result) if u is not None]


def _checked(raw: Any, bot: ExtBot[None]) -> dict[str, Any] | None:
    if not isinstance(raw, dict) or not isinstance(raw.get("update_id"), int):
        log.warning("dropping an update without an update_id")
        return None
    try:
        Update.de_json(dict(raw), bot)
    except Exception:
        log.warning("update %s is malformed; skipping it", raw["update_id"], exc_info=True)
        return {"update_id": raw["update_id"]}
    return raw
