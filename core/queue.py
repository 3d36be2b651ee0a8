"""The job queue as the worker sees it: a claim is a lease, and every worker write names it.

Claiming a job gives it a fresh token (the lease). Cancel, re-trigger and remove clear the
token from any process (see :mod:`core.queue_edits`). A worker write (a call's start, a part's
checkpoint, the result, an error, a requeue) runs only while the job still holds the worker's
token; otherwise nothing is written but a line in the job's log, and :class:`LeaseRevoked`
tells the worker what happened, so a late answer can never overwrite a person's decision.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from core.changes import QueueMeta
from core.clock import Clock, clock_time
from core.db import Database, Tx
from core.errors import LeaseRevoked
from core.job_log import LogEvent, duration_words
from core.jobs import Job, Lease
from core.queries import JOB_COLUMNS, PartRecord, row_to_job
from core.states import OUTPUT_TRUNCATED, JobState
from core.transitions import log_line, next_seq, transition
from core.waits import UPSERT_META, StoredWait, write_backoff, write_last_call

T = TypeVar("T")

# Wall-clock slack when comparing a job's stored "not before" with now (float rounding).
NOT_BEFORE_SLACK_S = 0.001


@dataclass(frozen=True)
class PartPlan:
    """How a job's document was cut: one entry per call, the combining call last."""

    text_sha: str
    part_size: int


@dataclass(frozen=True)
class _Refused:
    what: str


