"""How fast one bot process stores and receipts check-ins when nothing else holds it back.

Officers send one-line check-ins as fast as the bot takes them (each waits for its receipt,
then sends the next), against a fake Bot API with no flood limits and no latency, on SQLite
and (when TEST_POSTGRES_URL is set) PostgreSQL; then they file guided steps (press -> stored
draft -> edited message). The bot runs alone in a subprocess (`bench.botproc`), so its own CPU
time is read from `/proc/<pid>/stat`, apart from the load generator and the fake API here. A
bare python-telegram-bot echo bot (`bench.echoproc`, its own process and fake API) answers as
many messages, in rounds taken turn about with the bot's (`ROUNDS`, `--runs`): this machine's
speed drifts by a third within a minute, and the ratio must compare like with like. Its CPU per
update is the baseline of the ratio. Memory: see the `memory` section (`--country`).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from .broadcast import _database
from .checkins import GUIDED, LINES, _press, _say
from .common import BenchApi, Figure, Options, Section
from .harness import FIRST_USER, closed_loop, prepare_database

TICKS = os.sysconf("SC_CLK_TCK")
WARMUP_LINES = 2
ROUNDS = 3  # interleaved echo / check-in / guided rounds (`--runs`)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds the process has used so far."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime (fields 14 and 15)


@dataclass
class Child:
    proc: asyncio.subprocess.Process

    async def line(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        return dict(json.loads(await self.proc.stdout.readline()))

    def cpu(self) -> float:
        return cpu_seconds(self.proc.pid)


@asynccontextmanager
async def child(module: str, *args: str) -> AsyncIterator[Child]:
    """Start `python -m module args...`, wait for it to say it is ready, stop it after."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", module, *args,
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    running = Child(proc)
    try:
        await asyncio.wait_for(running.line(), 120)
        yield running
    finally:
        if proc.returncode is None:
            assert proc.stdin is not None
            proc.stdin.write(b"stop\n")
            await proc.stdin.drain()
            try:
                await asyncio.wait_for(proc.wait(), 60)
            except TimeoutError:
                proc.kill()
                await proc.wait()


Script = dict[int, list[Callable[[], object]]]


async def measured(api: BenchApi, proc: Child, scripts: Script) -> tuple[float, float]:
    """Run the scripts (one closed loop per chat): wall seconds and the child's CPU seconds."""
    cpu, started = proc.cpu(), time.perf_counter()
    await asyncio.gather(*(closed_loop(api, chat, acts) for chat, acts in scripts.items()))
    return time.perf_counter() - started, proc.cpu() - cpu


@dataclass
class Run:
    """What one backend's measurement added up to (seconds and CPU seconds summed over the
    rounds), and the echo bot's figures measured between its rounds."""

    lines: int
    line_s: float
    line_cpu: float
    steps: int
    step_s: float
    step_cpu: float
    echo_updates: int = 0
    echo_s: float = 0.0
    echo_cpu: float = 0.0


