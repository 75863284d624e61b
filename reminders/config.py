"""The desk config file (TOML, `DESK_CONFIG_FILE`): read at start, stored in the database.

The database holds the schedule that runs; admins change it in chat (/tenggat, /pengingat,
/jadwalrekap, audited). At start the file is applied only when its content changed since it
was last applied (its hash is stored): editing the file and restarting wins, a plain restart
keeps the admins' edits. A file that does not parse stops the start with the reason.
"""

from __future__ import annotations

import hashlib
import logging
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING

from domain.schedule import DeskSchedule, ScheduleError
from storage import people, schedules

if TYPE_CHECKING:  # the running bot's; `deskbot` commands read the file without it
    from services import Services

log = logging.getLogger(__name__)


class DeskConfigError(RuntimeError):
    """The desk config file cannot be used."""


NO_SCHEDULE = (
    "no desk schedule: no reminder, escalation or digest will go out. Copy desk.example.toml "
    "to desk.toml, set election_day and the deadlines, put DESK_CONFIG_FILE=./desk.toml in "
    ".env and start again"
)


def read_config(path: Path) -> tuple[DeskSchedule, str]:
    """The schedule in a desk config file and the file's SHA-256, or `DeskConfigError`."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeskConfigError(
            f"DESK_CONFIG_FILE: cannot read {path} ({exc.strerror}); "
            "copy desk.example.toml there or fix the path in .env"
        ) from None
    try:
        schedule = DeskSchedule.from_dict(tomllib.loads(raw.decode("utf-8")))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DeskConfigError(
            f"{path}: not a valid schedule file ({exc}); compare it with desk.example.toml "
            '(dates are written 2024-02-14, times "07:00" in quotes)'
        ) from exc
    except ScheduleError as exc:
        raise DeskConfigError(f"{path}: {exc}") from exc
    return schedule, hashlib.sha256(raw).hexdigest()


async def apply_config_file(services: Services) -> bool:
    """Store the file's schedule if the file changed since last time; True if it did.

    Without a file and without a stored schedule, says once (a warning at start) that nothing
    will be sent and how to set a schedule up.
    """
    path = services.desk_config_file
    if not path:
        async with services.transaction() as session:
            stored, _ = await schedules.load_schedule(session)
        if stored is None:
            log.warning(NO_SCHEDULE)
        return False
    schedule, digest = read_config(Path(path))
    now = services.clock()
    async with services.transaction() as session:
        _, stored_hash = await schedules.load_schedule(session)
        if stored_hash == digest:
            return False
        await schedules.save_schedule(session, schedule, now=now, by=None, file_hash=digest)
        await people.audit(
            session,
            actor_id=None,
            actor_label="config-file",
            action="schedule_from_file",
            now=now,
            detail={"file": Path(path).name, "sha256": digest, "schedule": schedule.to_dict()},
        )
    log.info("desk schedule applied from %s", path)
    return True
