"""Batches in the queue database: which jobs a provider batch holds, and each step's record.

A batch is a row whose ``stage`` names the step that comes next (:class:`BatchStage`). The
batch runner (core/batch_runner.py) commits a step's intent before it talks to the provider and
its outcome after, through the methods here, so a process killed at any point resumes where the
row says, and a step whose answer was lost is looked for on the provider's side, never repeated
blindly.

Jobs in a batch are ``running`` under a lease of their own, with ``batch_id`` set: the worker
never claims them, start-up recovery leaves them alone, and a person's cancel or re-trigger
clears their lease as for any running job, so an answer that comes back later is discarded.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from core.analyzers.base import CallResult, cut_off_message
from core.batches import (
    BATCH_COLUMNS,
    OPEN_STAGES,
    Batch,
    BatchStage,
    PlannedRequest,
    row_to_batch,
)
from core.clock import Clock
from core.db import Database, Tx
from core.errors import ProviderError
from core.job_log import LogEvent
from core.jobs import Job, Lease
from core.queries import JOB_COLUMNS, row_to_job
from core.states import OUTPUT_TRUNCATED, JobState
from core.transitions import log_line, next_seq, transition


@dataclass(frozen=True)
class Settled:
    """What settling a batch did to its jobs, for the log and the tests."""

    done: list[int]
    requeued: list[int]  # parts all back, the combining call goes to the normal queue
    failed: list[int]
    discarded: list[int]  # a person took the job away meanwhile


async def _bump(t: Tx, batch_id: int, now: float, **sets: Any) -> None:
    values = dict(sets, updated_at=now, seq=await next_seq(t))
    clauses = ", ".join(f"{k} = ?" for k in values)
    await t.all(f"UPDATE batches SET {clauses} WHERE id = ?", (*values.values(), batch_id))


class BatchQueue:
    db: Database
    clock: Clock
    _commit: Callable[..., Awaitable[Any]]  # Store's: write, then publish through the feed

    # ------------------------------------------------------------------ reading

    async def queue_id(self) -> str:
        """This queue's name in its batches' metadata: random, made once, never a path."""

        async def tx(t: Tx) -> str:
            await t.all("INSERT OR IGNORE INTO meta (key, value) VALUES ('queue_id', ?)",
                        (secrets.token_hex(8),))
            return str(await t.value("SELECT value FROM meta WHERE key = 'queue_id'"))

        result: str = await self._commit(tx)
        return result

    async def batches(self, *, open_only: bool = False) -> list[Batch]:
        """Batches, newest first, each with the number of its jobs still in it."""
        where = f"WHERE stage IN ({','.join('?' * len(OPEN_STAGES))})" if open_only else ""
        args = sorted(OPEN_STAGES) if open_only else []
        rows = await self.db.rows(
            f"SELECT {BATCH_COLUMNS}, (SELECT COUNT(*) FROM jobs WHERE jobs.batch_id = "
            f"batches.id AND jobs.state = 'running') FROM batches {where} ORDER BY id DESC",
            args,
        )
        return [row_to_batch(r[:-1], int(r[-1])) for r in rows]

    async def batch(self, batch_id: int) -> Batch | None:
        rows = await self.db.rows(
            f"SELECT {BATCH_COLUMNS}, (SELECT COUNT(*) FROM jobs WHERE jobs.batch_id = ? "
            "AND jobs.state = 'running') FROM batches WHERE id = ?",
            (batch_id, batch_id),
        )
        return row_to_batch(rows[0][:-1], int(rows[0][-1])) if rows else None

    async def batch_leases(self, batch_id: int) -> list[Lease]:
        """The jobs still running in the batch, each under its batch lease."""
        rows = await self.db.rows(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE batch_id = ? AND state = 'running' "
            "AND lease IS NOT NULL ORDER BY priority DESC, position",
            (batch_id,),
        )
        return [Lease(job, job.lease or "") for job in map(row_to_job, rows)]

    async def batch_requests(self, batch_id: int) -> list[PlannedRequest]:
        rows = await self.db.rows(
            "SELECT custom_id, job_id, idx, parts, text_sha, part_size, units "
            "FROM batch_requests WHERE batch_id = ? ORDER BY job_id, idx",
            (batch_id,),
        )
        return [PlannedRequest(*r) for r in rows]

    # ------------------------------------------------------------------ a person's doing

    async def submit_batch(
        self, ids: Collection[int] | None, *, provider: str, model: str, host: str
    ) -> Batch | None:
        """Queued jobs (``ids``, or all when None) into a new batch: running under a batch
        lease, an attempt counted as a claim counts it. None when none of them is queued."""
        now = self.clock.wall()

        async def tx(t: Tx) -> Batch | None:
            if ids is None:
                rows = await t.all(
                    "SELECT id FROM jobs WHERE state = 'queued' ORDER BY priority DESC, position"
                )
            else:
                wanted = sorted(set(ids))
                rows = await t.all(
                    f"SELECT id FROM jobs WHERE state = 'queued' AND id IN "
                    f"({','.join('?' * len(wanted))}) ORDER BY priority DESC, position",
                    wanted,
                ) if wanted else []
            if not rows:
                return None
            seq = await next_seq(t)
            batch_id = int(await t.value(
                "INSERT INTO batches (stage, step, provider, model, host, created_at, "
                "updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (str(BatchStage.PREPARING), secrets.token_hex(6), provider, model, host, now,
                 now, seq),
            ))  # fmt: skip
            for (job_id,) in rows:
                job = await transition(
                    t, int(job_id), JobState.RUNNING, [JobState.QUEUED], now=now, seq=seq,
                    sets={"started_at": now, "stale_reason": None, "not_before": None,
                          "lease": secrets.token_hex(8), "batch_id": batch_id},
                    raw=[("attempts = attempts + ?", 1)],
                )  # fmt: skip
                if job is not None:
                    await log_line(
                        t, job.id, now, f"sent to batch {batch_id} (attempt {job.attempts} of "
                        f"{job.max_attempts}): the provider answers it within 24 hours",
                        event=LogEvent.CLAIMED,
                    )  # fmt: skip
            return await _read_batch(t, batch_id)

        batch: Batch | None = await self._commit(tx)
        return batch

    async def cancel_batch(self, batch_id: int) -> Batch | None:
        """Ask for the batch to be cancelled; its runner does it (from any process)."""
        now = self.clock.wall()

        async def tx(t: Tx) -> Batch | None:
            found = await _read_batch(t, batch_id)
            if found is None or not found.open or found.cancel_requested:
                return found
            await _bump(t, batch_id, now, cancel_requested=1)
            return await _read_batch(t, batch_id)

        batch: Batch | None = await self._commit(tx)
        return batch

    # ------------------------------------------------------------------ the runner's steps

    async def batch_prepared(
        self,
        batch_id: int,
        files: Sequence[tuple[str, int, Sequence[PlannedRequest]]],
    ) -> list[int]:
        """Its request files are written: record each file's hash and requests. The first
        file stays with this batch; each further file (over the provider's limits) becomes a
        batch of its own, taking its jobs along. Returns the batches' ids, in file order."""
        now = self.clock.wall()

        async def tx(t: Tx) -> list[int]:
            base = await _read_batch(t, batch_id)
            assert base is not None
            ids: list[int] = []
            # prepared again (its file was lost): the new file's requests replace the old
            await t.all("DELETE FROM batch_requests WHERE batch_id = ?", (batch_id,))
            for n, (sha, size, requests) in enumerate(files):
                if n == 0:
                    target = batch_id
                    await _bump(t, batch_id, now, stage=str(BatchStage.UPLOADING), file_sha=sha,
                                file_bytes=size, total=len(requests), error=None)
                else:
                    target = int(await t.value(
                        "INSERT INTO batches (stage, step, provider, model, host, file_sha, "
                        "file_bytes, total, created_at, updated_at, seq) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                        (str(BatchStage.UPLOADING), secrets.token_hex(6), base.provider,
                         base.model, base.host, sha, size, len(requests), now, now,
                         await next_seq(t)),
                    ))  # fmt: skip
                    moved = sorted({r.job_id for r in requests})
                    await t.many("UPDATE jobs SET batch_id = ? WHERE id = ? AND batch_id = ?",
                                 [(target, j, batch_id) for j in moved])
                await t.many(
                    "INSERT OR REPLACE INTO batch_requests (batch_id, custom_id, job_id, idx, "
                    "parts, text_sha, part_size, units) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(target, r.custom_id, r.job_id, r.idx, r.parts, r.text_sha, r.part_size,
                      r.units) for r in requests],
                )  # fmt: skip
                ids.append(target)
            return ids

        result: list[int] = await self._commit(tx)
        return result

    async def batch_step(self, batch_id: int, stage: BatchStage | None = None,
                         **fields: Any) -> None:
        """Record a step's outcome (and the stage that comes next)."""
        now = self.clock.wall()
        if stage is not None:
            fields["stage"] = str(stage)

        async def tx(t: Tx) -> None:
            await _bump(t, batch_id, now, **fields)

        await self._commit(tx)

    async def batch_note(self, batch_id: int, line: str) -> None:
        """A line in the log of each job still in the batch."""
        now = self.clock.wall()

        async def tx(t: Tx) -> None:
            rows = await t.all(
                "SELECT id FROM jobs WHERE batch_id = ? AND state = 'running'", (batch_id,)
            )
            for (job_id,) in rows:
                await log_line(t, int(job_id), now, line)

        await self._commit(tx)

    async def give_back_batch(self, batch_id: int, why: str) -> list[int]:
        """Nothing was sent: its jobs go back to their places, the attempt refunded."""
        now = self.clock.wall()

        async def tx(t: Tx) -> list[int]:
            seq = await next_seq(t)
            back: list[int] = []
            rows = await t.all(
                "SELECT id, lease FROM jobs WHERE batch_id = ? AND state = 'running'",
                (batch_id,),
            )
            for job_id, token in rows:
                job = await transition(
                    t, int(job_id), JobState.QUEUED, [JobState.RUNNING], now=now, seq=seq,
                    lease=token, sets={"lease": None, "batch_id": None},
                    raw=[("attempts = MAX(0, attempts - ?)", 1)],
                )  # fmt: skip
                if job is not None:
                    back.append(job.id)
                    await log_line(t, job.id, now, f"back in its place: {why}",
                                   event=LogEvent.REQUEUED)
            await _bump(t, batch_id, now, stage=str(BatchStage.CANCELLED), finished_at=now,
                        error=why)
            return back

        result: list[int] = await self._commit(tx)
        return result

    async def fail_job_in_batch(self, lease: Lease, kind: str, message: str) -> None:
        """One job cannot go into the batch (its document could not be read): it fails alone."""
        now = self.clock.wall()

        async def tx(t: Tx) -> None:
            job = await transition(
                t, lease.job_id, JobState.FAILED, [JobState.RUNNING], now=now,
                seq=await next_seq(t), lease=lease.token,
                sets={"error_kind": kind, "error": message, "finished_at": now, "lease": None},
            )  # fmt: skip
            if job is not None:
                await log_line(t, job.id, now, f"failed ({kind}): {message}",
                               event=LogEvent.FAILED)

        await self._commit(tx)

    async def settle_batch(
        self,
        batch_id: int,
        answers: Mapping[str, CallResult],
        errors: Mapping[str, ProviderError],
        *,
        engine: str,
        follow_up: bool = False,
    ) -> Settled:
        """Every job of a finished batch, in one transaction with the batch's end.

        A job whose only call was answered (one part, or its combining call) is done. A job
        of several parts has each answered part stored, as the worker checkpoints them; once
        all its parts are back its combining call goes to a follow-up batch (``follow_up``)
        or back to its place in the queue as a normal call (the worker keeps stored parts of
        the same cut). A job with a refused request fails with that request's kind, its
        answered parts kept, so a re-trigger pays only for the rest. A job a person took away
        meanwhile keeps what they decided.
        """
        now = self.clock.wall()

        async def tx(t: Tx) -> Settled:
            seq = await next_seq(t)
            requests = [PlannedRequest(*r) for r in await t.all(
                "SELECT custom_id, job_id, idx, parts, text_sha, part_size, units "
                "FROM batch_requests WHERE batch_id = ? ORDER BY job_id, idx", (batch_id,))]
            by_job: dict[int, list[PlannedRequest]] = {}
            for request in requests:
                by_job.setdefault(request.job_id, []).append(request)
            settle = _Settle(t, batch_id, answers, errors, engine, now, seq, follow_up)
            for job_id, mine in by_job.items():
                await settle.job(job_id, mine)
            await _bump(t, batch_id, now, stage=str(BatchStage.FINISHED), finished_at=now)
            return settle.outcome

        result: Settled = await self._commit(tx)
        return result


