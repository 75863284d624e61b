"""How many updates a second one instance handles in webhook mode (docs/deploy.md sizing).

    .venv/bin/python -m bench.webhook_throughput [DATABASE_URL] [--updates N] [--concurrency C]

Runs the real `serve` against the fake Bot API on 127.0.0.1 and POSTs N `/start` updates
from N different strangers, C at a time (Telegram's default max_connections is 40), each
answered by one sendMessage after a database lookup. Prints updates per second and the
latency percentiles of the webhook answer (which comes after the update was handled).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from bot import runner
from bot.config import Settings
from bot.health import Role
from bot.serve import serve
from tests.fakebot import FakeBotApi

SECRET = "bench-secret"


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("database_url", nargs="?")
    parser.add_argument("--updates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=40)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp())
    url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.sqlite3'}"
    async with FakeBotApi(flood_limits=False, allow_http_webhooks=True) as api:
        port = _port()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            telegram_bot_token=api.token,
            telegram_api_base_url=api.base_url,
            database_url=url,
            webhook_url=f"http://127.0.0.1:{port}/hook",
            webhook_secret=SECRET,
            webhook_port=port,
            webhook_allow_http=True,
        )
        stop = asyncio.Event()
        box: list[runner.Running] = []
        task = asyncio.create_task(serve(settings, stop, on_running=box.append))
        while not box or box[0].health.role is not Role.ACTIVE:  # noqa: ASYNC110
            await asyncio.sleep(0.05)
        updates = [
            {
                "update_id": i + 1,
                "message": {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": 10_000 + i, "type": "private", "first_name": "T"},
                    "from": {"id": 10_000 + i, "is_bot": False, "first_name": "T"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }
            for i in range(args.updates)
        ]
        for u in updates:
            api.add_chat(u["message"]["chat"]["id"], "private")
        latencies: list[float] = []
        gate = asyncio.Semaphore(args.concurrency)
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET, "Content-Type": "application/json"}
        connector = aiohttp.TCPConnector(limit=args.concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:

            async def post(update: dict[str, object]) -> None:
                async with gate:
                    began = time.perf_counter()
                    async with session.post(
                        settings.webhook_url or "", data=json.dumps(update), headers=headers
                    ) as resp:
                        assert resp.status == 200, resp.status
                    latencies.append(time.perf_counter() - began)

            began = time.perf_counter()
            await asyncio.gather(*(post(u) for u in updates))
            elapsed = time.perf_counter() - began
        stop.set()
        await task
        sent = api.count("sendMessage")
    latencies.sort()
    print(
        f"{args.updates} updates in {elapsed:.1f} s = {args.updates / elapsed:.0f} updates/s "
        f"({sent} replies); webhook answer p50 {statistics.median(latencies) * 1000:.0f} ms, "
        f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms; {url.split(':')[0]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
