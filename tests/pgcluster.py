"""A throwaway PostgreSQL cluster of a test's own, for tests that stop and restart the server.

The shared server of `.ci/postgres.sh` serves every other test and must never be restarted;
this one lives in a temporary directory on a free port. As root the server runs as the
`postgres` user (PostgreSQL refuses to run as root), as `.ci/postgres.sh` does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def server_bin() -> Path | None:
    given = os.environ.get("DESKBOT_PG_BIN")
    if given and (Path(given) / "initdb").exists():
        return Path(given)
    found = sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = _free_port()
        self.dir = Path(tempfile.mkdtemp(prefix="deskbot-pgtest-"))
        self._as: list[str] = []
        if os.geteuid() == 0:
            self._as = ["runuser", "-u", "postgres", "--"]
            shutil.chown(self.dir, "postgres")
        self._run(
            "initdb",
            "-D",
            str(self.dir / "data"),
            "-U",
            "deskbot",
            "--auth=trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://deskbot@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(
            [*self._as, str(self.bindir / tool), *args],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def _ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.dir / "data"),
            "-l",
            str(self.dir / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            options,
            *extra,
            action,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def restart(self) -> None:
        self._ctl("restart", "-m", "fast")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self._ctl("stop", "-m", "immediate")
        shutil.rmtree(self.dir, ignore_errors=True)
