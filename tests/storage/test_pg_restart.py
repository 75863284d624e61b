"""PostgreSQL going away and coming back, on a cluster of the test's own (never the shared one).

What an officer relies on: a write the bot confirmed (committed) before the server restarted is
still there afterwards; a write whose transaction could not commit surfaces as an error to the
caller (so no receipt is sent for it); writes after the restart work without restarting the bot;
and the active instance notices that its lock session is gone.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.leader import PgLeadership
from services import utc_now
from storage import people
from storage.db import create_engine, create_sessionmaker
from storage.migrate import upgrade
from tests.pgcluster import Cluster, server_bin


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bindir = server_bin()
    reason = None
    if bindir is None:
        reason = "no PostgreSQL server binaries"
    elif os.geteuid() == 0 and not _has_postgres_user():
        reason = "running as root without a 'postgres' user"
    if reason is not None:
        if os.environ.get("DESKBOT_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    assert bindir is not None
    own = Cluster(bindir)
    own.start()
    try:
        yield own
    finally:
        own.destroy()


def _has_postgres_user() -> bool:
    import pwd

    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return False
    return True


@pytest.fixture
async def sessions(cluster: Cluster) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(cluster.url, pool_size=2)
    await upgrade(engine)
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DELETE FROM audit_log")
    yield create_sessionmaker(engine)
    await engine.dispose()


async def record(sessions: async_sessionmaker[AsyncSession], what: str) -> None:
    """One check-in-like write: one transaction, committed before anyone is told."""
    async with sessions() as session, session.begin():
        await people.audit(
            session, actor_id=None, actor_label="test", action=what, detail={}, now=utc_now()
        )


async def actions(sessions: async_sessionmaker[AsyncSession]) -> list[str]:
    async with sessions() as session:
        return [e.action for e in await people.audit_entries(session)]


async def test_a_confirmed_write_survives_a_restart_and_writes_resume(
    cluster: Cluster, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await record(sessions, "confirmed-before")
    await asyncio.to_thread(cluster.restart)  # every pooled connection is now dead
    await record(sessions, "after-restart")
    assert await actions(sessions) == ["confirmed-before", "after-restart"]


async def test_a_transaction_cut_by_a_restart_fails_loudly_and_leaves_nothing(
    cluster: Cluster, sessions: async_sessionmaker[AsyncSession]
) -> None:
    with pytest.raises((DBAPIError, OSError)):
        async with sessions() as session, session.begin():
            await people.audit(
                session, actor_id=None, actor_label="t", action="cut", detail={}, now=utc_now()
            )
            await asyncio.to_thread(cluster.restart)
    await record(sessions, "after")
    assert await actions(sessions) == ["after"]


async def test_a_write_while_the_server_is_down_fails_and_the_next_one_works(
    cluster: Cluster, sessions: async_sessionmaker[AsyncSession]
) -> None:
    await asyncio.to_thread(cluster.stop)
    try:
        with pytest.raises((DBAPIError, OSError)):
            await record(sessions, "while-down")
    finally:
        await asyncio.to_thread(cluster.start)
    await record(sessions, "back-up")
    assert await actions(sessions) == ["back-up"]


async def test_the_leader_notices_a_restart_and_a_standby_gets_the_lock_after(
    cluster: Cluster,
) -> None:
    leader = PgLeadership(cluster.url, 4242, retry_seconds=0.1, keepalive_seconds=0.5)
    assert await leader.acquire(asyncio.Event())
    standby = PgLeadership(cluster.url, 4242, retry_seconds=0.1)
    give_up = asyncio.Event()
    give_up_soon = asyncio.get_running_loop().call_later(0.5, give_up.set)
    assert not await standby.acquire(give_up)  # held: the standby stays a standby
    give_up_soon.cancel()
    await asyncio.to_thread(cluster.restart)
    await asyncio.wait_for(leader.lost.wait(), 10)
    await leader.release()
    assert await asyncio.wait_for(standby.acquire(asyncio.Event()), 10)
    await standby.release()
