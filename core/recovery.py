"""Start-up recovery: jobs a stopped process left ``running`` become ``stale``, never resumed.

Only the process holding the worker lock runs it (see ``Engine.take_queue``): a read-only
command never does.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core.clock import Clock
from core.db import Tx
from core.job_log import LogEvent
from core.jobs import STALE_IN_FLIGHT, STALE_RUNNING, Job
from core.states import JobState
from core.transitions import log_line, next_seq, transition


class Recovery:
    clock: Clock
    _commit: Callable[..., Awaitable[Any]]  # Store's: write, then publish through the feed

    async def recover_on_startup(self) -> list[Job]:
        """Jobs left ``running`` by a process that stopped become ``stale``; never resumed.

        Only the process holding the worker lock runs this. Queued jobs need nothing: they are
        data and the worker simply claims them. Running it twice changes nothing the second time.
        """
        now = self.clock.wall()

        async def tx(t: Tx) -> list[Job]:
            jobs: list[Job] = []
            # A job in a provider's batch is not in this process's hands: the batch runner
            # resumes polling for it (core/batch_runner.py).
            running = await t.all(
                "SELECT id FROM jobs WHERE state = 'running' AND batch_id IS NULL"
            )
            if not running:
                return jobs
            seq = await next_seq(t)
            for (job_id,) in running:
                in_flight = await t.value(
                    "SELECT COUNT(*) FROM parts WHERE job_id = ? AND state = 'started'",
                    (job_id,),
                )
                reason = STALE_IN_FLIGHT if in_flight else STALE_RUNNING
                job = await transition(
                    t, job_id, JobState.STALE, [JobState.RUNNING], now=now, seq=seq,
                    sets={"stale_reason": reason, "finished_at": now, "lease": None},
                )  # fmt: skip
                if job is not None:
                    await log_line(t, job_id, now, f"marked stale: {reason}",
                                   event=LogEvent.STALE)
                    jobs.append(job)
            return jobs

        jobs: list[Job] = await self._commit(tx)
        return jobs
