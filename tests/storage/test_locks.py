"""Named locks: a queue of waiters for one lock holds no pooled connections (PostgreSQL), and the local side."""

from __future__ import annotations

import asyncio

from bot.storage.database import LocalLocks, user_lock
from bot.storage.postgres import POOL_SIZE
from bot.storage.store import open_storage
from tests.databases import postgres_schema


async def test_waiters_for_a_busy_lock_leave_the_pool_to_everything_else() -> None:
    async with postgres_schema() as url, open_storage(url) as storage:
        database = storage.database
        inside, release = asyncio.Event(), asyncio.Event()
        order: list[int] = []

        async def admission(number: int) -> None:
            async with database.transaction(locks=[user_lock(1)]) as tx:
                await tx.fetchone("SELECT 1 AS one")
                order.append(number)
                if number == 0:
                    inside.set()
                    await release.wait()

        holder = asyncio.create_task(admission(0))
        await inside.wait()
        waiters = [asyncio.create_task(admission(n)) for n in range(1, 3 * POOL_SIZE)]
        await asyncio.sleep(0.2)  # every waiter has asked for the lock by now
        # Three times the pool's size are waiting for member 1's lock; a claim still gets a connection.
        row = await asyncio.wait_for(database.fetchone("SELECT 2 AS two"), timeout=10)
        assert row is not None and row["two"] == 2 and order == [0]
        release.set()
        await asyncio.gather(holder, *waiters)
    assert sorted(order) == list(range(3 * POOL_SIZE))


async def test_local_locks_serialize_one_name_and_forget_it_after() -> None:
    locks = LocalLocks()
    events: list[str] = []

    async def hold(name: str, tag: str) -> None:
        async with locks.hold([name]):
            events.append(f"{tag} in")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            events.append(f"{tag} out")

    await asyncio.gather(hold("a", "1"), hold("a", "2"), hold("b", "3"))
    assert events.index("1 out") < events.index("2 in")  # one name: one after the other
    assert events.index("3 in") < events.index("1 out")  # another name: alongside
    assert locks._locks == {} and locks._users == {}
