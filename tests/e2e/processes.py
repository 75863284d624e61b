"""Real `deskbot run` processes for tests: start, ask their /healthz and /metrics, kill."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.conftest import REPO

ENTRY = Path(__file__).with_name("standby_entry.py")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any bot settings, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("TELEGRAM_", "DATABASE_", "WEBHOOK_", "METRICS_", "LOG_", "LEADER_"))
    }
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


@dataclass
class BotProcess:
    name: str
    proc: asyncio.subprocess.Process
    http_port: int
    log_path: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    async def health(self) -> tuple[int, dict[str, Any]]:
        url = f"http://127.0.0.1:{self.http_port}/healthz"
        timeout = aiohttp.ClientTimeout(total=10)
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(url) as resp:
            return resp.status, json.loads(await resp.text())

    async def metrics(self) -> str:
        url = f"http://127.0.0.1:{self.http_port}/metrics"
        async with aiohttp.ClientSession() as session, session.get(url) as resp:
            return await resp.text()

    async def wait_role(self, role: str, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        deadline = time.monotonic() + timeout
        last: Any = None
        while time.monotonic() < deadline:
            if self.proc.returncode is not None:
                raise AssertionError(f"{self.name} exited {self.proc.returncode}:\n{self.log()}")
            try:
                _, body = await self.health()
                last = body
                if body.get("role") == role:
                    return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
        raise AssertionError(f"{self.name} not {role} after {timeout}s ({last}):\n{self.log()}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)

    async def terminate(self, timeout: float = 30.0) -> int:  # noqa: ASYNC109
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        return await asyncio.wait_for(self.proc.wait(), timeout)


async def spawn(
    name: str, env: dict[str, str], workdir: Path, *, http_port: int, plain: bool = False
) -> BotProcess:
    """Start `deskbot run` (plain) or it with the announcing starter (`standby_entry.py`)."""
    log_path = workdir / f"{name}.log"
    command = ["-m", "bot", "run"] if plain else [str(ENTRY)]
    with log_path.open("wb") as log_file:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            *command,
            env=env,
            cwd=workdir,
            stdout=log_file,
            stderr=log_file,
        )
    return BotProcess(name=name, proc=proc, http_port=http_port, log_path=log_path)


def metric(text: str, name: str) -> float:
    """The value of one sample line `name value` (0 when absent)."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[-1])
    return 0.0


async def run_cli(
    *args: str, env: dict[str, str], cwd: Path, wait: float = 60, stdin: str | None = None
) -> tuple[int, str, str]:
    """Run `python -m bot ARGS` to completion (with `stdin` as its standard input, if given);
    return (exit code, stdout, stderr)."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        cwd=cwd,
        stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    given = stdin.encode() if stdin is not None else None
    out, err = await asyncio.wait_for(proc.communicate(given), wait)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