async def _desk(url: str, users: int, lines: int, rounds: int = 1) -> Run:
    """Measure the bot on `url` in `rounds` rounds, each: the echo bot answering
    users x lines/rounds messages, the bot taking as many one-line check-ins, then one guided
    check-in per officer (its steps but the first and last measured). Interleaved so that both
    meet the same machine: on a shared one its speed drifts by a third within a minute."""
    await prepare_database(url, regencies=["3672"], officers=users)
    steps = GUIDED[:-1]  # every step but the last ("send" stores the check-in)
    per_round = max(1, lines // rounds)
    run = Run(0, 0.0, 0.0, 0, 0.0, 0.0)
    async with (
        BenchApi(flood_limits=False) as api,
        BenchApi(flood_limits=False) as echo_api,
    ):
        api.set_latency(0.0)
        echo_api.set_latency(0.0)
        people = [api.user(FIRST_USER + i) for i in range(users)]
        echo_people = [echo_api.user(FIRST_USER + i) for i in range(users)]
        async with (
            child("bench.botproc", url, api.base_url, api.token) as bot,
            child("bench.echoproc", echo_api.base_url, echo_api.token) as echo,
        ):
            # warm-up: connections, caches, first imports
            warm = {u.id: [_say(u, f"SIAP 06:0{k} 7") for k in range(WARMUP_LINES)] for u in people}
            await measured(api, bot, warm)
            await measured(echo_api, echo, {u.id: [_say(u, "warm")] for u in echo_people})
            for r in range(rounds):
                first = r * per_round
                wall, cpu = await measured(
                    echo_api, echo,
                    {u.id: [_say(u, f"echo {first + k}") for k in range(per_round)]
                     for u in echo_people},
                )  # fmt: skip
                run.echo_updates += users * per_round
                run.echo_s, run.echo_cpu = run.echo_s + wall, run.echo_cpu + cpu
                quick = {
                    u.id: [_say(u, LINES[(first + k) % len(LINES)].format(n=first + k + 1))
                           for k in range(per_round)]
                    for u in people
                }  # fmt: skip
                wall, cpu = await measured(api, bot, quick)
                run.lines += users * per_round
                run.line_s, run.line_cpu = run.line_s + wall, run.line_cpu + cpu
                await measured(api, bot, {u.id: [_say(u, "/banjir")] for u in people})
                wall, cpu = await measured(
                    api, bot, {u.id: [_press(api, u, v) for v in steps] for u in people}
                )
                run.steps += users * len(steps)
                run.step_s, run.step_cpu = run.step_s + wall, run.step_cpu + cpu
                await measured(api, bot, {u.id: [_press(api, u, GUIDED[-1])] for u in people})
    return run


LINE_RATE = "sqlite: one-line check-ins per second"


def _sizes(quick: bool) -> tuple[int, int]:
    """(officers, lines each) of a measurement."""
    return (20, 3) if quick else (100, 30)


async def line_rate(*, quick: bool) -> float:
    """The process ceiling, measured now: one-line check-ins a second that one bot process
    stores and receipts on SQLite with nothing else holding it back (the figure `LINE_RATE`
    of this section)."""
    async with _database("sqlite") as url:
        got = await _desk(url, *_sizes(quick))
    return got.lines / got.line_s


def line_rate_of(section: Section) -> float | None:
    """The process ceiling (check-ins a second) as this section measured it; None if absent."""
    found = [f.value for f in section.figures if f.name == LINE_RATE]
    return found[0] if found else None


async def run(options: Options) -> Section:
    users, lines = _sizes(options.quick)
    rounds = options.runs or (1 if options.quick else ROUNDS)
    section = Section("ceiling")
    backends = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_POSTGRES_URL") else [])
    echo = Run(0, 0.0, 0.0, 0, 0.0, 0.0)
    measured_runs: dict[str, Run] = {}
    for backend in backends:
        async with _database(backend) as url:
            got = await _desk(url, users, lines, rounds)
        measured_runs[backend] = got
        echo.echo_updates += got.echo_updates
        echo.echo_s += got.echo_s
        echo.echo_cpu += got.echo_cpu
    section.figures.append(
        Figure("echo bot: updates per second", echo.echo_updates / echo.echo_s, "/s")
    )
    section.figures.append(
        Figure("echo bot: CPU ms per update", 1000 * echo.echo_cpu / echo.echo_updates, "ms")
    )
    for backend, got in measured_runs.items():
        rate_target = ">= 200" if backend == "sqlite" else ">= 150"
        line_ms = 1000 * got.line_cpu / got.lines
        step_ms = 1000 * got.step_cpu / got.steps
        echo_ms = 1000 * got.echo_cpu / got.echo_updates  # measured between this one's rounds
        section.figures += [
            Figure(LINE_RATE.replace("sqlite", backend), got.lines / got.line_s, "/s",
                   target=rate_target),
            Figure(f"{backend}: one-line CPU ms per check-in", line_ms, "ms", target="<= 5"),
            Figure(f"{backend}: one-line CPU vs echo CPU per update", line_ms, "ms",
                   baseline=echo_ms, target="ratio <= 3"),
            Figure(f"{backend}: guided steps per second", got.steps / got.step_s, "/s"),
            Figure(f"{backend}: guided CPU ms per step", step_ms, "ms", target="<= 5"),
        ]  # fmt: skip
        section.notes[f"{backend}.check_ins"] = got.lines
        section.notes[f"{backend}.guided_steps"] = got.steps
    section.notes["users"] = users
    section.notes["rounds"] = rounds
    section.notes["cpu"] = (
        "the bot's own process (utime+stime from /proc), not the load; the echo bot measured "
        "between each backend's rounds, and that backend's ratio is against it"
    )
    return section
