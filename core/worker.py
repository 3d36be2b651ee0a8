"""The paced worker: claims jobs in order, runs their calls, checkpoints every step.

Durability order for a paid call: the call's start is committed, then the call is sent, then
its result is committed with the job's progress; the last result and ``done`` are committed
together. A crash at any point leaves the job done with its result, queued, or (at the next
start-up) stale, never done twice and never silently re-sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.analyzers.base import Analyzer, CallResult, Progress
from core.clock import Clock
from core.documents import Limits, extract_async
from core.errors import ErrorClass, JobError, StorageError
from core.eta import CallTimes
from core.events import (
    Event,
    EventBus,
    JobAdded,
    JobChanged,
    JobProgress,
    QueueStateChanged,
)
from core.jobs import Job, Profile
from core.pacing import Pacer
from core.states import JobState
from core.store import Store

log = logging.getLogger(__name__)


class _Yield(Exception):
    """The queue was paused before the next call: hand the job back, nothing was spent."""


@dataclass
class RunningJob:
    job_id: int
    task: asyncio.Task[None] | None
    started: float
    call_in_flight: bool = False
    parts_done: int = 0
    parts_planned: int = 0


class Worker:
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
        self._handoff: deque[Job] = deque()
        self._unstarted: dict[asyncio.Task[None], Job] = {}
        self._cancelled_by_user: set[int] = set()
        self._unsubscribe = bus.subscribe(self._on_event)
        self._ready_wait: asyncio.Future[None] | None = None
        # Set when the database cannot be written: run() stops and raises it for a person.
        self.fatal: StorageError | None = None

    # ------------------------------------------------------------------ control

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming and cancel running jobs (a job with a call in flight goes stale)."""
        self._stopping = True
        for running in list(self.running.values()):
            if running.task is not None:
                running.task.cancel()
        self._wake.set()
        self.pacer.retry_now()

    def retry_now(self) -> None:
        self.pacer.retry_now()
        self.wake()

    def cancel_running(self, job_id: int) -> bool:
        running = self.running.get(job_id)
        if running is None or running.task is None:
            return False
        self._cancelled_by_user.add(job_id)
        running.task.cancel()
        return True

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobAdded) or (
            isinstance(event, JobChanged) and event.job.state == JobState.QUEUED
        ):
            self._wake.set()
        elif isinstance(event, JobChanged) and event.job.id in self.running:
            if event.job.state in (JobState.CANCELLED,):
                # cancelled here or by another process: stop its task
                self.cancel_running(event.job.id)
        elif isinstance(event, QueueStateChanged):
            self._wake.set()

    @property
    def paused(self) -> bool:
        return self.store.meta.paused

    def _slots(self) -> int:
        return max(1, self.pacer.max_in_flight) if self.analyzer.paced else 1

    # ------------------------------------------------------------------ the loop

    async def run(self, *, until_empty: bool = False) -> None:
        tasks: set[asyncio.Task[None]] = set()
        # A task cancelled before its first step never runs its own clean-up: its job would
        # stay 'running' and turn stale at the next start although nothing was sent.
        unstarted = self._unstarted = {}
        try:
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
                job = self._handoff.popleft() if self._handoff else await self.store.claim_next()
                if job is None:
                    if until_empty and not tasks:
                        return
                    await self._wait_for_wake()
                    continue
                task = asyncio.create_task(self._run_chain(job), name=f"job-{job.id}")
                unstarted[task] = job
                tasks.add(task)
                task.add_done_callback(tasks.discard)
                task.add_done_callback(lambda _t: self._wake.set())
        finally:
            if self._ready_wait is not None and not self._ready_wait.done():
                self._ready_wait.cancel()
            for task in list(tasks):
                task.cancel()
            if tasks:
                await asyncio.gather(*tasks, return_exceptions=True)
            for job in unstarted.values():
                await self.store.requeue(
                    job.id, job.error_kind or "", job.error or "", refund_attempt=True
                )
            unstarted.clear()
            # A job claimed in the same commit as the previous job's "done" was never started.
            while self._handoff:
                job = self._handoff.popleft()
                await self.store.requeue(
                    job.id, job.error_kind or "", job.error or "", refund_attempt=True
                )
            self._unsubscribe()
            if self.fatal is not None:
                raise self.fatal

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

    async def _run_chain(self, job: Job | None) -> None:
        """Run a job, then any job claimed in the same commit as its result, in this task."""
        self._unstarted.pop(asyncio.current_task(), None)  # type: ignore[arg-type]
        while job is not None:
            self.running[job.id] = RunningJob(job.id, asyncio.current_task(), self.clock.now())
            try:
                await self._run_job(job)
            except StorageError as exc:
                # Nothing more can be saved: stop instead of paying for calls whose answers
                # would be lost. The job stays 'running' and is marked stale at the next start.
                self.fatal = self.fatal or exc
                self.stop()
                return
            job = self._handoff.popleft() if self._handoff and not self._stopping else None

    async def _run_job(self, job: Job) -> None:
        running = self.running[job.id]
        try:
            await self._process(job, running)
        except asyncio.CancelledError:
            await self._after_cancel(job, running)
        except _Yield:
            await self.store.requeue(
                job.id, job.error_kind or "", job.error or "", refund_attempt=True
            )
        except JobError as error:
            await self._after_error(job, error)
        except StorageError:
            # Not the job's fault, and requeueing it could re-send a call that was answered
            # (and charged) but not saved: leave it 'running' for the stale check at start-up.
            raise
        except Exception as exc:  # a bug must not stop the queue; the job's attempts bound it
            log.exception("job %s crashed", job.id)
            await self._after_error(
                job,
                JobError(
                    "internal",
                    f"Paceline hit an internal error while processing this job: {exc!r}",
                    error_class=ErrorClass.RETRYABLE,
                ),
                from_call=False,
            )
        finally:
            self.running.pop(job.id, None)
            self._cancelled_by_user.discard(job.id)

    async def _process(self, job: Job, running: RunningJob) -> None:
        document = await extract_async(job.path, self.limits, expect_sha256=job.sha256)
        chunks = self.analyzer.split(document.text)
        planned = len(chunks) + (1 if len(chunks) > 1 else 0)
        if planned > 1 and (job.parts_planned != planned or job.units != len(document.text)):
            # Only a multi-part job needs its plan committed up front (for progress); a
            # single call's plan is committed with its result.
            await self.store.set_plan(job.id, planned, len(document.text))
        running.parts_planned = planned
        profile = Profile(job.profile, job.prompt)
        done = (
            {p.idx: p for p in await self.store.parts(job.id) if p.state == "done"}
            if job.parts_done
            else {}
        )
        running.parts_done = len(done)
        results: list[str] = []
        final: CallResult | None = None
        final_seconds = 0.0
        final_units = 0
        for idx, chunk in enumerate(chunks):
            if idx in done and done[idx].result is not None:
                results.append(done[idx].result or "")
                continue

            def call(
                progress: Progress, chunk: str = chunk, idx: int = idx
            ) -> Awaitable[CallResult]:
                return self.analyzer.analyze_part(
                    chunk, profile, index=idx, count=len(chunks), progress=progress
                )

            result, seconds = await self._call(job, running, idx, chunk, call)
            if len(chunks) == 1:
                final, final_seconds, final_units = result, seconds, len(chunk)
            else:
                saved = await self.store.save_part(
                    job.id,
                    idx,
                    result.text,
                    result.prompt_tokens,
                    result.completion_tokens,
                    seconds,
                    self.analyzer.engine,
                    len(chunk),
                )
                if saved is None:
                    return  # cancelled meanwhile
                running.parts_done += 1
            results.append(result.text)
        if len(chunks) > 1:
            joined = "\n\n".join(results)

            def combine(progress: Progress) -> Awaitable[CallResult]:
                return self.analyzer.combine(results, profile, progress=progress)

            final, final_seconds = await self._call(job, running, len(chunks), joined, combine)
            final_units = len(joined)
        assert final is not None
        # Claim the next job in the same commit only when it can start at once; one that must
        # wait for the pacer stays queued until it can.
        chain = (
            self.chain_claims
            and not self._stopping
            and not self.paused
            and (not self.analyzer.paced or self.pacer.ready_now())
        )
        _, nxt = await self.store.finish_done(
            job.id,
            final.text,
            prompt_tokens=final.prompt_tokens,
            completion_tokens=final.completion_tokens,
            duration_s=final_seconds,
            engine=self.analyzer.engine,
            units=final_units,
            claim_next=chain,
        )
        if nxt is not None:
            self._handoff.append(nxt)

    async def _call(
        self,
        job: Job,
        running: RunningJob,
        idx: int,
        text: str,
        call: Callable[[Progress], Awaitable[CallResult]],
    ) -> tuple[CallResult, float]:
        if self.paused:
            raise _Yield
        paced = self.analyzer.paced
        cost = self.analyzer.estimate_tokens(text) if paced else 0
        if paced:
            await self.pacer.acquire(cost)
            if self.paused or self._stopping:
                self.pacer.release_unused()
                raise _Yield
            await self.store.mark_call_started(job.id, idx)
        running.call_in_flight = True

        def progress(fraction: float) -> None:
            self.bus.publish(
                JobProgress(job.id, running.parts_done, running.parts_planned, fraction)
            )

        start = self.clock.now()
        try:
            result = await call(progress)
        except JobError as error:
            running.call_in_flight = False
            if paced:
                self.pacer.on_failure(error, retryable=error.error_class == ErrorClass.RETRYABLE)
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            running.call_in_flight = False
            if paced:
                self.pacer.on_failure(None, retryable=False)
            raise
        seconds = self.clock.now() - start
        running.call_in_flight = False
        if paced:
            self.pacer.on_success(
                result.headers, result.prompt_tokens + result.completion_tokens, cost
            )
            # Adaptive pacing may now allow more calls in flight: let the loop claim at once.
            self._wake.set()
        self.times.add(len(text), seconds)
        return result, seconds

    # ------------------------------------------------------------------ outcomes

    async def _after_cancel(self, job: Job, running: RunningJob) -> None:
        if running.call_in_flight and self.analyzer.paced:
            self.pacer.release_unused()
        if job.id in self._cancelled_by_user:
            await self.store.log(job.id, "cancelled while running")
            return
        if running.call_in_flight and self.analyzer.paced:
            # A paid call may have been charged: leave it running, start-up marks it stale.
            return
        # Nothing was spent on the step we interrupted: hand the job back in its place.
        await self.store.requeue(job.id, job.error_kind or "", job.error or "", refund_attempt=True)

    async def _after_error(self, job: Job, error: JobError, *, from_call: bool = True) -> None:
        cls = error.error_class
        if cls == ErrorClass.STOP_QUEUE:
            await self.store.requeue(job.id, error.kind, error.message, refund_attempt=True)
            await self.store.set_paused(True, error.message, error.kind)
            self.bus.publish(QueueStateChanged(True, error.message, error.kind, None, None, None))
            await self.store.log(job.id, f"queue paused: {error.message}")
            return
        if cls == ErrorClass.PERMANENT:
            await self.store.finish_failed(job.id, error.kind, error.message)
            await self.store.log(job.id, f"failed ({error.kind}): {error.message}")
            return
        current = await self.store.get(job.id)
        attempts = current.attempts if current else job.attempts
        if attempts >= job.max_attempts:
            message = f"{error.message} (gave up after {attempts} attempts)"
            await self.store.finish_failed(job.id, error.kind, message)
            await self.store.log(job.id, f"failed ({error.kind}): {message}")
            return
        await self.store.requeue(job.id, error.kind, error.message)
        await self.store.log(
            job.id, f"attempt {attempts} failed ({error.kind}): {error.message}; will retry"
        )
