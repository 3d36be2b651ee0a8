"""The engine: one object the window and the command line both drive.

It owns the store, the event bus, the settings, the analyzer and the pacer, and offers the
operations of DESIGN.md's stable interface (add, run, status, re-trigger, cancel, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import paths
from core import settings as settings_mod
from core.analyzers.base import Analyzer
from core.batch_runner import BatchRunner
from core.batches import Batch
from core.changes import QueueMeta
from core.clock import Clock, SystemClock
from core.documents import Limits, iter_supported, sandbox
from core.engine_batches import BatchDoor
from core.engine_folders import FolderDoor
from core.errors import StorageError
from core.eta import CallTimes
from core.events import EventBus, QueueStateChanged
from core.intake import fingerprint_all
from core.job_log import LogEntry
from core.jobs import AddReport, Job
from core.pacing import Backoff, FixedPacer, Pacer, Wait
from core.profiles import resolve as resolve_profile
from core.settings import Settings
from core.states import JobState
from core.status import QueueStatus
from core.store import Store
from core.worker import Worker
from core.worker_lock import WorkerLock

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5  # how often another process's writes are looked for (real time)
# How long a starting worker waits for a database another program keeps locked.
START_PATIENCE_S = 120.0


def make_analyzer(settings: Settings, home: Path | None = None) -> Analyzer:
    if settings.provider == "offline":
        from core.analyzers.offline import OfflineAnalyzer

        return OfflineAnalyzer(max_chars=settings.max_chars)
    from core.analyzers.openai_compat import make_openai_analyzer

    return make_openai_analyzer(settings, home=home)


def make_pacer(settings: Settings, clock: Clock) -> Pacer:
    backoff = Backoff(
        settings.backoff_base_s,
        settings.backoff_cap_s,
        max_retry_after=settings.max_retry_after_s,
    )
    if settings.pacing == "adaptive":
        from core.adaptive import AdaptivePacer

        return AdaptivePacer(
            clock, backoff=backoff, max_in_flight=settings.calls_at_once,
            max_output_tokens=settings.max_output_tokens,
        )
    return FixedPacer(clock, settings.pause_s, backoff)


@dataclass(frozen=True)
class AddOutcome:
    report: AddReport
    batch: Batch | None = None  # the drop was big enough to go as a batch (batch_threshold)

    @property
    def summary(self) -> str:
        r = self.report
        parts = [f"{len(r.accepted)} added"]
        if self.batch is not None:
            parts[0] += f" and sent as batch {self.batch.id} (half price, within 24 hours)"
        if r.duplicates:
            parts.append(f"{len(r.duplicates)} already in the queue")
        if r.rejected:
            parts.append(f"{len(r.rejected)} not added")
        return ", ".join(parts)


class Engine(QueueStatus, FolderDoor, BatchDoor):
    def __init__(
        self,
        home: Path,
        settings: Settings,
        store: Store,
        clock: Clock,
        bus: EventBus,
    ) -> None:
        self.home = home
        self.settings = settings
        self.store = store
        self.clock = clock
        self.bus = bus
        self.worker: Worker | None = None
        self.batch_runner: BatchRunner | None = None  # beside the worker (core/engine_batches)
        self.pacer: Pacer = make_pacer(settings, clock)
        self.pacer.subscribe(self._on_wait)
        self._lock: WorkerLock | None = None
        self._analyzer: Analyzer | None = None
        self._poller: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()
        # Saved settings that were unusable and fell back to their defaults (core.settings):
        # the CLI prints them, the window shows them in a banner.
        self.settings_warnings: list[str] = []

    @classmethod
    async def open(
        cls,
        home: Path | None = None,
        *,
        settings: Settings | None = None,
        clock: Clock | None = None,
        bus: EventBus | None = None,
    ) -> Engine:
        home = home or paths.home()
        home.mkdir(parents=True, exist_ok=True)
        warnings: list[str] = []
        settings = settings or settings_mod.load(home, warnings=warnings)
        clock = clock or SystemClock()
        bus = bus or EventBus()
        store = await Store.open(paths.db_path(home), clock, bus)
        # Opening never touches the worker lock or recovers anything: status, list and the
        # other read-only commands stay read-only. Recovery belongs to start_worker().
        engine = cls(home, settings, store, clock, bus)
        engine.settings_warnings = warnings
        return engine

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        # Watchers and the result-file hook end before the database closes under them.
        await self.stop_watching()
        await self.stop_results()
        for task in list(self._background):
            with contextlib.suppress(Exception):
                await task
        # The document reader is a child process: none outlives the engine. In a thread, as
        # ending it waits for the document it may be reading to fail.
        await asyncio.to_thread(sandbox.close_default)
        if self._analyzer is not None:
            await self._analyzer.aclose()
            self._analyzer = None
        await self.store.close()
        self.release_worker_lock()

    # ------------------------------------------------------------------ settings

    @property
    def limits(self) -> Limits:
        return Limits(
            max_bytes=int(self.settings.max_file_mb * 1024 * 1024),
            max_chars=self.settings.max_chars,
        )

    def analyzer(self) -> Analyzer:
        if self._analyzer is None:
            self._analyzer = make_analyzer(self.settings, self.home)
        return self._analyzer

    async def apply_settings(self, settings: Settings) -> None:
        """Use new settings from now on (the running call, if any, finishes as it was)."""
        self.settings = settings
        if self.worker is None:
            if self._analyzer is not None:
                await self._analyzer.aclose()
                self._analyzer = None
            self.pacer = make_pacer(settings, self.clock)
            self.pacer.subscribe(self._on_wait)

    # ------------------------------------------------------------------ adding

    async def add_paths(
        self,
        given: Sequence[Path | str],
        *,
        profile: str | None = None,
        force: bool = False,
        priority: int = 0,
    ) -> AddOutcome:
        chosen = resolve_profile(
            profile or self.settings.default_profile, self.settings.custom_profiles
        )
        # Normalising 10,000 dropped paths takes tens of milliseconds: not on the event loop.
        files, rejected = await asyncio.to_thread(
            lambda: iter_supported([Path(p).expanduser().absolute() for p in given])
        )
        new_jobs, more_rejected = await asyncio.to_thread(
            fingerprint_all, files, self.settings, chosen, priority
        )
        report = await self.store.add_jobs(
            new_jobs, max_queued=self.settings.max_queue, force=force
        )
        report.rejected = [(str(p), k, m) for p, k, m in rejected + more_rejected] + (
            report.rejected
        )
        return AddOutcome(report, await self._batch_if_big(report))

    async def _batch_if_big(self, report: AddReport) -> Batch | None:
        """A drop of more than ``batch_threshold`` documents goes as a batch, when the
        settings have a Batch API (else it simply waits in the queue as usual)."""
        threshold = self.settings.batch_threshold
        if threshold <= 0 or len(report.accepted) <= threshold or self.batch_refusal():
            return None
        try:
            return await self.submit_batch(job.id for job in report.accepted)
        except ValueError:  # a worker took them all meanwhile: they run as normal calls
            return None

    # ------------------------------------------------------------------ the worker

    def acquire_worker_lock(self, holder: str) -> None:
        if self._lock is not None:
            return
        lock = WorkerLock(self.home / paths.LOCK_NAME, holder)
        lock.acquire()
        self._lock = lock

    def release_worker_lock(self) -> None:
        if self._lock is not None:
            self._lock.release()
            self._lock = None

    def worker_holder(self) -> dict[str, Any] | None:
        """Who runs the queue's worker (from the lock's note), or None; never takes the lock."""
        if self._lock is not None:
            return {"holder": self._lock.holder, "pid": os.getpid()}
        return WorkerLock(self.home / paths.LOCK_NAME, "probe").live_holder()

    async def take_queue(self, holder: str) -> None:
        """Take the worker lock (or raise WorkerLocked) and mark jobs a dead process left
        running as stale: only the lock's holder may, and only once it holds it."""
        self.acquire_worker_lock(holder)
        # Another program may hold the database for a while (a backup, a database browser,
        # paceline-cli in a terminal): wait for it rather than refuse to start.
        waited, delay = 0.0, 0.5
        while True:
            try:
                await self.store.recover_on_startup()
                return
            except StorageError as exc:
                if exc.kind != "busy" or waited >= START_PATIENCE_S:
                    self.release_worker_lock()
                    raise
                log.warning("the database is busy at start-up; trying again in %.1f s", delay)
                await self.clock.sleep(delay)
                waited += delay
                delay = min(delay * 2, 10.0)

    async def start_worker(self, holder: str) -> Worker:
        """Take the database's worker lock (or raise WorkerLocked) and prepare the worker.

        Only here, with the lock held, are jobs left running by a dead process marked stale,
        and the pacer starts from the waits the previous worker stored.
        """
        await self.take_queue(holder)
        stored = await self.store.stored_wait()
        self.pacer.restore(
            stored.until, stored.kind, stored.reason, stored.failures, stored.last_call,
            stored.since,
        )
        self.worker = await self._make_worker()
        await self._prepare_batches()
        # Jobs this worker finishes get their result files here, whichever process it is.
        await self.start_results()
        return self.worker

    async def _make_worker(self) -> Worker:
        times = CallTimes(
            self.analyzer().engine, await self.store.recent_calls(self.analyzer().engine)
        )
        return Worker(
            self.store,
            self.analyzer(),
            self.pacer,
            self.clock,
            self.bus,
            limits=self.limits,
            times=times,
            save_patience_s=self.settings.save_patience_s,
        )

    async def run(self, *, until_empty: bool = False, holder: str = "paceline-cli run") -> None:
        worker = self.worker or await self.start_worker(holder)
        self.start_polling()
        try:
            await self._run_with_batches(worker, until_empty=until_empty)
        finally:
            self.worker = None
            self.batch_runner = None

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_loop(), name="paceline-poll")

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL_S)
            try:
                await self.store.feed.poll()
            except Exception:  # a busy database now and then must not stop the window
                log.exception("polling the database failed")

    # ------------------------------------------------------------------ reading

    # The window and the command line read through these, never through the store itself.
    @property
    def queue_meta(self) -> QueueMeta:
        return self.store.meta

    async def job(self, job_id: int) -> Job | None:
        return await self.store.get(job_id)

    async def jobs(self, state: JobState | None = None) -> list[Job]:
        return await self.store.list_jobs(state)

    async def job_log(self, job_id: int, after: int = 0) -> list[LogEntry]:
        """The job's log, oldest first; with ``after`` (an entry's id) only what came since."""
        return await self.store.job_log(job_id, after)

    async def queued_in_order(self) -> list[Job]:
        return await self.store.queued_in_order()

    async def history_page(self, limit: int, before_id: int | None = None) -> list[Job]:
        return await self.store.history_page(limit, before_id)

    async def error_kinds(self, state: JobState) -> dict[str, int]:
        return await self.store.error_kinds(state)

    async def counts(self) -> dict[str, int]:
        return await self.store.counts()

    async def totals(self) -> dict[str, float]:
        return await self.store.totals()

    # ------------------------------------------------------------------ operations

    async def retrigger(self, ids: Iterable[int]) -> list[Job]:
        return await self.store.retrigger(ids)

    async def retrigger_all(self, state: JobState, error_kind: str | None = None) -> list[Job]:
        ids = await self.store.ids_in_state(state, error_kind)
        return await self.store.retrigger(ids)

    async def cancel(self, ids: Iterable[int]) -> list[Job]:
        # The worker sees the JobChanged event (here or from another process) and stops it.
        return await self.store.cancel(ids)

    async def remove(self, ids: Iterable[int]) -> list[int]:
        return await self.store.remove(ids)

    async def clear_finished(self) -> list[int]:
        # Only the ids, from the index: a long history must not be read row by row.
        ids = await self.store.ids_in_state(JobState.DONE)
        ids += await self.store.ids_in_state(JobState.CANCELLED)
        return await self.store.remove(ids)

    async def move(self, ids: Sequence[int], where: str) -> dict[int, int]:
        return await self.store.move(ids, where)

    async def pause(self, reason: str | None = None) -> None:
        # The change feed tells every subscriber (the worker, the window) in every process.
        await self.store.set_paused(True, reason or "Paused by you", "user")

    async def resume(self) -> None:
        await self.store.set_paused(False)
        if self.batch_runner is not None:  # batches held by the pause go out now
            self.batch_runner.wake()

    def retry_now(self) -> None:
        """End the wait now, here and in the stored waits every process reads."""
        self.pacer.retry_now()
        task = asyncio.ensure_future(self.store.clear_waits())
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        if self.worker is not None:
            self.worker.wake()

    # ------------------------------------------------------------------ waits and status

    def _on_wait(self, wait: Wait) -> None:
        meta = self.store.meta
        self.bus.publish(
            QueueStateChanged(
                meta.paused,
                meta.pause_reason,
                meta.pause_kind,
                wait.until,
                wait.reason,
                wait.kind,
                wait.failures,
                wait.since,
            )
        )
