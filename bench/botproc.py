"""The bot alone in a process, for memory figures: `python -m bench.botproc URL API TOKEN`.

Reads commands on stdin: `rss` prints the resident memory now and at peak (MB) as JSON;
`top` prints the 15 source lines holding the most memory (run with PYTHONTRACEMALLOC=1);
`stop` stops the bot and exits.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tracemalloc
from pathlib import Path

from bot import runner
from bot.config import Settings

from .harness import NOW


def memory_mb() -> dict[str, float]:
    fields = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1024
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def memory_top(limit: int = 15) -> dict[str, float]:
    """KB held per source line, biggest first (empty unless tracemalloc is tracing)."""
    if not tracemalloc.is_tracing():
        return {}
    stats = tracemalloc.take_snapshot().statistics("lineno")[:limit]
    return {str(s.traceback[0]): round(s.size / 1024, 1) for s in stats}


async def main(url: str, api_base: str, token: str) -> None:
    settings = Settings(
        _env_file=None,
        telegram_bot_token=token,  # type: ignore[arg-type]
        telegram_api_base_url=api_base,
        database_url=url,
        log_level="WARNING",
    )
    running = await runner.start(settings, clock=lambda: NOW, poll_timeout=1)
    print(json.dumps({"ready": True, **memory_mb()}), flush=True)
    loop = asyncio.get_running_loop()
    while True:
        command = (await loop.run_in_executor(None, sys.stdin.readline)).strip()
        if command == "rss":
            print(json.dumps(memory_mb()), flush=True)
        elif command == "top":
            print(json.dumps(memory_top()), flush=True)
        elif command in ("stop", ""):
            break
    await runner.stop(running)
    print(json.dumps({"stopped": True, **memory_mb()}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