class Leases:
    db: Database
    clock: Clock
    _commit: Callable[..., Awaitable[Any]]  # Store's: write, then publish through the feed

    # ------------------------------------------------------------------ claims

    async def claim_next(self, exclude: Collection[int] = ()) -> Lease | None:
        """Claim the next queued job by (priority, position): queued -> running, attempts += 1.

        ``exclude`` names jobs this worker still has a task for (a revoked one winding down),
        so the same job is never in two of its tasks at once.
        """
        now = self.clock.wall()

        async def tx(t: Tx) -> Lease | None:
            return await _claim(t, now, exclude)

        lease: Lease | None = await self._commit(tx)
        return lease

    async def next_not_before(self) -> float | None:
        """The earliest wall time a queued job that waits out its own retry may be claimed."""
        rows = await self.db.rows(
            "SELECT MIN(not_before) FROM jobs WHERE state = 'queued' AND not_before IS NOT NULL"
        )
        return float(rows[0][0]) if rows and rows[0][0] is not None else None

    # ------------------------------------------------------------------ worker writes

    async def _leased(
        self,
        lease: Lease,
        fn: Callable[[Tx, float], Awaitable[T]],
        *,
        answer: bool = False,
        backoff: StoredWait | None = None,
    ) -> T:
        """Run ``fn`` in one transaction if ``lease`` still holds; else log and refuse.

        A ``backoff`` (a server's Retry-After, or the backoff after a failed call) belongs to
        the queue, not to the job: it is stored in the same commit either way.
        """
        now = self.clock.wall()

        async def tx(t: Tx) -> T | _Refused:
            if backoff is not None:
                await write_backoff(
                    t, backoff.until, backoff.kind, backoff.reason, backoff.failures,
                    backoff.since,
                )
            row = await t.one(
                "SELECT state, lease, updated_at FROM jobs WHERE id = ?", (lease.job_id,)
            )
            if row is None:
                return _Refused("the job was removed")
            state, token, updated = row
            if token != lease.token:
                what = _what_happened(JobState(state), float(updated))
                if answer:
                    await log_line(t, lease.job_id, now, f"answer discarded: {what}",
                                   event=LogEvent.DISCARDED)
                return _Refused(what)
            return await fn(t, now)

        result = await self._commit(tx)
        if isinstance(result, _Refused):
            raise LeaseRevoked(lease.job_id, result.what)
        return result  # type: ignore[no-any-return]

    async def plan(
        self, lease: Lease, parts: Sequence[PartPlan], units: int
    ) -> dict[int, PartRecord]:
        """Commit the job's plan; return its finished parts that still match it.

        A part is reused only if it was cut the same way (same text hash and part size at the
        same index); stored parts of another split are discarded, and the log says so.
        """

        async def fn(t: Tx, now: float) -> dict[int, PartRecord]:
            rows = await t.all(
                "SELECT idx, state, result, prompt_tokens, completion_tokens, text_sha, "
                "part_size FROM parts WHERE job_id = ?",
                (lease.job_id,),
            )
            keep: dict[int, PartRecord] = {}
            stale: list[int] = []
            for row in rows:
                part = PartRecord(*row)
                wanted = parts[part.idx] if part.idx < len(parts) else None
                matches = wanted is not None and (part.text_sha, part.part_size) == (
                    wanted.text_sha,
                    wanted.part_size,
                )
                if not matches:
                    stale.append(part.idx)
                elif part.state == "done" and part.result is not None:
                    keep[part.idx] = part
            if stale:
                await t.many(
                    "DELETE FROM parts WHERE job_id = ? AND idx = ?",
                    [(lease.job_id, i) for i in stale],
                )
                done_stale = sum(1 for r in rows if r[0] in stale and r[1] == "done")
                if done_stale:
                    await log_line(
                        t, lease.job_id, now,
                        f"the document is now cut differently ({len(parts)} calls); "
                        f"{done_stale} stored part(s) of the earlier split no longer match "
                        "and will be sent again",
                    )  # fmt: skip
            await t.all(
                "UPDATE jobs SET parts_planned = ?, parts_done = ?, units = ?, seq = ?, "
                "updated_at = ? WHERE id = ?",
                (len(parts), len(keep), units, await next_seq(t), now, lease.job_id),
            )
            return keep

        return await self._leased(lease, fn)

    async def note(
        self, lease: Lease, lines: Sequence[str], event: LogEvent = LogEvent.NOTE
    ) -> None:
        """Lines for the job's log, e.g. what reading the document noticed."""

        async def fn(t: Tx, now: float) -> None:
            for line in lines:
                await log_line(t, lease.job_id, now, line, event=event)

        await self._leased(lease, fn)

    async def set_doubt(self, lease: Lease, doubt: str | None) -> None:
        """Why the job's text looks garbled (None: it does not), shown in the window."""

        async def fn(t: Tx, now: float) -> None:
            await t.all(
                "UPDATE jobs SET doubt = ?, seq = ?, updated_at = ? WHERE id = ?",
                (doubt, await next_seq(t), now, lease.job_id),
            )
            if doubt:
                await log_line(t, lease.job_id, now, f"the text looks garbled: {doubt}")

        await self._leased(lease, fn)

    async def call_started(
        self, lease: Lease, idx: int, part: PartPlan, *, note: str, paced: bool,
        via: tuple[str, str, str] | None = None,
    ) -> None:
        """Committed before a paid call is sent: a crash after this makes the job stale.

        For a paced call the queue's ``last_call`` is stored with it: the pause between calls
        counts from it in any worker that starts later. ``via`` (provider, model, host) is
        where this call goes, written into the job's record: settings may have changed since
        the job was added, and the record must say where the document really went.
        """

        async def fn(t: Tx, now: float) -> None:
            await t.all(
                "INSERT INTO parts (job_id, idx, state, started_at, text_sha, part_size) "
                "VALUES (?, ?, 'started', ?, ?, ?) ON CONFLICT(job_id, idx) DO UPDATE SET "
                "state = 'started', started_at = excluded.started_at, "
                "text_sha = excluded.text_sha, part_size = excluded.part_size",
                (lease.job_id, idx, now, part.text_sha, part.part_size),
            )
            if paced:
                await write_last_call(t, now)
            if via is not None:
                await t.all(
                    "UPDATE jobs SET provider = ?, model = ?, host = ? WHERE id = ? AND "
                    "(provider, model, host) IS NOT (?, ?, ?)",
                    (*via, lease.job_id, *via),
                )
            await log_line(t, lease.job_id, now, note, event=LogEvent.CALL_STARTED)

        await self._leased(lease, fn)

    async def save_part(
        self,
        lease: Lease,
        idx: int,
        result: str,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        duration_s: float,
        engine: str,
        units: int,
        label: str,
    ) -> Job:
        """A finished part and the job's progress, committed together; ``label`` names the
        part in the log ("part 2 of 5")."""

        async def fn(t: Tx, now: float) -> Job:
            await t.all(
                "UPDATE parts SET state = 'done', result = ?, prompt_tokens = ?, "
                "completion_tokens = ?, finished_at = ?, duration_s = ? "
                "WHERE job_id = ? AND idx = ?",
                (result, prompt_tokens, completion_tokens, now, duration_s, lease.job_id, idx),
            )
            await _record_call(t, engine, units, duration_s, now)
            await write_backoff(t, None, None, None, 0)
            row = await t.one(
                "UPDATE jobs SET parts_done = (SELECT COUNT(*) FROM parts WHERE job_id = ? "
                "AND state = 'done'), prompt_tokens = prompt_tokens + ?, "
                "completion_tokens = completion_tokens + ?, duration_s = duration_s + ?, "
                f"seq = ?, updated_at = ? WHERE id = ? AND lease = ? RETURNING {JOB_COLUMNS}",
                (lease.job_id, prompt_tokens, completion_tokens, duration_s,
                 await next_seq(t), now, lease.job_id, lease.token),
            )  # fmt: skip
            job = row_to_job(row) if row else None
            assert job is not None  # the lease was checked in this transaction
            await log_line(t, lease.job_id, now,
                           _part_done(label, prompt_tokens, completion_tokens, duration_s),
                           event=LogEvent.PART_DONE)  # fmt: skip
            return job

        return await self._leased(lease, fn, answer=True)

    async def finish_done(
        self,
        lease: Lease,
        result: str,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        duration_s: float = 0.0,
        engine: str = "",
        units: int = 0,
        claim_next: bool = False,
        exclude: Collection[int] = (),
        output_truncated: str | None = None,
        label: str | None = None,
    ) -> Lease | None:
        """The final result and ``done`` in one transaction; returns the next job's lease if
        ``claim_next`` (claimed in the same commit, which halves a busy queue's commits).

        ``output_truncated`` is the message for an answer cut at the output limit: the job is
        done (the answer is kept and was paid for) but carries the kind ``output_truncated``
        and the message, so lists, filters and re-triggers by kind find it. ``label`` names
        the final call of a job of several ("the combining call") for its own line in the log.
        """
        kind = OUTPUT_TRUNCATED if output_truncated else None

        async def fn(t: Tx, now: float) -> Lease | None:
            job = await transition(
                t, lease.job_id, JobState.DONE, [JobState.RUNNING], now=now,
                seq=await next_seq(t), lease=lease.token,
                sets={"result": result, "finished_at": now, "error_kind": kind,
                      "error": output_truncated, "lease": None, "not_before": None},
                raw=[
                    ("prompt_tokens = prompt_tokens + ?", prompt_tokens),
                    ("completion_tokens = completion_tokens + ?", completion_tokens),
                    ("duration_s = duration_s + ?", duration_s),
                    ("units = CASE WHEN units = 0 THEN ? ELSE units END", units),
                    ("parts_planned = MAX(parts_planned, ?)", 1),
                    ("parts_done = MAX(parts_planned, ?)", 1),
                ],
            )  # fmt: skip
            assert job is not None
            if engine:
                await _record_call(t, engine, units, duration_s, now)
            # the final call's start marker is settled with the result
            await t.all(
                "UPDATE parts SET state = 'done', finished_at = ? "
                "WHERE job_id = ? AND state = 'started'",
                (now, lease.job_id),
            )
            await write_backoff(t, None, None, None, 0)
            if label:
                await log_line(t, lease.job_id, now,
                               _part_done(label, prompt_tokens, completion_tokens, duration_s),
                               event=LogEvent.PART_DONE)  # fmt: skip
            await log_line(t, lease.job_id, now, _done_line(job, now, output_truncated),
                           event=LogEvent.DONE)  # fmt: skip
            return await _claim(t, now, {*exclude, lease.job_id}) if claim_next else None

        return await self._leased(lease, fn, answer=True)

    async def fail(
        self, lease: Lease, kind: str, message: str, *, note: str, backoff: StoredWait | None = None
    ) -> Job:
        """running -> failed: a permanent error, or its attempts are used up."""

        async def fn(t: Tx, now: float) -> Job:
            job = await transition(
                t, lease.job_id, JobState.FAILED, [JobState.RUNNING], now=now,
                seq=await next_seq(t), lease=lease.token,
                sets={"error_kind": kind, "error": message, "finished_at": now, "lease": None},
            )  # fmt: skip
            assert job is not None
            await log_line(t, lease.job_id, now, note, event=LogEvent.FAILED)
            return job

        return await self._leased(lease, fn, backoff=backoff)

    async def requeue(
        self,
        lease: Lease,
        kind: str | None,
        message: str | None,
        *,
        note: str | None = None,
        refund_attempt: bool = False,
        backoff: StoredWait | None = None,
        pause: QueueMeta | None = None,
        event: LogEvent = LogEvent.RETRIED,
    ) -> Job:
        """running -> queued keeping its position, so it is the next one claimed.

        With ``backoff`` the wait is stored as the job's and the queue's "not before"; with
        ``pause`` the queue is paused in the same commit (a stop-the-queue error). ``note`` is
        the log's line for it, as ``event``.
        """

        async def fn(t: Tx, now: float) -> Job:
            sets: dict[str, Any] = {"error_kind": kind, "error": message, "lease": None}
            if backoff is not None:
                sets["not_before"] = backoff.until
            job = await transition(
                t, lease.job_id, JobState.QUEUED, [JobState.RUNNING], now=now,
                seq=await next_seq(t), lease=lease.token, sets=sets,
                raw=[("attempts = MAX(0, attempts - ?)", 1 if refund_attempt else 0)],
            )  # fmt: skip
            assert job is not None
            if pause is not None:
                await t.many(
                    UPSERT_META,
                    [("paused", "1"), ("pause_reason", pause.pause_reason or ""),
                     ("pause_kind", pause.pause_kind or "")],
                )  # fmt: skip
            if note:
                await log_line(t, lease.job_id, now, note, event=event)
            return job

        return await self._leased(lease, fn, backoff=backoff)

    async def give_back(self, lease: Lease, note: str | None = None) -> Job:
        """Nothing was spent on it: back to its place, the attempt refunded, errors kept."""
        job = lease.job
        return await self.requeue(
            lease, job.error_kind, job.error, note=note, refund_attempt=True,
            event=LogEvent.REQUEUED,
        )

    async def mark_stale(self, lease: Lease, reason: str) -> Job:
        """running -> stale: the worker must stop while a paid answer could not be saved."""

        async def fn(t: Tx, now: float) -> Job:
            job = await transition(
                t, lease.job_id, JobState.STALE, [JobState.RUNNING], now=now,
                seq=await next_seq(t), lease=lease.token,
                sets={"stale_reason": reason, "finished_at": now, "lease": None},
            )  # fmt: skip
            assert job is not None
            await log_line(t, lease.job_id, now, f"marked stale: {reason}",
                           event=LogEvent.STALE)
            return job

        return await self._leased(lease, fn)


