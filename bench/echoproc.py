"""A bare python-telegram-bot echo bot alone in a process: `python -m bench.echoproc API TOKEN`.

The baseline for the ceiling section: its CPU per update is read from outside, like the bot's.
Prints `{"ready": true}` once polling; stops on `stop` (or end of input) on stdin.
"""

from __future__ import annotations

import asyncio
import json
import sys

from .harness import echo_bot


async def main(api_base: str, token: str) -> None:
    async with echo_bot(_Address(api_base, token)):  # type: ignore[arg-type]
        print(json.dumps({"ready": True}), flush=True)
        loop = asyncio.get_running_loop()
        while (await loop.run_in_executor(None, sys.stdin.readline)).strip() not in ("stop", ""):
            pass


class _Address:
    def __init__(self, base_url: str, token: str) -> None:
        self.base_url, self.token = base_url, token


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
