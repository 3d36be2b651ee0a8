"""What a person does to the queue, from any process: cancel, re-trigger, remove, move, pause.

Cancel, re-trigger and remove clear the job's lease in the same commit, so a worker that was
running it (in this process or another) has every later write refused, learns of it from the
change feed and hangs up its call. Retry-now clears the stored waits.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from core.changes import QueueMeta
from core.clock import Clock
from core.db import Tx
from core.job_log import LogEvent
from core.jobs import Job
from core.states import (
    DOUBTFUL_TEXT,
    OUTPUT_TRUNCATED,
    REMOVABLE_STATES,
    RETRIGGERABLE_STATES,
    JobState,
)
from core.transitions import log_line, next_seq, transition
from core.waits import UPSERT_META, write_backoff, write_last_call

MOVES = ("top", "up", "down", "bottom")


class QueueEdits:
    clock: Clock
    _commit: Callable[..., Awaitable[Any]]  # Store's: write, then publish through the feed

    async def retrigger(self, ids: Iterable[int]) -> list[Job]:
        """stale | failed | cancelled -> queued, at the end of the queue, with fresh attempts.

        A done job whose answer was cut at the output limit (kind ``output_truncated``) may be
        re-triggered too; any other done job has its whole answer and stays done.
        """
        ids = list(ids)
        now = self.clock.wall()

        async def tx(t: Tx) -> list[Job]:
            changed: list[Job] = []
            position = int(await t.value("SELECT COALESCE(MAX(position), 0) FROM jobs"))
            seq = await next_seq(t)
            for job_id in ids:
                position += 1
                # Read in this transaction (writers are serialised), so the kind cannot change
                # between this check and the transition below.
                cut = await t.one(
                    "SELECT 1 FROM jobs WHERE id = ? AND state = 'done' AND error_kind = ?",
                    (job_id, OUTPUT_TRUNCATED),
                )
                doubtful = await t.one(
                    "SELECT 1 FROM jobs WHERE id = ? AND state = 'failed' AND error_kind = ?",
                    (job_id, DOUBTFUL_TEXT),
                )
                sets: dict[str, Any] = {
                    "position": position, "attempts": 0, "error_kind": None, "error": None,
                    "finished_at": None, "lease": None, "not_before": None,
                }
                if doubtful:
                    sets["doubt_accepted"] = 1  # the person's word: send it anyway
                if cut:
                    # The cut answer is replaced by the new run's (a queued job has none).
                    sets.update(result=None, parts_done=0)
                job = await transition(
                    t, job_id, JobState.QUEUED, [JobState.DONE] if cut else RETRIGGERABLE_STATES,
                    now=now, seq=seq, sets=sets,
                )  # fmt: skip
                if job is None:
                    continue
                if cut:
                    # Any part (or the combining call) may be the one that was cut, and which
                    # was is not stored: every call is made again, with the current limit.
                    await t.all("DELETE FROM parts WHERE job_id = ?", (job_id,))
                else:
                    # A part whose call was in flight is sent again only now, on request.
                    await t.all(
                        "DELETE FROM parts WHERE job_id = ? AND state = 'started'", (job_id,)
                    )
                await log_line(t, job_id, now, "re-triggered: every call is made again"
                               if cut else "re-triggered: the doubtful text will be sent"
                               if doubtful else "re-triggered", event=LogEvent.RETRIGGERED)
                changed.append(job)
            return changed

        changed: list[Job] = await self._commit(tx)
        return changed

    async def cancel(self, ids: Iterable[int]) -> list[Job]:
        ids = list(ids)
        now = self.clock.wall()

        async def tx(t: Tx) -> list[Job]:
            changed: list[Job] = []
            seq = await next_seq(t)
            for job_id in ids:
                job = await transition(
                    t, job_id, JobState.CANCELLED, [JobState.QUEUED, JobState.RUNNING],
                    now=now, seq=seq,
                    sets={"finished_at": now, "error_kind": None, "error": None, "lease": None,
                          "not_before": None},
                )  # fmt: skip
                if job is not None:
                    await log_line(t, job_id, now, "cancelled", event=LogEvent.CANCELLED)
                    changed.append(job)
            return changed

        changed: list[Job] = await self._commit(tx)
        return changed

    async def remove(self, ids: Iterable[int]) -> list[int]:
        """Remove finished jobs; active ones must be cancelled first."""
        ids = list(ids)
        states = ",".join(f"'{s}'" for s in REMOVABLE_STATES)

        async def tx(t: Tx) -> list[int]:
            seq = await next_seq(t)
            removed: list[int] = []
            for job_id in ids:
                if await t.one(
                    f"DELETE FROM jobs WHERE id = ? AND state IN ({states}) RETURNING id",
                    (job_id,),
                ):
                    await t.all("DELETE FROM parts WHERE job_id = ?", (job_id,))
                    await t.all("DELETE FROM job_log WHERE job_id = ?", (job_id,))
                    await t.all(
                        "INSERT INTO removed (seq, job_id) VALUES (?, ?)", (seq, job_id)
                    )
                    removed.append(job_id)
            return removed

        removed: list[int] = await self._commit(tx)
        return removed

    async def move(self, ids: Sequence[int], where: str) -> dict[int, int]:
        """Reorder queued jobs: ``top``, ``up``, ``down`` or ``bottom``.

        Only queued jobs move; they hold no lease, so a move never disturbs a running call.
        """
        if where not in MOVES:
            raise ValueError(f"unknown move {where!r}")
        chosen = set(ids)

        async def tx(t: Tx) -> dict[int, int]:
            order = await t.all(
                "SELECT id, position FROM jobs WHERE state = 'queued' "
                "ORDER BY priority DESC, position"
            )
            current = [int(i) for i, _ in order]
            picked = [i for i in current if i in chosen]
            if not picked:
                return {}
            new_order = _reordered(current, picked, chosen, where)
            # The same set of positions, handed out in the new order.
            slots = sorted(int(p) for _, p in order)
            old = {int(i): int(p) for i, p in order}
            positions = {
                job_id: pos
                for job_id, pos in zip(new_order, slots, strict=True)
                if old[job_id] != pos
            }
            seq = await next_seq(t)
            await t.many(
                "UPDATE jobs SET position = ?, seq = ? WHERE id = ?",
                [(pos, seq, job_id) for job_id, pos in positions.items()],
            )
            return positions

        positions: dict[int, int] = await self._commit(tx)
        return positions

    async def set_paused(
        self, paused: bool, reason: str | None = None, kind: str | None = None
    ) -> QueueMeta:
        meta = QueueMeta(paused, reason if paused else None, kind if paused else None)

        async def tx(t: Tx) -> None:
            await next_seq(t)
            await t.many(
                UPSERT_META,
                [("paused", "1" if paused else "0"), ("pause_reason", meta.pause_reason or ""),
                 ("pause_kind", meta.pause_kind or "")],
            )  # fmt: skip

        await self._commit(tx)
        return meta

    async def clear_waits(self) -> None:
        """Retry now: forget the stored backoff and pause, and every job's own wait."""

        async def tx(t: Tx) -> None:
            await write_backoff(t, None, None, None, 0)
            await write_last_call(t, None)
            if await t.one("SELECT 1 FROM jobs WHERE state = 'queued' AND not_before IS NOT NULL"):
                await t.all(
                    "UPDATE jobs SET not_before = NULL, seq = ? "
                    "WHERE state = 'queued' AND not_before IS NOT NULL",
                    (await next_seq(t),),
                )

        await self._commit(tx)

    async def log(self, job_id: int, message: str, event: LogEvent = LogEvent.NOTE) -> None:
        now = self.clock.wall()

        async def tx(t: Tx) -> None:
            await log_line(t, job_id, now, message, event=event)

        await self._commit(tx)


def _reordered(current: list[int], picked: list[int], chosen: set[int], where: str) -> list[int]:
    rest = [i for i in current if i not in chosen]
    if where == "top":
        return picked + rest
    if where == "bottom":
        return rest + picked
    new_order = list(current)
    step = -1 if where == "up" else 1
    for job_id in picked if where == "up" else reversed(picked):
        k = new_order.index(job_id)
        j = k + step
        if 0 <= j < len(new_order) and new_order[j] not in chosen:
            new_order[k], new_order[j] = new_order[j], new_order[k]
    return new_order
