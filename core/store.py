"""The job store: one SQLite database, read and written only through the modules below.

- :mod:`core.db`: the connection, transactions and consistent reads;
- :mod:`core.migrations`: the schema and its upgrades;
- :mod:`core.enqueue`: adding jobs;
- :mod:`core.queue`: claims as leases and every write a worker makes;
- :mod:`core.queue_edits`: what a person does (cancel, re-trigger, remove, move, pause);
- :mod:`core.recovery`: marking jobs a dead process left running as stale;
- :mod:`core.batch_queue`: provider batches and the jobs they hold;
- :mod:`core.queries`: what the window and the command line read;
- :mod:`core.changes`: the change feed that turns every commit into events.

``Store`` only puts them together: each write commits, then pulls the change feed, so this
process's own changes reach subscribers through the same door as another process's.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

from core.batch_queue import BatchQueue
from core.changes import ChangeFeed, QueueMeta
from core.clock import Clock, SystemClock
from core.db import Database, Tx
from core.enqueue import Enqueue
from core.events import EventBus
from core.migrations import migrate
from core.queries import Queries
from core.queue import Leases
from core.queue_edits import QueueEdits
from core.recovery import Recovery
from core.waits import StoredWait, read_wait

T = TypeVar("T")


class Store(Queries, Enqueue, Leases, QueueEdits, Recovery, BatchQueue):
    def __init__(self, db: Database, clock: Clock, bus: EventBus) -> None:
        self.db = db
        self.path = db.path
        self.clock = clock
        self.bus = bus
        self.feed = ChangeFeed(db, bus)

    @classmethod
    async def open(
        cls, path: Path | str, clock: Clock | None = None, bus: EventBus | None = None
    ) -> Store:
        db = await Database.open(Path(path))
        try:
            await migrate(db)
            store = cls(db, clock or SystemClock(), bus or EventBus())
            await store.feed.start()
        except BaseException:
            await db.close()
            raise
        return store

    async def close(self) -> None:
        await self.db.close()

    async def _commit(self, fn: Callable[[Tx], Awaitable[T]]) -> T:
        result, took_seq = await self.db.write_seq(fn)
        if took_seq:  # a commit that only logged or stored a wait changed nothing it reports
            await self.feed.pull()
        return result

    @property
    def meta(self) -> QueueMeta:
        """The queue's paused flag and reason, as of the last pull of the change feed."""
        return self.feed.meta

    async def stored_wait(self) -> StoredWait:
        return await self.db.read(read_wait)