async def _read_batch(t: Tx, batch_id: int) -> Batch | None:
    row = await t.one(
        f"SELECT {BATCH_COLUMNS}, (SELECT COUNT(*) FROM jobs WHERE batch_id = ? AND "
        "state = 'running') FROM batches WHERE id = ?", (batch_id, batch_id))
    return row_to_batch(row[:-1], int(row[-1])) if row else None


@dataclass
class _Settle:
    """One finished batch's jobs, settled inside its transaction."""

    t: Tx
    batch_id: int
    answers: Mapping[str, CallResult]
    errors: Mapping[str, ProviderError]
    engine: str
    now: float
    seq: int
    follow_up: bool
    outcome: Settled = field(default_factory=lambda: Settled([], [], [], []))
    next_batch: int | None = None  # the follow-up batch, made for the first job that needs it

    async def job(self, job_id: int, mine: list[PlannedRequest]) -> None:
        t, now = self.t, self.now
        row = await t.one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        job = row_to_job(row) if row else None
        token = _lease_of(mine[0].custom_id)
        if job is None or job.lease != token or job.state != JobState.RUNNING:
            if job is not None:
                await log_line(t, job_id, now, f"answer of batch {self.batch_id} discarded: "
                               "the job was cancelled or re-triggered meanwhile",
                               event=LogEvent.DISCARDED)
            self.outcome.discarded.append(job_id)
            return
        got = [(r, self.answers.get(r.custom_id)) for r in mine]
        answered = [(r, a) for r, a in got if a is not None]
        tokens = sum(a.prompt_tokens + a.completion_tokens for _, a in answered)
        counts = [
            ("prompt_tokens = prompt_tokens + ?", sum(a.prompt_tokens for _, a in answered)),
            ("completion_tokens = completion_tokens + ?",
             sum(a.completion_tokens for _, a in answered)),
            ("batch_tokens = batch_tokens + ?", tokens),
        ]
        parts = mine[0].parts
        final = [(r, a) for r, a in answered if parts == 1 or r.idx == parts]
        if final and len(answered) == len(mine):
            await self._done(job, final[0][0], final[0][1], counts)
            return
        for request, answer in answered:
            await _store_part(t, job_id, request, answer, now)
        back = int(await t.value(
            "SELECT COUNT(*) FROM parts WHERE job_id = ? AND state = 'done' AND idx < ?",
            (job_id, parts)))  # fmt: skip
        missing = [r for r, a in got if a is None]
        if missing:
            error = next((self.errors[r.custom_id] for r in missing
                          if r.custom_id in self.errors), None)
            await self._failed(job, error, back if parts > 1 else 0, counts)
            return
        if self.follow_up:
            await self._to_follow_up(job, back, counts)
            return
        moved = await transition(
            t, job_id, JobState.QUEUED, [JobState.RUNNING], now=now, seq=self.seq, lease=token,
            sets={"lease": None, "batch_id": None, "parts_done": back,
                  "parts_planned": parts + 1},
            raw=[*counts, ("attempts = MAX(0, attempts - ?)", 1)],
        )  # fmt: skip
        assert moved is not None
        await log_line(t, job_id, now, f"all {back} parts back from batch {self.batch_id}; "
                       "the combining call waits in the queue as a normal call",
                       event=LogEvent.PART_DONE)
        self.outcome.requeued.append(job_id)

    async def _done(self, job: Job, request: PlannedRequest, answer: CallResult,
                    counts: list[tuple[str, int]]) -> None:
        t, now = self.t, self.now
        cut = cut_off_message([(answer, "the combining call" if request.parts > 1 else "")]
                              if answer.cut_off else [])
        done = await transition(
            t, job.id, JobState.DONE, [JobState.RUNNING], now=now, seq=self.seq,
            lease=job.lease,
            sets={"result": answer.text, "finished_at": now, "lease": None, "not_before": None,
                  "error_kind": OUTPUT_TRUNCATED if cut else None, "error": cut},
            raw=[*counts,
                 ("units = CASE WHEN units = 0 THEN ? ELSE units END", request.units),
                 ("parts_planned = MAX(parts_planned, ?)", 1),
                 ("parts_done = MAX(parts_planned, ?)", 1)],
        )  # fmt: skip
        assert done is not None
        await t.all("INSERT INTO calls (engine, units, duration_s, at) VALUES (?, ?, 0, ?)",
                    (f"{self.engine}:batch", request.units, now))
        line = (f"done by batch {self.batch_id}: {done.tokens:,} tokens in all "
                f"({done.prompt_tokens:,} sent, {done.completion_tokens:,} received)")
        if cut:
            line = f"done by batch {self.batch_id}, but cut off: {cut}"
        await log_line(t, job.id, now, line, event=LogEvent.DONE)
        self.outcome.done.append(job.id)

    async def _failed(self, job: Job, error: ProviderError | None, back: int,
                      counts: list[tuple[str, int]]) -> None:
        kind = error.kind if error else "batch_failed"
        message = error.message if error else "The batch ended without an answer for it."
        failed = await transition(
            self.t, job.id, JobState.FAILED, [JobState.RUNNING], now=self.now, seq=self.seq,
            lease=job.lease,
            sets={"error_kind": kind, "error": message, "finished_at": self.now, "lease": None,
                  "parts_done": back},
            raw=counts,
        )  # fmt: skip
        assert failed is not None
        kept = f"; {back} parts answered and kept" if back else ""
        await log_line(self.t, job.id, self.now,
                       f"failed in batch {self.batch_id} ({kind}){kept}: {message}",
                       event=LogEvent.FAILED)
        self.outcome.failed.append(job.id)

    async def _to_follow_up(self, job: Job, back: int, counts: list[tuple[str, int]]) -> None:
        t, now = self.t, self.now
        if self.next_batch is None:
            base = await _read_batch(t, self.batch_id)
            assert base is not None
            self.next_batch = int(await t.value(
                "INSERT INTO batches (stage, step, provider, model, host, created_at, "
                "updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (str(BatchStage.PREPARING), secrets.token_hex(6), base.provider, base.model,
                 base.host, now, now, self.seq),
            ))  # fmt: skip
        # Not a change of state (it stays running, now in the next batch): a new lease, so
        # an answer meant for the old one could never settle it.
        await t.all(
            "UPDATE jobs SET lease = ?, batch_id = ?, parts_done = ?, parts_planned = ?, "
            + ", ".join(clause for clause, _ in counts)
            + ", seq = ?, updated_at = ? WHERE id = ? AND lease = ?",
            (secrets.token_hex(8), self.next_batch, back, back + 1,
             *(value for _, value in counts), self.seq, now, job.id, job.lease),
        )  # fmt: skip
        await log_line(t, job.id, now, f"all {back} parts back from batch {self.batch_id}; "
                       f"the combining call goes in batch {self.next_batch}",
                       event=LogEvent.PART_DONE)
        self.outcome.requeued.append(job.id)


async def _store_part(t: Tx, job_id: int, request: PlannedRequest, answer: CallResult,
                      now: float) -> None:
    """An answered part, stored as the worker checkpoints one."""
    await t.all(
        "INSERT INTO parts (job_id, idx, state, result, prompt_tokens, completion_tokens, "
        "started_at, finished_at, duration_s, text_sha, part_size) "
        "VALUES (?, ?, 'done', ?, ?, ?, ?, ?, 0, ?, ?) ON CONFLICT(job_id, idx) DO UPDATE "
        "SET state = 'done', result = excluded.result, prompt_tokens = "
        "excluded.prompt_tokens, completion_tokens = excluded.completion_tokens, "
        "finished_at = excluded.finished_at, text_sha = excluded.text_sha, "
        "part_size = excluded.part_size",
        (job_id, request.idx, answer.text, answer.prompt_tokens, answer.completion_tokens,
         now, now, request.text_sha, request.part_size),
    )  # fmt: skip


def _lease_of(custom_id: str) -> str:
    return custom_id.rsplit("-", 1)[-1]
