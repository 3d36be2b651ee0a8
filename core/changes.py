"""One change feed: every committed change, this process's or another's, becomes an event.

Each write takes the next ``seq`` (see :mod:`core.transitions`) and stamps it on the rows it
touches (removed jobs leave a row in ``removed``). A pull reads, in one read transaction, the
current top ``seq``, every job and removal above the last one seen, and the queue's flags; so a
commit can never land between two reads and be skipped, and nothing depends on remembering which
``seq`` numbers were "ours". This process pulls right after each of its own commits (so its
own changes show at once) and polls now and then; ``PRAGMA data_version`` makes a poll that
finds no other process's commit cost one statement.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from core.batches import BATCH_COLUMNS, Batch, row_to_batch
from core.db import Database, Tx
from core.events import BatchChanged, EventBus, JobAdded, JobChanged, JobRemoved, QueueStateChanged
from core.jobs import Job
from core.queries import ADDED_SEQ_COLUMN, JOB_COLUMNS, row_to_job

ALL_FIELDS = frozenset(Job.__dataclass_fields__)


@dataclass(frozen=True)
class QueueMeta:
    paused: bool = False
    pause_reason: str | None = None
    pause_kind: str | None = None


async def read_meta(tx: Tx) -> QueueMeta:
    return _meta(dict(await tx.all(
        "SELECT key, value FROM meta WHERE key IN ('paused', 'pause_reason', 'pause_kind')")))


def _meta(values: dict[str, str]) -> QueueMeta:
    return QueueMeta(
        paused=values.get("paused", "0") == "1",
        pause_reason=values.get("pause_reason") or None,
        pause_kind=values.get("pause_kind") or None,
    )


async def current_seq(tx: Tx) -> int:
    return int(await tx.value("SELECT value FROM meta WHERE key = 'seq'", default=0))


async def data_version(tx: Tx) -> int:
    return int(await tx.value("PRAGMA data_version", default=0))


@dataclass(frozen=True)
class _Snapshot:
    version: int
    top: int
    rows: list[tuple[object, ...]]
    removed: list[int]
    meta: QueueMeta
    batches: list[Batch]


class ChangeFeed:
    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db = db
        self.bus = bus
        self.seen_seq = 0
        self.meta = QueueMeta()
        self._version = -1
        self._lock = asyncio.Lock()  # one pull at a time: events go out once, in seq order

    async def start(self) -> None:
        """Begin at what is committed now: earlier history is read by queries, not replayed."""

        async def read(tx: Tx) -> tuple[int, int, QueueMeta]:
            return await data_version(tx), await current_seq(tx), await read_meta(tx)

        self._version, self.seen_seq, self.meta = await self.db.read(read)

    async def poll(self) -> bool:
        """Pull if another process committed since the last look; True if it did."""
        if self.db.closed:
            return False
        version = int((await self.db.rows("PRAGMA data_version"))[0][0])
        if version == self._version:
            return False
        await self.pull()
        return True

    async def pull(self) -> None:
        """Publish every change committed since the last pull, from one snapshot."""
        async with self._lock:
            since = self.seen_seq

            async def read(tx: Tx) -> _Snapshot:
                # the top seq and the queue's flags in one statement (a pull follows every
                # commit of this process, so each statement here counts)
                values = dict(await tx.all(
                    "SELECT key, value FROM meta "
                    "WHERE key IN ('seq', 'paused', 'pause_reason', 'pause_kind')"))
                top = int(values.get("seq", 0))
                rows: list[tuple[object, ...]] = []
                removed: list[int] = []
                batches: list[Batch] = []
                if top > since:
                    batches = [
                        row_to_batch(r[:-1], int(r[-1]))
                        for r in await tx.all(
                            f"SELECT {BATCH_COLUMNS}, (SELECT COUNT(*) FROM jobs WHERE "
                            "jobs.batch_id = batches.id AND jobs.state = 'running') "
                            "FROM batches WHERE seq > ? ORDER BY id", (since,))
                    ]
                    rows = await tx.all(
                        f"SELECT {JOB_COLUMNS} FROM jobs WHERE seq > ? ORDER BY id", (since,)
                    )
                    removed = [
                        int(r[0])
                        for r in await tx.all(
                            "SELECT job_id FROM removed WHERE seq > ? ORDER BY seq", (since,)
                        )
                    ]
                return _Snapshot(
                    await data_version(tx), top, rows, removed, _meta(values), batches
                )

            snap = await self.db.read(read)
            self._version = snap.version
            if snap.top <= since and snap.meta == self.meta:
                return
            self.seen_seq = max(since, snap.top)
            removed = set(snap.removed)
            for row in snap.rows:
                job = row_to_job(row)
                if job.id in removed:
                    continue  # added or changed, then removed: only the removal matters
                added = int(row[ADDED_SEQ_COLUMN]) > since  # type: ignore[call-overload]
                self.bus.publish(JobAdded(job) if added else JobChanged(job, ALL_FIELDS))
            for job_id in snap.removed:
                self.bus.publish(JobRemoved(job_id))
            for batch in snap.batches:
                self.bus.publish(BatchChanged(batch))
            if snap.meta != self.meta:
                self.meta = snap.meta
                self.bus.publish(
                    QueueStateChanged(
                        snap.meta.paused, snap.meta.pause_reason, snap.meta.pause_kind,
                        None, None, None,
                    )
                )  # fmt: skip
