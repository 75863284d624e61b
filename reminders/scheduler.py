"""The schedule runner: each tick records the slots that fell due and sends the open ones.

One repeating JobQueue job (every `schedule_tick_seconds`, `misfire_grace_time=None` and
`coalesce=True`, so APScheduler never silently drops a run however late the loop is) starts a
tick unless one is still running. A tick:

1. computes every slot of the stored schedule (pure: `domain.slots.slots`), and of the
   running rehearsal's, keyed `sim<id>:...` (`domain.rehearsal.rehearsal_slots`);
2. records each slot that is due and not yet in the `slot` table, as `sending` if it is
   within its grace window, else as `missed` (logged; /tenggat shows them);
3. works through every `sending` slot, oldest first, queueing each part for each chat in the
   outbox (keyed by slot, chat and part; see `reminders.delivery`), then marks it `done`.

A restart at any moment resumes at step 3, and the keys make queueing again queue nothing
twice. The sender delivers what is queued exactly once, retrying 429s, 5xx and outages until
the slot's `useful_until` (see `outbox.sender`).
Tests call `tick(app)` directly after moving the injected clock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from domain.rehearsal import rehearsal_slots
from domain.schedule import desk_time
from domain.slots import Fate, SlotDef, SlotKind, due, slots
from reminders import alerts, sending
from services import DeskApplication, DeskContext, Services
from storage import rehearsals, schedules
from storage.digest import desk_setup
from storage.schedules import SlotRecord
from views import rehearsal_report

log = logging.getLogger(__name__)

DEFAULT_TICK_SECONDS = 15.0
JOB_NAME = "desk-schedule"
MISSED_NAMED = 5  # more slots missed at once are logged as one line


def _services(app: DeskApplication) -> Services:
    services = app.bot_data.services
    if services is None:
        raise RuntimeError("services are not attached")
    return services


async def record_due(services: Services) -> list[SlotDef]:
    """Step 1 and 2: record every due slot once; return those newly marked missed."""
    now = services.clock()
    async with services.transaction() as session:
        setup = await desk_setup(session)
        practice = await rehearsals.running(session)
    ready = due(slots(setup.schedule, setup.zone), now)
    if practice is not None:
        ready += due(
            rehearsal_slots(
                practice.plan,
                rehearsal_id=practice.id,
                started_at=practice.started_at,
                zone=setup.zone,
            ),
            now,
        )
    if not ready:
        return []
    missed: list[SlotDef] = []
    async with services.transaction() as session:
        known = await schedules.known_keys(session, [s.key for s in ready])
        for slot in ready:
            if slot.key in known:
                continue
            fate = slot.fate(now)
            status = "sending" if fate is Fate.SEND else "missed"
            note = None if fate is Fate.SEND else "due while the bot was not running"
            recorded = await schedules.record_slot(session, slot, status=status, now=now, note=note)
            if recorded and status == "missed":
                missed.append(slot)
    if len(missed) > MISSED_NAMED:
        # A schedule whose election is over (desk.example.toml as copied) misses dozens at once.
        log.warning(
            "%d slots fell due between %s and %s and are past their grace window: missed "
            "(is election_day in the schedule right?)",
            len(missed),
            desk_time(min(s.due_at for s in missed), setup.zone),
            desk_time(max(s.due_at for s in missed), setup.zone),
        )
        return missed
    for slot in missed:
        log.warning(
            "slot %s fell due at %s and is past its grace window: missed",
            slot.key,
            desk_time(slot.due_at, setup.zone),
        )
    return missed


async def tick(app: DeskApplication) -> list[str]:
    """Record what fell due and send every open slot; return the keys finished."""
    services = _services(app)
    async with services.schedule_runner.lock:
        await record_due(services)
        async with services.transaction() as session:
            open_slots = await schedules.open_slots(session)
        finished = []
        for slot in open_slots:
            await run_slot(app, slot)
            finished.append(slot.key)
        await rehearsal_report.send_pending(app)
        return finished


async def run_slot(app: DeskApplication, slot: SlotRecord) -> None:
    services = _services(app)
    now = services.clock()
    async with services.transaction() as session:
        if now > slot.useful_until:
            await schedules.finish_slot(
                session, slot.id, status="missed", now=now, note="grace window ended while sending"
            )
            log.warning("slot %s expired while sending: marked missed", slot.key)
            return
        setup = await desk_setup(session, rehearsal=slot.rehearsal_id)
    kind = SlotKind(slot.kind)
    if kind is SlotKind.REMINDER:
        await sending.send_reminders(app, slot, setup)
    elif kind is SlotKind.ESCALATION:
        await sending.send_escalations(app, slot, setup)
    elif kind is SlotKind.DIGEST:
        await sending.send_digests(app, slot, setup)
    elif kind is SlotKind.ALERT:
        await alerts.send_alert(services, slot, setup)
    async with services.transaction() as session:
        await schedules.finish_slot(session, slot.id, status="done", now=services.clock())
    log.info("slot %s done", slot.key)


async def _tick_job(context: DeskContext) -> None:
    """Start a tick in the background unless one is still running."""
    state = context.services.schedule_runner
    if state.task is not None and not state.task.done():
        return
    state.task = asyncio.create_task(
        tick(context.application),  # type: ignore[arg-type]
        name="desk-schedule-tick",
    )
    state.task.add_done_callback(_log_failure)


def _log_failure(task: asyncio.Task[list[str]]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("schedule tick failed", exc_info=task.exception())


async def start_schedule(app: DeskApplication) -> None:
    """Apply the desk config file, then tick on the JobQueue."""
    from reminders.config import apply_config_file

    services = _services(app)
    await apply_config_file(services)
    if app.job_queue is None:
        log.warning("no JobQueue: reminders and digests are off")
        return
    seconds = services.schedule_tick_seconds or DEFAULT_TICK_SECONDS
    app.job_queue.run_repeating(
        _tick_job,
        interval=seconds,
        first=1,
        name=JOB_NAME,
        job_kwargs={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
    )


async def stop_schedule(app: DeskApplication) -> None:
    """Stop the repeating job and cancel a tick in progress (the ledger lets it resume)."""
    services = _services(app)
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(JOB_NAME):
            job.schedule_removal()
    task = services.schedule_runner.task
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
