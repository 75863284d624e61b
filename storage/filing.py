"""Storing one check-in from any channel (Telegram guided or quick, SMS): one transaction,
retried when a concurrent filing for the same TPS and kind took the version number.

Shared by `handlers.checkins.service.store` and the SMS package, so both channels store
through the same path (dedupe key, versions, denormalised region codes).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from domain.checkins.kinds import Kind, Source
from domain.checkins.records import Filed, TpsInfo
from domain.checkins.reports import Report, payload_of
from domain.people import Member
from domain.roles import Role
from storage import checkins, conversations, counters

log = logging.getLogger(__name__)

Within = Callable[[AsyncSession, Filed, TpsInfo], Awaitable[object]]

STORE_ATTEMPTS = 3


async def store_checkin(
    sessions: async_sessionmaker[AsyncSession],
    *,
    member: Member,
    tps_id: str,
    kind: Kind,
    report: Report,
    source: Source,
    sent_at: datetime,
    received_at: datetime,
    dedupe_key: str,
    finished_draft: int | None = None,
    then: Within | None = None,
) -> tuple[Filed, TpsInfo] | None:
    """Store one check-in (and drop the finished draft) in one transaction; None if no TPS.

    `then(session, filed, tps)` runs inside that transaction (the Telegram receipt is queued in
    the outbox there, so both commit together). A camat's filing is marked relayed. A
    concurrent filing for the same TPS and kind takes the same version number; the loser retries
    with the next one (`IntegrityError`, at most `STORE_ATTEMPTS` times). The same `dedupe_key`
    again returns the stored one, `duplicate`. A new real check-in is counted for `/metrics`
    once committed (`storage.counters`; practice is not).
    """
    for attempt in range(1, STORE_ATTEMPTS + 1):
        try:
            async with sessions() as session, session.begin():
                found = await checkins.tps_for_filing(session, tps_id, kind, dedupe_key)
                if found is None:
                    return None
                tps, before = found
                filed = await checkins.file_checkin(
                    session,
                    tps=tps,
                    kind=kind,
                    severity=report.severity(),
                    payload=payload_of(report),
                    source=source,
                    filed_by=member.id,
                    filed_by_name=member.name,
                    relayed=member.role is Role.CAMAT,
                    sent_at=sent_at,
                    received_at=received_at,
                    dedupe_key=dedupe_key,
                    before=before,
                )
                if finished_draft is not None:
                    await conversations.drop(session, finished_draft)
                if then is not None:
                    await then(session, filed, tps)
            if not filed.duplicate and filed.rehearsal_id is None:
                counters.checkin_stored()
            return filed, tps
        except IntegrityError:
            if attempt == STORE_ATTEMPTS:
                raise
            log.info("check-in for %s %s raced another; retrying", tps_id, kind.value)
    return None
