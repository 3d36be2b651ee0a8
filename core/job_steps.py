"""One job's steps, as the worker runs it: extract, plan, call part by part, settle.

A mixin of :class:`core.worker.Worker` (the loop that claims and the control lives there). Every
write names the job's lease; each way a job can end (done, a retryable or permanent error, a
stop-the-queue error, a cancel, a revoked lease, a bug) is settled here in exactly one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

from core.analyzers.base import Analyzer, CallResult, Progress, cut_off_message
from core.changes import QueueMeta
from core.clock import Clock
from core.documents import Limits, extract_async
from core.errors import DocumentError, ErrorClass, JobError, LeaseRevoked, StorageError
from core.eta import CallTimes, progress_share
from core.events import EventBus, JobProgress
from core.job_log import LogEvent, duration_words
from core.jobs import Lease, Profile
from core.pacing import Pacer
from core.part_inputs import PartInput, cut_document, text_sha
from core.queue import PartPlan
from core.saving import MustStop, Persister
from core.states import DOUBTFUL_TEXT
from core.store import Store
from core.vision import image_tokens
from core.waits import StoredWait

log = logging.getLogger(__name__)

INTERNAL_MESSAGE = (
    "Paceline hit an internal error while processing this job and stopped it. The details are "
    "in the job's log. Re-trigger it to try again; if it happens again, please report it."
)


# A safety net under the error table: this many jobs in a row failing with the very same
# permanent error means the error is about the server or the settings (a model name, an
# endpoint), not about those jobs; the queue pauses instead of failing every job alike.
SAME_ERROR_PAUSE = 3

# A shorter wait (an adaptive pacer's spacing of calls) is not worth a line in the job's log,
# nor a commit that could take about as long as the wait itself (0.6 ms measured, 5 ms at worst).
THROTTLE_LOGGED_FROM_S = 0.1

# Classes whose job goes back to the queue to be tried again (the pacer backs off for them).
RETRIED = frozenset({ErrorClass.RETRYABLE, ErrorClass.UNREACHABLE})


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
    call_started: float | None = None  # clock time the call in flight started, for the ETA
    revoked: str | None = None  # what a person did to it, once the change feed told us
    # The worker is writing the job's outcome itself (done, failed, requeued): the lease it
    # clears is its own doing, not a person's.
    releasing: bool = False


class JobSteps:
    store: Store
    analyzer: Analyzer
    pacer: Pacer
    clock: Clock
    bus: EventBus
    limits: Limits
    times: CallTimes
    persist: Persister
    chain_claims: bool
    internal_errors: list[str]
    _same_errors: list[tuple[str, str]]  # permanent failures in a row, (kind, message)
    _stopping: bool
    _wake: asyncio.Event
    _handoff: deque[Lease]
    _first_call: list[int]
    _turn: asyncio.Condition
    paused: bool
    _busy_ids: Callable[[], set[int]]
    _took_turn: Callable[[int], Awaitable[None]]

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
            # A stop says so itself, for each job it hands back (Worker._note_handed_back).
            note = None if self._stopping else (
                "back in its place before its call (the queue was paused): nothing was sent, "
                "no attempt used")
            await self._quietly(lambda: self.store.give_back(lease, note))
        except JobError as error:
            running.releasing = True
            await self._after_error(lease, error)

    async def _quietly(self, write: Callable[[], Awaitable[object]]) -> None:
        """A clean-up write: a job someone took away meanwhile needs none."""
        with contextlib.suppress(LeaseRevoked):
            await self.persist.retry_busy(write)

    async def _process(self, lease: Lease, running: RunningJob) -> None:
        job = lease.job
        # Scans and pictures are rendered only for a model that can read them.
        limits = replace(self.limits, render_images=self.analyzer.vision is not None)
        document = await extract_async(job.path, limits, expect_sha256=job.sha256)
        if document.notes:
            await self.persist.retry_busy(
                lambda: self.store.note(lease, [f"reading: {n}" for n in document.notes])
            )
        if document.doubt != job.doubt:
            await self.persist.retry_busy(lambda: self.store.set_doubt(lease, document.doubt))
        if document.doubt and self.analyzer.paced and not job.doubt_accepted:
            # Offline analysis costs nothing and goes on; a paid call waits for the person.
            raise DocumentError(
                DOUBTFUL_TEXT,
                f"The text read from {job.name} looks garbled: {document.doubt}. It was not "
                "sent, so nothing was spent. Open the file to check it; if it reads correctly "
                "there, re-trigger the job to send it anyway.",
            )
        chunks = cut_document(document, self.analyzer)
        # the ETA guesses the length of files not read yet from the ones read
        self.times.add_document(job.path, job.size, sum(c.units for c in chunks))
        multi = len(chunks) > 1
        size = self.analyzer.part_chars
        plan = [PartPlan(c.sha, size) for c in chunks]
        if multi:
            plan.append(PartPlan(text_sha("combine\0" + "\0".join(p.text_sha for p in plan)), size))
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
        # Calls whose answer stopped at the output limit, with where they were in the job.
        cut: list[tuple[CallResult, str]] = []
        for idx, chunk in enumerate(chunks):
            if idx in done and multi:
                results.append(done[idx])
                continue

            def call(
                progress: Progress, chunk: PartInput = chunk, idx: int = idx
            ) -> Awaitable[CallResult]:
                return self.analyzer.analyze_part(
                    chunk.text,
                    profile,
                    index=idx,
                    count=len(chunks),
                    progress=progress,
                    images=chunk.images,
                )

            label = f"part {idx + 1} of {len(chunks)}" if multi else "the whole document"
            result, seconds = await self._call(running, idx, plan[idx], chunk, call, label)
            if result.cut_off:
                cut.append((result, f"part {idx + 1} of {len(chunks)}" if multi else ""))
            if not multi:
                final, final_seconds, final_units = result, seconds, chunk.units
            else:
                await self.persist.save_answer(
                    lease,
                    lambda idx=idx, result=result, seconds=seconds, chunk=chunk: (
                        self.store.save_part(
                            lease, idx, result.text,
                            prompt_tokens=result.prompt_tokens,
                            completion_tokens=result.completion_tokens,
                            duration_s=seconds, engine=self.analyzer.engine, units=chunk.units,
                            label=f"part {idx + 1} of {len(chunks)}",
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
                running,
                len(chunks),
                plan[-1],
                PartInput(joined),
                combine,
                COMBINING_CALL,
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
        # Done either way (every call was paid and answered), but flagged when any call was
        # cut at the output limit, so the person can run it again with a larger one.
        if multi and answer.cut_off:
            cut.append((answer, "the combining call"))
        nxt = await self.persist.save_answer(
            lease,
            lambda: self.store.finish_done(
                lease, answer.text,
                prompt_tokens=answer.prompt_tokens, completion_tokens=answer.completion_tokens,
                duration_s=final_seconds, engine=self.analyzer.engine, units=final_units,
                claim_next=chain and not self._stopping, exclude=self._busy_ids(),
                output_truncated=cut_off_message(cut), label=COMBINING_CALL if multi else None,
            ),
        )  # fmt: skip
        self._same_errors.clear()  # a job succeeded: the run of identical failures ends
        if nxt is not None:
            self._handoff.append(nxt)

    def _via(self) -> tuple[str, str, str]:
        """(provider, model, host) of the analyzer: where this job's call goes."""
        analyzer = self.analyzer
        return analyzer.provider, analyzer.model, getattr(analyzer, "host", "")

    async def _call(
        self,
        running: RunningJob,
        idx: int,
        part: PartPlan,
        sent: PartInput,
        call: Callable[[Progress], Awaitable[CallResult]],
        label: str,
    ) -> tuple[CallResult, float]:
        """Make one call (``label`` names it in the log: "part 2 of 5"), paced if paid."""
        if self.paused:
            raise _Yield
        lease = running.lease
        paced = self.analyzer.paced
        cost = self.pacer.token_cost(len(sent.text)) if paced else 0
        if cost:  # tokens are paced: the images count too
            cost += sum(image_tokens(i.width, i.height) for i in sent.images)
        paced_at: float | None = None
        if paced:
            async with self._turn:
                await self._turn.wait_for(
                    lambda: (
                        not self._first_call
                        or self._first_call[0] == lease.job_id
                        or lease.job_id not in self._first_call
                    )
                )
            try:
                await self._log_throttle(lease, cost, label)
                await self.pacer.acquire(cost)
            finally:
                await self._took_turn(lease.job_id)
            # when the pacer counted the call as started: its answer is matched to it
            paced_at = self.clock.now()
            if self.paused or self._stopping:
                self.pacer.release_unused()
                raise _Yield
        try:
            # A model left blank is named by the server: asked before the call is recorded,
            # so the job's record says which model the document went to.
            resolve = getattr(self.analyzer, "resolve_model", None)
            if resolve is not None:
                await resolve()
            note = (
                f"call started: {label} to {_destination(*self._via())}"
                if paced
                else f"analysis started: {label}, offline with the built-in analyzer"
            )
            await self.persist.retry_busy(
                lambda: self.store.call_started(
                    lease, idx, part, note=note, paced=paced, via=self._via()
                )
            )
        except BaseException:
            if paced:
                self.pacer.release_unused()
            raise
        running.call_in_flight = True
        running.paid_unsaved = paced

        # The share of the call done: its streamed output against the output this model's
        # recent calls took (not the output limit, which few answers come near).
        expected = self.times.expected_output_tokens()
        shown = 0.0

        def progress(tokens: int) -> None:
            nonlocal shown
            share = progress_share(tokens, expected)
            if share - shown >= 0.01:  # at most ~100 progress events per call
                shown = share
                self.bus.publish(
                    JobProgress(lease.job_id, running.parts_done, running.parts_planned, share)
                )

        start = running.call_started = self.clock.now()
        try:
            result = await call(progress)
        except JobError as error:
            running.call_in_flight = running.paid_unsaved = False
            if paced:
                self.pacer.on_failure(
                    error, retryable=error.error_class in RETRIED, started=paced_at
                )
            raise
        except asyncio.CancelledError:
            raise
        except Exception:
            running.call_in_flight = running.paid_unsaved = False
            if paced:
                self.pacer.on_failure(None, retryable=False, started=paced_at)
            raise
        seconds = self.clock.now() - start
        running.call_in_flight = False
        running.call_started = None
        if paced:
            self.pacer.on_success(
                # Image tokens would spoil the characters-per-token ratio learned from text.
                result.headers,
                cost_tokens=cost,
                prompt_chars=0 if sent.images else len(sent.text),
                prompt_tokens=result.prompt_tokens,
                completion_tokens=result.completion_tokens,
                started=paced_at,
            )
            # Adaptive pacing may now allow more calls in flight: let the loop claim at once.
            self._wake.set()
        self.times.add(sent.units, seconds, result.completion_tokens)
        return result, seconds

    async def _log_throttle(self, lease: Lease, cost: int, label: str) -> None:
        """Say in the job's log that the pacer holds its call back, and why, before the wait.

        Its own commit, but one made while the call waits anyway: the wait ends at a fixed
        time, so the commit delays the call only when the wait is shorter than the commit.
        """
        held = self.pacer.next_wait(cost)
        wait = held.seconds_left(self.clock.now())
        if held.until is None or wait < THROTTLE_LOGGED_FROM_S:
            return
        line = f"throttled: {label} waits {duration_words(wait)}"
        if held.reason:
            line += f": {_lower_first(held.reason)}"
        await self.persist.retry_busy(
            lambda: self.store.note(lease, [line], LogEvent.THROTTLED)
        )

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
                    note=f"queue paused: {error.message}", event=LogEvent.PAUSED,
                )
            )  # fmt: skip
            return
        if cls == ErrorClass.UNREACHABLE:
            # The server is down, not the job at fault: it keeps its attempts and its place.
            backoff = self._backoff_to_store()
            await self._quietly(
                lambda: self.store.requeue(
                    lease, error.kind, error.message, refund_attempt=True, backoff=backoff,
                    note=f"server unreachable ({error.kind}): {error.message} — no attempt "
                    f"used; {self._retry_words(backoff)}",
                )
            )  # fmt: skip
            return
        if cls == ErrorClass.PERMANENT:
            failure = (error.kind, error.message)
            if self._same_errors and self._same_errors[-1] != failure:
                self._same_errors.clear()
            self._same_errors.append(failure)
            if len(self._same_errors) >= SAME_ERROR_PAUSE:
                self._same_errors.clear()
                reason = (
                    f"{SAME_ERROR_PAUSE} jobs in a row failed with the same error, so the queue "
                    f"is paused before it fails the rest alike: {error.message} Fix the cause "
                    "(often the model or the API base in Settings), re-trigger the failed "
                    "jobs, then resume the queue."
                )
                await self._quietly(
                    lambda: self.store.requeue(
                        lease, error.kind, error.message, refund_attempt=True,
                        pause=QueueMeta(True, reason, error.kind),
                        note=f"queue paused: the same error as the last jobs: {error.message}",
                        event=LogEvent.PAUSED,
                    )
                )  # fmt: skip
                return
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
                note=f"attempt {attempts} of {lease.job.max_attempts} failed ({error.kind}): "
                f"{error.message} — {self._retry_words(backoff)}",
            )
        )  # fmt: skip

    def _retry_words(self, backoff: StoredWait | None) -> str:
        """When the job is tried again, and why then, for its log."""
        left = backoff.backoff_left(self.clock.wall()) if backoff is not None else 0.0
        if backoff is None or left <= 0:
            return "retrying when its turn comes"
        why = {
            "retry_after": "as the server asked (Retry-After)",
            "backoff": f"backing off after {backoff.failures} failed call"
            f"{'s' if backoff.failures != 1 else ''} in a row",
            "unreachable": "then the server is tried again",
        }.get(backoff.kind or "", _lower_first(backoff.reason or "backing off"))
        return f"retrying in {duration_words(left)}, {why}"

    def _backoff_to_store(self) -> StoredWait | None:
        """The pacer's backoff or Retry-After, on the wall clock, to commit with the requeue."""
        if not self.analyzer.paced:
            return None
        wait = self.pacer.backoff_wait()
        if wait.until is None:
            return None
        until = self.clock.wall() + wait.seconds_left(self.clock.now())
        return StoredWait(
            until, wait.kind or "backoff", wait.reason, wait.failures, since=wait.since
        )


COMBINING_CALL = "the combining call"


def _destination(provider: str, model: str, host: str) -> str:
    """The model and the host a paid call goes to, for the job's log."""
    name = model or "the server's default model"
    return f"{name} at {host}" if host else f"{name} ({provider})"


def _lower_first(text: str) -> str:
    """A reason made to follow a colon: "Pausing 10 s" -> "pausing 10 s"; "LiteLLM" stays."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text
