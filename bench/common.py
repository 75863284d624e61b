"""What sections share: options, the fake Bot API with per-chat waiting, result tables."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tests.fakebot import FakeBotApi
from tests.fakebot.state import RequestRecord

PASSIVE = {"getupdates", "getme", "setmycommands", "deletewebhook", "getwebhookinfo"}


@dataclass
class Options:
    quick: bool = False
    latency: float = 0.03  # seconds the fake Bot API takes per call, like a real network
    users: int = 200
    lines: int = 5  # one-line check-ins per simulated officer
    conversations: int | None = None  # open at once in the memory case (default by case)
    country: bool = False  # memory and digest sections: the whole country instead of a province
    cap: float = 2.0  # outbox section: the bot's send rate and the fake's per-bot limit, /s
    runs: int | None = None  # web section: interleaved rounds (default 9; 7 with --quick)
    bot_cap: float = 5.0  # scaling section: each bot's cap at the fake and in the bot, /s
    # The process ceiling (one-line check-ins /s) when the ceiling section ran earlier in this
    # run (set by `bench.__main__`); the scaling section measures one itself otherwise.
    ceiling_per_s: float | None = None


@dataclass
class Figure:
    name: str
    value: float
    unit: str
    baseline: float | None = None
    target: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline in (None, 0):
            return None
        return self.value / float(self.baseline)


@dataclass
class Section:
    name: str
    figures: list[Figure] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)
    report: str = ""  # a table of the section's own, printed after the common one


class BenchApi(FakeBotApi):
    """The fake Bot API, plus: wake whoever waits for the next call to a chat."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._waiting: dict[int, list[asyncio.Future[RequestRecord]]] = defaultdict(list)
        self.active_calls = 0

    def expect(self, chat_id: int) -> asyncio.Future[RequestRecord]:
        """A future for the next answered call that goes to this chat (register before acting)."""
        future: asyncio.Future[RequestRecord] = asyncio.get_running_loop().create_future()
        self._waiting[chat_id].append(future)
        return future

    def _store(self, record: RequestRecord, status: int, body: Any) -> None:
        super()._store(record, status, body)
        if record.method.lower() not in PASSIVE:
            self.active_calls += 1
        chat = record.chat_id
        if isinstance(chat, int) and chat in self._waiting:
            for future in self._waiting.pop(chat):
                if not future.done():
                    future.set_result(record)


def table(sections: list[Section]) -> str:
    lines = [f"{'figure':<46} {'value':>12} {'baseline':>12} {'ratio':>7}  target"]
    for section in sections:
        lines.append(f"[{section.name}]")
        for f in section.figures:
            base = "" if f.baseline is None else f"{f.baseline:>12.2f}"
            ratio = "" if f.ratio is None else f"{f.ratio:>7.2f}"
            lines.append(
                f"  {f.name:<44} {f.value:>12.2f} {base:>12} {ratio:>7}  {f.unit} {f.target}"
            )
    return "\n".join(lines)
