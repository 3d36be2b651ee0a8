"""The engine: one object the window and the command line both drive.

It owns the store, the event bus, the settings, the analyzer and the pacer, and offers the
operations of DESIGN.md's stable interface (add, run, status, re-trigger, cancel, ...).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core import paths
from core import settings as settings_mod
from core.analyzers.base import Analyzer
from core.clock import Clock, SystemClock
from core.documents import Limits, fingerprint, iter_supported
from core.errors import WorkerLocked
from core.eta import CallTimes, queue_eta
from core.events import EventBus, QueueStateChanged
from core.jobs import Job
from core.pacing import Backoff, FixedPacer, Pacer, Wait
from core.profiles import resolve as resolve_profile
from core.settings import Settings
from core.states import JobState
from core.store import AddReport, NewJob, Store
from core.worker import Worker
from core.worker_lock import WorkerLock

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 0.5  # how often another process's writes are looked for (real time)
RECOVERY_HOLDER = "start-up recovery"
# Real seconds a starting worker waits for another command's start-up recovery, which holds the
# worker lock for one short transaction; a real worker is refused at once.
LOCK_GRACE_S = 2.0


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

        return AdaptivePacer(clock, backoff=backoff, max_in_flight=settings.max_in_flight)
    return FixedPacer(clock, settings.pause_s, backoff)


@dataclass(frozen=True)
class AddOutcome:
    report: AddReport

    @property
    def summary(self) -> str:
        r = self.report
        parts = [f"{len(r.accepted)} added"]
        if r.duplicates:
            parts.append(f"{len(r.duplicates)} already in the queue")
        if r.rejected:
            parts.append(f"{len(r.rejected)} not added")
        return ", ".join(parts)


class Engine:
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
        self.pacer: Pacer = make_pacer(settings, clock)
        self.pacer.subscribe(self._on_wait)
        self._lock: WorkerLock | None = None
        self._analyzer: Analyzer | None = None
        self._poller: asyncio.Task[None] | None = None
        self._background: set[asyncio.Task[Any]] = set()

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
        settings = settings or settings_mod.load(home)
        clock = clock or SystemClock()
        bus = bus or EventBus()
        store = await Store.open(paths.db_path(home), clock, bus)
        engine = cls(home, settings, store, clock, bus)
        await engine._recover_if_orphaned()
        return engine

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        for task in list(self._background):
            with contextlib.suppress(Exception):
                await task
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
            self._fingerprint_all, files, chosen.name, chosen.prompt, priority
        )
        report = await self.store.add_jobs(
            new_jobs, max_queued=self.settings.max_queue, force=force
        )
        report.rejected = [(str(p), k, m) for p, k, m in rejected + more_rejected] + (
            report.rejected
        )
        return AddOutcome(report)

    def _fingerprint_all(
        self, files: list[Path], profile: str, prompt: str, priority: int
    ) -> tuple[list[NewJob], list[tuple[Path, str, str]]]:
        new_jobs: list[NewJob] = []
        rejected: list[tuple[Path, str, str]] = []
        limit = int(self.settings.max_file_mb * 1024 * 1024)
        analyzer_provider = self.settings.provider
        model = self.settings.model if analyzer_provider != "offline" else "builtin"
        for path in files:
            try:
                size, mtime, sha = fingerprint(path)
            except FileNotFoundError:
                rejected.append((path, "missing", f"{path} does not exist."))
                continue
            except OSError as exc:
                rejected.append((path, "unreadable", f"{path.name} cannot be read: {exc}."))
                continue
            if size == 0:
                rejected.append((path, "empty", f"{path.name} is empty (0 bytes)."))
                continue
            if size > limit:
                rejected.append(
                    (
                        path,
                        "too_large",
                        f"{path.name} is {size / 1e6:.1f} MB; the limit is {limit / 1e6:.0f} MB.",
                    )
                )
                continue
            new_jobs.append(
                NewJob(
                    path=str(path),
                    size=size,
                    mtime=mtime,
                    sha256=sha,
                    profile=profile,
                    prompt=prompt,
                    provider=analyzer_provider,
                    model=model,
                    priority=priority,
                    max_attempts=self.settings.max_attempts,
                )
            )
        return new_jobs, rejected

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
        lock = WorkerLock(self.home / paths.LOCK_NAME, "probe")
        try:
            lock.acquire()
        except WorkerLocked:
            return lock.read_holder() or {"holder": "unknown"}
        lock.release()
        return None

    async def _recover_if_orphaned(self) -> None:
        """If no worker holds the lock, jobs still 'running' were left by a dead process."""
        if self._lock is not None:
            await self.store.recover_on_startup()
            return
        lock = WorkerLock(self.home / paths.LOCK_NAME, RECOVERY_HOLDER)
        try:
            lock.acquire()
        except WorkerLocked:
            return
        try:
            await self.store.recover_on_startup()
        finally:
            lock.release()

    async def start_worker(self, holder: str) -> Worker:
        """Take the database's worker lock (or raise WorkerLocked) and prepare the worker."""
        await self._acquire_worker_lock_patiently(holder)
        await self.store.recover_on_startup()
        times = CallTimes(
            self.analyzer().engine, await self.store.recent_calls(self.analyzer().engine)
        )
        self.worker = Worker(
            self.store,
            self.analyzer(),
            self.pacer,
            self.clock,
            self.bus,
            limits=self.limits,
            times=times,
        )
        return self.worker

    async def _acquire_worker_lock_patiently(self, holder: str) -> None:
        # Any other paceline-cli command (status, list, add) holds the lock for a moment while
        # it checks for orphaned jobs; a worker starting just then must not be refused with
        # "another worker: start-up recovery". An empty note is a holder that is still writing it.
        deadline = time.monotonic() + LOCK_GRACE_S
        while True:
            try:
                self.acquire_worker_lock(holder)
                return
            except WorkerLocked:
                info = WorkerLock(self.home / paths.LOCK_NAME, "probe").read_holder()
                brief = info.get("holder") in (None, RECOVERY_HOLDER)
                if not brief or time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(0.02)

    async def run(self, *, until_empty: bool = False, holder: str = "paceline-cli run") -> None:
        worker = self.worker or await self.start_worker(holder)
        self.start_polling()
        try:
            await worker.run(until_empty=until_empty)
        finally:
            self.worker = None
            await self._write_wait(Wait())

    def start_polling(self) -> None:
        if self._poller is None:
            self._poller = asyncio.create_task(self._poll_loop(), name="paceline-poll")

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_INTERVAL_S)
            try:
                await self.store.poll_external()
            except Exception:  # a busy database now and then must not stop the window
                log.exception("polling the database failed")

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
        meta = await self.store.set_paused(True, reason or "Paused by you", "user")
        self.bus.publish(
            QueueStateChanged(True, meta.pause_reason, meta.pause_kind, None, None, None)
        )

    async def resume(self) -> None:
        await self.store.set_paused(False)
        self.bus.publish(QueueStateChanged(False, None, None, None, None, None))
        if self.worker is not None:
            self.worker.wake()

    def retry_now(self) -> None:
        self.pacer.retry_now()
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
            )
        )
        # Persist only the waits that matter to another process (status in a terminal).
        if wait.kind in (None, "backoff", "retry_after", "throttle"):
            task = asyncio.ensure_future(self._write_wait(wait))
            self._background.add(task)
            task.add_done_callback(self._background.discard)

    async def _write_wait(self, wait: Wait) -> None:
        payload = ""
        if wait.until is not None:
            payload = json.dumps(
                {
                    "until_wall": self.clock.wall() + wait.seconds_left(self.clock.now()),
                    "kind": wait.kind,
                    "reason": wait.reason,
                }
            )
        with contextlib.suppress(Exception):
            await self.store.set_meta("wait", payload)

    async def stored_wait(self) -> tuple[float, str | None, str | None]:
        """(seconds left, kind, reason) of the worker's current wait, from any process."""
        if self.worker is not None:
            wait = self.pacer.current_wait()
            return wait.seconds_left(self.clock.now()), wait.kind, wait.reason
        raw = await self.store.get_meta("wait")
        if not raw:
            return 0.0, None, None
        try:
            data = json.loads(raw)
        except ValueError:
            return 0.0, None, None
        left = max(0.0, float(data.get("until_wall", 0)) - time.time())
        if left <= 0:
            return 0.0, None, None
        return left, data.get("kind"), data.get("reason")

    async def eta(self) -> tuple[dict[int, float], float]:
        jobs = await self.store.queued_in_order()
        return queue_eta(jobs, **await self.eta_inputs())

    async def eta_inputs(self) -> dict[str, Any]:
        """Everything :func:`core.eta.queue_eta` needs besides the jobs, as keyword arguments.

        For a caller that already holds the queued jobs in order (the window's model) and
        computes the ETA itself, a slice at a time, instead of reading every row again.
        """
        analyzer = self.analyzer()
        times = (
            self.worker.times
            if self.worker is not None
            else CallTimes(analyzer.engine, await self.store.recent_calls(analyzer.engine))
        )
        wait_left, _, _ = await self.stored_wait()
        elapsed = {}
        if self.worker is not None:
            now = self.clock.now()
            elapsed = {i: now - r.started for i, r in self.worker.running.items()}
        pause_s, parallel = self.pacer.eta_pacing()
        return {
            "times": times,
            "pause_s": pause_s,
            "parallel": parallel,
            "paced": analyzer.paced,
            "context_chars": self.settings.context_for(analyzer.model),
            "wait_left": wait_left,
            "running_elapsed": elapsed,
        }

    async def status(self) -> dict[str, Any]:
        counts = await self.store.counts()
        meta = self.store.meta
        left, kind, reason = await self.stored_wait()
        _, eta_total = await self.eta()
        totals = await self.store.totals()
        tokens = int(totals["prompt_tokens"] + totals["completion_tokens"])
        backoff = kind in ("backoff", "retry_after", "throttle")
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "eta_seconds": round(eta_total, 1) if counts["queued"] + counts["running"] else 0.0,
            "paused": meta.paused,
            "pause_reason": meta.pause_reason,
            "pause_kind": meta.pause_kind,
            "backoff_seconds_left": round(left, 1) if backoff else 0.0,
            "backoff_reason": reason if backoff else None,
            "wait_kind": kind,
            "wait_seconds_left": round(left, 1),
            "wait_reason": reason,
            "provider": self.settings.provider,
            "model": self.analyzer().model,
            "pacing": self.settings.pacing,
            "tokens": {
                "prompt": int(totals["prompt_tokens"]),
                "completion": int(totals["completion_tokens"]),
                "total": tokens,
            },
            "cost": round(tokens / 1000 * self.settings.price_per_1k_tokens, 4),
            "worker": self.worker_holder()
            if self._lock is None
            else {"holder": self._lock.holder, "pid": os.getpid()},
        }
