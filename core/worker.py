"""The paced worker: claims jobs as leases, runs their calls, checkpoints every step.

Durability order for a paid call: the call's start is committed, then the call is sent, then
its result is committed with the job's progress; the last result and ``done`` are committed
together. Every write names the job's lease, so a job cancelled, re-triggered or removed by a
person (in any process) is never written by a late answer; the worker hears of it through the
change feed and hangs up the call. An answer that came back is never thrown away because the
database could not take it: the commit is retried (see :mod:`core.saving`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque

from core.analyzers.base import Analyzer
from core.clock import Clock
from core.documents import Limits
from core.errors import LeaseRevoked, StorageError
from core.eta import CallTimes, learn_from_history
from core.events import (
    Event,
    EventBus,
    JobAdded,
    JobChanged,
    JobRemoved,
    QueueStateChanged,
)
from core.job_log import LogEvent
from core.job_steps import JobSteps, RunningJob
from core.jobs import Lease
from core.pacing import Pacer
from core.saving import MustStop, Persister
from core.states import JobState
from core.store import Store

log = logging.getLogger(__name__)

class Worker(JobSteps):
    def __init__(
        self,
        store: Store,
        analyzer: Analyzer,
        pacer: Pacer,
        clock: Clock,
        bus: EventBus,
        *,
        limits: Limits | None = None,
        times: CallTimes | None = None,
        chain_claims: bool = True,
        save_patience_s: float = 600.0,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.pacer = pacer
        self.clock = clock
        self.bus = bus
        self.limits = limits or Limits()
        self.times = times or CallTimes(analyzer.engine)
        self.chain_claims = chain_claims
        self.running: dict[int, RunningJob] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self._stop_why: str | None = None  # written to the log of each job handed back
        self._handoff: deque[Lease] = deque()
        # Jobs claimed but not yet at their first call, in claim order: calls start in queue
        # order even when several jobs are extracted at once and finish extracting out of order.
        self._first_call: list[int] = []
        self._turn = asyncio.Condition()
        self._unstarted: dict[asyncio.Task[None], Lease] = {}
        self._unsubscribe = bus.subscribe(self._on_event)
        self._ready_wait: asyncio.Future[None] | None = None
        self.persist = Persister(
            clock, bus, lambda: self._stopping, store, patience_s=save_patience_s
        )
        # Set when the database cannot be written at all: run() stops and raises it.
        self.fatal: StorageError | None = None
        # Unexpected errors (bugs): each ended its job 'failed' with kind 'internal'.
        self.internal_errors: list[str] = []
        self._same_errors: list[tuple[str, str]] = []

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        self._wake.set()

    @property
    def stopping(self) -> bool:
        """Told to stop (a quit, Ctrl-C, a fatal storage error): its run ends for good."""
        return self._stopping

    def stop(self, why: str = "when the worker stopped") -> None:
        """Stop claiming and cancel running jobs: a paid call in flight leaves its job to go
        stale; any other job (free offline work, or nothing sent yet) goes back to the queue
        with no attempt used. ``why`` ("at quit") goes into those jobs' logs."""
        self._stopping = True
        if self._stop_why is None:
            self._stop_why = why
        for running in list(self.running.values()):
            if running.task is not None:
                running.task.cancel()
        self._wake.set()
        self.pacer.retry_now()

    def retry_now(self) -> None:
        self.pacer.retry_now()
        self.wake()

    def _revoke(self, job_id: int, what: str) -> None:
        running = self.running.get(job_id)
        if running is None or running.revoked is not None:
            return
        running.revoked = what
        if running.task is not None:
            running.task.cancel()  # hangs up the call in flight

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobAdded) or (
            isinstance(event, JobChanged) and event.job.state == JobState.QUEUED
        ):
            self._wake.set()
        if isinstance(event, JobChanged) and event.job.id in self.running:
            running = self.running[event.job.id]
            if event.job.lease != running.lease.token and not running.releasing:
                what = {
                    JobState.CANCELLED: "the job was cancelled",
                    JobState.QUEUED: "the job was re-triggered",
                    JobState.RUNNING: "the job was re-triggered and started again",
                }.get(event.job.state, f"the job became {event.job.state}")
                self._revoke(event.job.id, what)
        elif isinstance(event, JobRemoved) and event.job_id in self.running:
            self._revoke(event.job_id, "the job was removed")
        elif isinstance(event, QueueStateChanged):
            self._wake.set()

    @property
    def paused(self) -> bool:
        return self.store.meta.paused

    def _slots(self) -> int:
        return max(1, self.pacer.max_in_flight) if self.analyzer.paced else 1

    def _busy_ids(self) -> set[int]:
        """Jobs this worker has a task for: never claimed a second time meanwhile."""
        return (
            set(self.running)
            | {lease.job_id for lease in self._unstarted.values()}
            | {lease.job_id for lease in self._handoff}
        )

    # ------------------------------------------------------------------ the loop

    async def run(self, *, until_empty: bool = False) -> None:
        tasks: set[asyncio.Task[None]] = set()
        # A task cancelled before its first step never runs its own clean-up: its job would
        # stay 'running' and turn stale at the next start although nothing was sent.
        unstarted = self._unstarted = {}
        try:
            if not self.times.outputs_known:
                # What finished jobs taught (output lengths, characters per byte), for the
                # progress bar and the ETA: a nicety a busy database can skip.
                with contextlib.suppress(StorageError):
                    await learn_from_history(self.times, self.store, self.analyzer.model)
            while not self._stopping:
                self._wake.clear()
                if self.paused:
                    if until_empty and not tasks:
                        return
                    await self._wait_for_wake()
                    continue
                if len(tasks) >= self._slots():
                    await self._wait_for_wake()
                    continue
                if not self._handoff and not await self._pacer_ready():
                    continue  # woken first (a pause, a new job, a stop): look again
                lease = self._handoff.popleft() if self._handoff else await self._claim()
                if lease is None:
                    if until_empty and not tasks and not await self._jobs_waiting():
                        return
                    await self._wait_for_wake()
                    continue
                task = asyncio.create_task(self._run_chain(lease), name=f"job-{lease.job_id}")
                unstarted[task] = lease
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(self._collect)
        finally:
            held = self._busy_ids()
            if self._ready_wait is not None and not self._ready_wait.done():
                self._ready_wait.cancel()
            for task in list(tasks):
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            # Claimed but never started (including one claimed with the last job's "done").
            for lease in [*unstarted.values(), *self._handoff]:
                with contextlib.suppress(LeaseRevoked, StorageError):
                    await self.store.give_back(lease)
            unstarted.clear()
            self._handoff.clear()
            if self._stop_why is not None and held:
                await self._note_handed_back(held, self._stop_why)
            self._unsubscribe()
            if self.fatal is not None:
                raise self.fatal

    async def _note_handed_back(self, ids: set[int], why: str) -> None:
        """Say in each job's log that stopping handed it back (not a crash, nothing lost)."""
        what = (
            "nothing paid was in flight" if self.analyzer.paced
            else "offline work costs nothing to redo"
        )
        for job_id in sorted(ids):
            with contextlib.suppress(StorageError):
                job = await self.store.get(job_id)
                if job is not None and job.state == JobState.QUEUED:
                    await self.store.log(
                        job_id, f"handed back {why}: {what}; it waits in the queue again, "
                        "no attempt used", LogEvent.REQUEUED,
                    )

    def _collect(self, task: asyncio.Task[None]) -> None:
        """Every job task's exception is looked at: none is ever silently dropped."""
        self._wake.set()
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            log.error("a job task ended with an error", exc_info=error)
            self.internal_errors.append(f"{task.get_name()}: {error!r}")

    async def _claim(self) -> Lease | None:
        try:
            return await self.persist.retry_busy(
                lambda: self.store.claim_next(exclude=self._busy_ids())
            )
        except MustStop:
            return None
        except StorageError as exc:
            self.fatal = self.fatal or exc
            self.stop()
            return None

    async def _jobs_waiting(self) -> bool:
        """True if queued jobs wait out their own retry (not claimable yet, but not done)."""
        until = await self.store.next_not_before()
        if until is None:
            return False
        await self.clock.sleep(max(0.0, until - self.clock.wall()))
        return True

    async def _pacer_ready(self) -> bool:
        """Wait for the pacer before claiming, so a job waiting out a pause or a backoff stays
        queued (it is not running: nothing is being sent for it). False if woken first."""
        if not self.analyzer.paced or self.pacer.ready_now():
            return True
        if not await self.store.has_queued():
            return True  # nothing to wait for: the claim finds the queue empty
        # The pacer wait survives wake-ups (a new job, a requeue), so its countdown does not
        # flicker; only a stop or a pause ends it.
        if self._ready_wait is None or self._ready_wait.done():
            self._ready_wait = asyncio.ensure_future(self.pacer.wait_ready())
        ready = self._ready_wait
        woken = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({ready, woken}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not woken.done():
                woken.cancel()
            if (self._stopping or self.paused) and not ready.done():
                ready.cancel()
        return ready.done() and not self._stopping and not self.paused

    async def _wait_for_wake(self) -> None:
        # Wake on an event; also poll now and then so nothing waits forever on a missed event.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=1.0)

    # ------------------------------------------------------------------ one job

    async def _run_chain(self, lease: Lease | None) -> None:
        """Run a job, then any job claimed in the same commit as its result, in this task."""
        self._unstarted.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
        while lease is not None:
            running = RunningJob(lease, asyncio.current_task(), self.clock.now())
            self.running[lease.job_id] = running
            self._first_call.append(lease.job_id)
            try:
                await self._run_job(lease, running)
            except StorageError as exc:
                # Nothing more can be saved: stop instead of paying for calls whose answers
                # would be lost. The job stays 'running' and is marked stale at the next start.
                self.fatal = self.fatal or exc
                self.stop()
                return
            finally:
                if self.running.get(lease.job_id) is running:
                    del self.running[lease.job_id]
                await self._took_turn(lease.job_id)
            lease = self._handoff.popleft() if self._handoff and not self._stopping else None

    async def _took_turn(self, job_id: int) -> None:
        if job_id in self._first_call:
            self._first_call.remove(job_id)
            async with self._turn:
                self._turn.notify_all()