async def _claim(t: Tx, now: float, exclude: Collection[int]) -> Lease | None:
    skip = sorted(exclude)
    marks = ",".join("?" * len(skip))
    row = await t.one(
        "SELECT id FROM jobs WHERE state = 'queued' "
        "AND (not_before IS NULL OR not_before <= ?) "
        + (f"AND id NOT IN ({marks}) " if skip else "")
        + "ORDER BY priority DESC, position LIMIT 1",
        (now + NOT_BEFORE_SLACK_S, *skip),
    )
    if row is None:
        return None
    token = secrets.token_hex(8)
    job = await transition(
        t, int(row[0]), JobState.RUNNING, [JobState.QUEUED], now=now, seq=await next_seq(t),
        sets={"started_at": now, "stale_reason": None, "lease": token, "not_before": None,
              "batch_id": None},
        raw=[("attempts = attempts + ?", 1)],
    )  # fmt: skip
    if job is None:
        return None
    await log_line(t, job.id, now, f"claimed (attempt {job.attempts} of {job.max_attempts})",
                   event=LogEvent.CLAIMED)
    return Lease(job, token)


def _what_happened(state: JobState, updated: float) -> str:
    at = clock_time(updated)
    if state == JobState.CANCELLED:
        return f"the job was cancelled at {at}"
    if state == JobState.QUEUED:
        return f"the job was re-triggered at {at}"
    if state == JobState.RUNNING:  # taken away, then claimed again under a new lease
        return f"the job was re-triggered and started again at {at}"
    return f"the job became {state} at {at}"


def _part_done(label: str, prompt_tokens: int, completion_tokens: int, duration_s: float) -> str:
    return (
        f"{label} done: {prompt_tokens:,} tokens sent, {completion_tokens:,} received, "
        f"in {duration_words(duration_s)}"
    )


def _done_line(job: Job, now: float, cut_off: str | None) -> str:
    """The job's totals: tokens and call time of all its calls, and its time since the claim."""
    figures = (
        f"{job.tokens:,} tokens in all ({job.prompt_tokens:,} sent, "
        f"{job.completion_tokens:,} received), calls took {duration_words(job.duration_s)}"
    )
    if job.started_at is not None:
        figures += f", {duration_words(max(0.0, now - job.started_at))} from claim to done"
    return f"done, but cut off: {cut_off}; {figures}" if cut_off else f"done: {figures}"


async def _record_call(t: Tx, engine: str, units: int, duration_s: float, now: float) -> None:
    await t.all(
        "INSERT INTO calls (engine, units, duration_s, at) VALUES (?, ?, ?, ?)",
        (engine, units, duration_s, now),
    )
