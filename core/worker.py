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
import hashlib
import logging
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from core.analyzers.base import Analyzer, CallResult, Progress
from core.changes import QueueMeta
from core.clock import Clock
from core.documents import Limits, extract_async
from core.errors import ErrorClass, JobError, LeaseRevoked, StorageError
from core.eta import CallTimes
from core.events import (
    Event,
    EventBus,
    JobAdded,
    JobChanged,
    JobProgress,
    JobRemoved,
    QueueStateChanged,
)
from core.jobs import Lease, Profile
from core.pacing import Pacer
from core.queue import Backoff, PartPlan
from core.saving import MustStop, Persister
from core.states import JobState
from core.store import Store

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = (
    "Paceline hit an internal error while processing this job and stopped it. The details are "
    "in the job's log. Re-trigger it to try again; if it happens again, please report it."
)


class _Yield(Exception):
    """The queue was paused before the next call: hand the job back, nothing was spent."""


@dataclass
class RunningJob:
    lease: Lease
    task: asyncio.Task[None] | None
    started: float
    call_in_flight: bool = False
    # A paid call was sent and its answer is not committed yet: never hand this job back.
    paid_unsaved: bool = False
    parts_done: int = 0
    parts_planned: int = 0
    revoked: str | None = None  # what a person did to it, once the change feed told us
    # The worker is writing the job's outcome itself (done, failed, requeued): the lease it
    # clears is its own doing, not a person's.
    releasing: bool = False


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
            self._unsubscribe()
            if self.fatal is not None:
                raise self.fatal

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

    async def _run_job(self, lease: Lease, running: RunningJob) -> None:
        try:
            await self._settle(lease, running)
        except (StorageError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug, even inside an outcome handler: never leave it running
            log.exception("job %s crashed", lease.job_id)
            self.internal_errors.append(f"job {lease.job_id}: {exc!r}")
            running.releasing = True
            detail = "".join(traceback.format_exception(exc)).strip()
            await self._quietly(
                lambda: self.store.fail(
                    lease, "internal", INTERNAL_MESSAGE, note=f"internal error:\n{detail}"
                )
            )

    async def _settle(self, lease: Lease, running: RunningJob) -> None:
        """Run the job and write the outcome each expected way of ending calls for."""
        try:
            await self._process(lease, running)
        except asyncio.CancelledError:
            running.releasing = True
            await self._after_cancel(lease, running)
        except LeaseRevoked as revoked:
            log.info("job %s: %s; its worker let go of it", lease.job_id, revoked.what)
        except MustStop:
            pass  # stopping while the database refused a write: the start-up check decides
        except _Yield:
            running.releasing = True
            await self._quietly(lambda: self.store.give_back(lease))
        except JobError as error:
            running.releasing = True
            await self._after_error(lease, error)

    async def _quietly(self, write: Callable[[], Awaitable[object]]) -> None:
        """A clean-up write: a job someone took away meanwhile needs none."""
        with contextlib.suppress(LeaseRevoked):
            await self.persist.retry_busy(write)

    async def _process(self, lease: Lease, running: RunningJob) -> None:
        job = lease.job
        document = await extract_async(job.path, self.limits, expect_sha256=job.sha256)
        chunks = self.analyzer.split(document.text)
        multi = len(chunks) > 1
        size = self.analyzer.part_chars
        plan = [PartPlan(_sha(c), size) for c in chunks]
        if multi:
            plan.append(PartPlan(_sha("combine\0" + "\0".join(p.text_sha for p in plan)), size))
        running.parts_planned = len(plan)
        done: dict[int, str] = {}
        if multi or job.parts_planned > 1 or job.parts_done:
            # Committed up front for a multi-part job's progress, and for any job whose
            # stored parts might belong to another split; a single call's plan goes with it.
            kept = await self.persist.retry_busy(
                lambda: self.store.plan(lease, plan, len(document.text))
            )
            done = {i: p.result for i, p in kept.items() if p.result is not None}
        running.parts_done = len(done)
        profile = Profile(job.profile, job.prompt)
        results: list[str] = []
        final: CallResult | None = None
        final_seconds = 0.0
        final_units = 0
        for idx, chunk in enumerate(chunks):
            if idx in done and multi:
                results.append(done[idx])
                continue

            def call(
                progress: Progress, chunk: str = chunk, idx: int = idx
            ) -> Awaitable[CallResult]:
                return self.analyzer.analyze_part(
                    chunk, profile, index=idx, count=len(chunks), progress=progress
                )

            note = f"sending part {idx + 1} of {len(chunks)}" if multi else "sending the request"
            result, seconds = await self._call(running, idx, plan[idx], chunk, call, note)
            if not multi:
                final, final_seconds, final_units = result, seconds, len(chunk)
            else:
                await self.persist.save_answer(
                    lease,
                    lambda idx=idx, result=result, seconds=seconds, chunk=chunk: (
                        self.store.save_part(
                            lease, idx, result.text,
                            prompt_tokens=result.prompt_tokens,
                            completion_tokens=result.completion_tokens,
                            duration_s=seconds, engine=self.analyzer.engine, units=len(chunk),
                        )
                    ),
                )  # fmt: skip
                running.parts_done += 1
                running.paid_unsaved = False
            results.append(result.text)
        if multi:
            joined = "\n\n".join(results)

            def combine(progress: Progress) -> Awaitable[CallResult]:
                return self.analyzer.combine(results, profile, progress=progress)

            final, final_seconds = await self._call(
                running, len(chunks), plan[-1], joined, combine, "sending the combining call"
            )
            final_units = len(joined)
        if final is None:
            raise RuntimeError("the document produced no call to make")
        # Claim the next job in the same commit only when it can start at once; one that must
        # wait for the pacer stays queued until it can.
        chain = (
            self.chain_claims
            and not self._stopping
            and not self.paused
            and (not self.analyzer.paced or self.pacer.ready_now())
        )
        answer = final
        running.releasing = True
        nxt = await self.persist.save_answer(
            lease,
            lambda: self.store.finish_done(
                lease, answer.text,
                prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                duration_s=final_seconds, engine=self.analyzer.engine, units=final_units,
                claim_next=chain and not self._stopping, exclude=self._busy_ids(),
            ),
        )  # fmt: skip
        if nxt is not None:
            self._handoff.append(nxt)

    async def _call(
        self,
        running: RunningJob,
        idx: int,
        part: PartPlan,
        text: str,
        call: Callable[[Progress], Awaitable[CallResult]],
        note: str,
    ) -> tuple[CallResult, float]:
        if self.paused:
            raise _Yield
        lease = running.lease
        paced = self.analyzer.paced
        cost = self.analyzer.estimate_tokens(text) if paced else 0
        if paced:
            async with self._turn:
                await self._turn.wait_for(
                    lambda: not self._first_call or self._first_call[0] == lease.job_id
                    or lease.job_id not in self._first_call
                )
            try:
                await self.pacer.acquire(cost)
            finally:
                await self._took_turn(lease.job_id)
            if self.paused or self._stopping:
                self.pacer.release_unused()
                raise _Yield
        try:
            await self.persist.retry_busy(
                lambda: self.store.call_started(lease, idx, part, note=note, paced=paced)
            )
        except BaseException:
            if paced:
                self.pacer.release_unused()
            raise
        running.call_in_flight = True
        running.paid_unsaved = paced

        def progress(fraction: float) -> None:
            self.bus.publish(
                JobProgress(lease.job_id, running.parts_done, running.parts_planned, fraction)
            )

        start = self.clock.now()
        try:
            result = await call(progress)
        except JobError as error:
            running.call_in_flight = running.paid_unsaved = False
            if paced:
                self.pacer.on_failure(error, retryable=error.error_class == ErrorClass.RETRYABLE)
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            running.call_in_flight = running.paid_unsaved = False
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

    async def _took_turn(self, job_id: int) -> None:
        if job_id in self._first_call:
            self._first_call.remove(job_id)
            async with self._turn:
                self._turn.notify_all()

    # ------------------------------------------------------------------ outcomes

    async def _after_cancel(self, lease: Lease, running: RunningJob) -> None:
        if running.call_in_flight and self.analyzer.paced:
            self.pacer.release_unused()
        if running.revoked is not None:
            if running.call_in_flight:
                note = f"call hung up: {running.revoked}"
                await self._quietly(lambda: self.store.log(lease.job_id, note))
            return
        if running.paid_unsaved:
            # A paid call may have been charged: leave it running, start-up marks it stale.
            return
        # Nothing was spent on the step we interrupted: hand the job back in its place.
        await self._quietly(lambda: self.store.give_back(lease))

    async def _after_error(self, lease: Lease, error: JobError) -> None:
        cls = error.error_class
        if cls == ErrorClass.STOP_QUEUE:
            await self._quietly(
                lambda: self.store.requeue(
                    lease, error.kind, error.message, refund_attempt=True,
                    pause=QueueMeta(True, error.message, error.kind),
                    note=f"queue paused: {error.message}",
                )
            )  # fmt: skip
            return
        if cls == ErrorClass.PERMANENT:
            await self._quietly(
                lambda: self.store.fail(lease, error.kind, error.message,
                                note=f"failed ({error.kind}): {error.message}")
            )  # fmt: skip
            return
        attempts = lease.job.attempts
        backoff = self._backoff_to_store()
        if attempts >= lease.job.max_attempts:
            message = f"{error.message} (gave up after {attempts} attempts)"
            await self._quietly(
                lambda: self.store.fail(lease, error.kind, message, backoff=backoff,
                                        note=f"failed ({error.kind}): {message}")
            )  # fmt: skip
            return
        await self._quietly(
            lambda: self.store.requeue(
                lease, error.kind, error.message, backoff=backoff,
                note=f"attempt {attempts} failed ({error.kind}): {error.message}; will retry",
            )
        )  # fmt: skip

    def _backoff_to_store(self) -> Backoff | None:
        """The pacer's backoff or Retry-After, on the wall clock, to commit with the requeue."""
        if not self.analyzer.paced:
            return None
        wait = self.pacer.backoff_wait()
        if wait.until is None:
            return None
        until = self.clock.wall() + wait.seconds_left(self.clock.now())
        return Backoff(until, wait.kind or "backoff", wait.reason or "", wait.failures)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

