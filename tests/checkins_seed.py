"""Insert check-ins directly, for tests only (filing belongs to the check-in feature).
Keeps the table's contract: versions per TPS and kind, the newest one current."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Checkin


async def add_checkin(
    session: AsyncSession,
    *,
    tps_id: str,
    kind: str,
    at: datetime,
    severity: str = "ok",
    payload: dict[str, Any] | None = None,
    relayed: bool = False,
) -> int:
    """File one check-in (a correction when the TPS filed this kind before); return its id."""
    version = (
        await session.execute(
            select(func.coalesce(func.max(Checkin.version), 0)).where(
                Checkin.tps_id == tps_id, Checkin.kind == kind
            )
        )
    ).scalar_one()
    await session.execute(
        update(Checkin)
        .where(Checkin.tps_id == tps_id, Checkin.kind == kind, Checkin.is_current.is_(True))
        .values(is_current=False)
    )
    row = Checkin(
        tps_id=tps_id,
        kind=kind,
        version=int(version) + 1,
        is_current=True,
        district_code=tps_id[:6],
        regency_code=tps_id[:4],
        province_code=tps_id[:2],
        severity=severity,
        payload=payload or {},
        source="guided",
        relayed=relayed,
        sent_at=at,
        received_at=at,
        dedupe_key=uuid.uuid4().hex,
    )
    session.add(row)
    await session.flush()
    return row.id
