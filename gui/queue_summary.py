"""Counts per state, ETA, tokens and cost: read from the store after changes, at most ~2/s.

The tabs, the status bar, the ETA column and the full-queue banner all show these figures. The
counts are re-read (one GROUP BY) rather than summed from events, so they stay right for jobs the
window has not loaded and for writes made by another process.

The ETA is computed from the jobs the window already holds (every queued and running job is
in its model), not re-read from the database: with 10,000 queued jobs a re-read builds 10,000
rows on the event loop every refresh. The computation runs a slice at a time, giving the loop
back between slices, so a long queue never stalls the window.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, QTimer, Signal

from core.batches import Batch, batch_eta, cost
from core.engine import Engine
from core.eta import EtaInputs, QueueEta
from core.jobs import Job
from core.states import ALL_STATES, JobState
from gui.tasks import TaskRunner

log = logging.getLogger(__name__)

MIN_INTERVAL_MS = 400
ETA_SLICE = 500  # jobs per slice of the ETA computation (well under a millisecond each)
ETA_JOBS_PER_SECOND = 5000  # the ETA of N jobs is recomputed at most every N / this seconds
ETA_MAX_INTERVAL_S = 5.0


async def sliced_queue_eta(
    jobs: Sequence[Job], inputs: EtaInputs
) -> tuple[dict[int, float], float]:
    """``core.eta.queue_eta`` over ``jobs``, a slice at a time, yielding to the loop between.

    One schedule is fed slice after slice, so the result is the same as one call over all jobs.
    """
    eta = QueueEta(inputs)
    for start in range(0, len(jobs), ETA_SLICE):
        if start:
            await asyncio.sleep(0)
        eta.feed(jobs[start : start + ETA_SLICE])
    return eta.finish()


def split_batch_jobs(jobs: Sequence[Job]) -> tuple[Sequence[Job], list[Job]]:
    """The jobs the worker calls for, and those waiting in a provider batch.

    A batch's jobs make no calls here: fed to the queue's schedule they would hold a call
    slot each and push every queued job's ETA back.
    """
    in_batch = [j for j in jobs if j.batch_id is not None and j.state == JobState.RUNNING]
    if not in_batch:
        return jobs, []
    return [j for j in jobs if j.batch_id is None or j.state != JobState.RUNNING], in_batch


def with_batch_etas(
    per_job: dict[int, float], total: float, in_batch: Sequence[Job],
    batches: Sequence[Batch], now_wall: float,
) -> tuple[dict[int, float], float]:
    """Each batch job's ETA is its batch's (core.batches.batch_eta); the queue is done when
    both the calls and the last batch are."""
    if not in_batch:
        return per_job, total
    etas = {batch.id: batch_eta(batch, now_wall) for batch in batches}
    per_job = dict(per_job)
    for job in in_batch:
        left = etas.get(job.batch_id) if job.batch_id is not None else None
        if left is not None:
            per_job[job.id] = left
            total = max(total, left)
    return per_job, total


@dataclass(frozen=True)
class QueueSummary:
    counts: dict[str, int] = field(default_factory=lambda: {str(s): 0 for s in ALL_STATES})
    eta_total: float | None = 0.0  # None when it cannot be estimated (e.g. bad settings)
    per_job: dict[int, float] = field(default_factory=dict)
    measured_at: float = 0.0  # engine.clock.now() when per_job was computed
    tokens: int = 0
    batch_tokens: int = 0  # of the tokens, those answered through a batch (half price)
    cost: float = 0.0
    batches: tuple[Batch, ...] = ()  # the open provider batches, newest first
    paused: bool = False
    wait_left: float = 0.0  # the worker's wait, as stored (for a window that only monitors)
    wait_kind: str | None = None
    wait_reason: str | None = None
    read_number: int = 0  # which read of the refresher this is (1, 2, ...), in start order

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def active(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("running", 0)

    @property
    def in_batches(self) -> int:
        """Running jobs the provider holds in open batches (they make no calls here)."""
        return sum(batch.jobs for batch in self.batches)

    @property
    def working(self) -> int:
        """Active jobs this queue still calls for itself: not those waiting in a batch."""
        return max(0, self.active - self.in_batches)


class SummaryRefresher(QObject):
    updated = Signal(object)  # QueueSummary

    def __init__(
        self,
        engine: Engine,
        runner: TaskRunner,
        parent: QObject | None = None,
        *,
        active_jobs: Callable[[], Sequence[Job]] | None = None,
    ) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = runner
        # Running then queued jobs in claim order, from memory (the window's model); without
        # it the ETA is read from the store.
        self.active_jobs = active_jobs
        self.latest = QueueSummary()
        self._last_read = 0.0  # time.monotonic() of the last read
        self._eta_read = -math.inf  # time.monotonic() of the last ETA computation
        # The last computed ETA: (seconds per job id, total, clock.now() it was computed at).
        self._last_eta: tuple[dict[int, float], float, float] | None = None
        self.reads_started = 0  # numbers the reads, so a reader can tell an old one
        self._busy = False
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(MIN_INTERVAL_MS)
        self._timer.timeout.connect(self._start)

    def mark_dirty(self) -> None:
        """Something changed: refresh soon (coalescing bursts of events into one read).

        The first change after a quiet spell is shown on the next turn of the loop; further
        changes wait until ``MIN_INTERVAL_MS`` after the last read.
        """
        self._dirty = True
        if not self._busy and not self._timer.isActive():
            since_ms = (time.monotonic() - self._last_read) * 1000
            self._timer.start(max(0, round(MIN_INTERVAL_MS - since_ms)))

    def _start(self) -> None:
        if self._busy:
            return
        self._busy = True
        self._dirty = False
        self.runner.start(self._refresh(), self.tr("Reading the queue's totals"))

    async def refresh_now(self) -> QueueSummary:
        self._busy = True
        self._dirty = False
        await self._refresh()
        return self.latest

    async def _refresh(self) -> None:
        try:
            summary = await self._read()
        finally:
            self._busy = False
            self._last_read = time.monotonic()
        self.latest = summary
        self.updated.emit(summary)
        if self._dirty:
            self._timer.start()

    def _eta_due(self, active: int) -> bool:
        """Whether to compute the ETA again: every refresh for a short queue, every couple of
        seconds for 10,000 jobs (a computation then takes ~15 ms of the loop, in slices)."""
        interval = min(ETA_MAX_INTERVAL_S, active / ETA_JOBS_PER_SECOND)
        return time.monotonic() - self._eta_read >= interval

    async def _read(self) -> QueueSummary:
        self.reads_started += 1
        number = self.reads_started
        engine = self.engine
        counts = await engine.counts()
        totals = await engine.totals()
        tokens = int(totals["prompt_tokens"] + totals["completion_tokens"])
        batch_tokens = int(totals.get("batch_tokens", 0))
        batches = tuple(await engine.batches(open_only=True))
        eta_total: float | None = 0.0
        per_job: dict[int, float] = {}
        now = engine.clock.now()
        active = counts.get("queued", 0) + counts.get("running", 0)
        last = self._last_eta
        if active and last is not None and not self._eta_due(active):
            # Recent enough: each job's due time still holds; only the total counts down.
            per_job, computed_total, computed_at = last
            eta_total = max(0.0, computed_total - (now - computed_at))
            now = computed_at
        elif active:
            self._last_eta = None
            try:
                if self.active_jobs is None:
                    per_job, eta_total = await engine.eta()
                else:
                    inputs = await engine.eta_inputs()
                    jobs, in_batch = split_batch_jobs(self.active_jobs())
                    per_job, eta_total = await sliced_queue_eta(jobs, inputs)
                    per_job, eta_total = with_batch_etas(per_job, eta_total, in_batch,
                                                         batches, engine.clock.wall())
                self._eta_read = time.monotonic()
                self._last_eta = (per_job, eta_total, now)
            except Exception as exc:  # bad provider settings must not break the counts
                log.info("no ETA: %s", exc)
                eta_total = None
        left, kind, reason = 0.0, None, None
        if engine.worker is None:
            left, kind, reason = await engine.stored_wait()
        return QueueSummary(
            paused=engine.queue_meta.paused,
            counts=counts,
            eta_total=eta_total,
            per_job=per_job,
            measured_at=now,
            tokens=tokens,
            batch_tokens=batch_tokens,
            # Batch tokens at the batch price: the provider charges half for them.
            cost=cost(tokens, batch_tokens, engine.settings.price_per_1k_tokens),
            batches=batches,
            wait_left=left,
            wait_kind=kind,
            wait_reason=reason,
            read_number=number,
        )
