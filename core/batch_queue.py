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
from dataclasses import dataclass
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
from core.jobs import Lease
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
    ) -> Settled:
        """Every job of a finished batch, in one transaction with the batch's end.

        A job whose requests were all answered is done (one part), or has its parts stored
        and goes back to its place in the queue, where the worker makes only the combining
        call (it keeps stored parts of the same cut). A job with a refused request fails with
        that request's kind; its answered parts are stored, so a re-trigger pays only for the
        rest. A job a person took away meanwhile keeps what they decided.
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
            outcome = Settled([], [], [], [])
            for job_id, mine in by_job.items():
                await _settle_job(t, batch_id, job_id, mine, answers, errors, engine, now, seq,
                                  outcome)
            await _bump(t, batch_id, now, stage=str(BatchStage.FINISHED), finished_at=now)
            return outcome

        result: Settled = await self._commit(tx)
        return result


async def _read_batch(t: Tx, batch_id: int) -> Batch | None:
    row = await t.one(
        f"SELECT {BATCH_COLUMNS}, (SELECT COUNT(*) FROM jobs WHERE batch_id = ? AND "
        "state = 'running') FROM batches WHERE id = ?", (batch_id, batch_id))
    return row_to_batch(row[:-1], int(row[-1])) if row else None


async def _settle_job(
    t: Tx,
    batch_id: int,
    job_id: int,
    mine: list[PlannedRequest],
    answers: Mapping[str, CallResult],
    errors: Mapping[str, ProviderError],
    engine: str,
    now: float,
    seq: int,
    outcome: Settled,
) -> None:
    row = await t.one(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
    job = row_to_job(row) if row else None
    token = _lease_of(mine[0].custom_id)
    if job is None or job.lease != token or job.state != JobState.RUNNING:
        if job is not None:
            await log_line(t, job_id, now, f"answer of batch {batch_id} discarded: the job "
                           "was cancelled or re-triggered meanwhile", event=LogEvent.DISCARDED)
        outcome.discarded.append(job_id)
        return
    got = [(r, answers.get(r.custom_id)) for r in mine]
    refused = [errors[r.custom_id] for r in mine if r.custom_id in errors
               and r.custom_id not in answers]
    prompt = sum(a.prompt_tokens for _, a in got if a is not None)
    completion = sum(a.completion_tokens for _, a in got if a is not None)
    cut = [(a, f"part {r.idx + 1} of {r.parts}" if r.parts > 1 else "")
           for r, a in got if a is not None and a.cut_off]
    single = mine[0].parts == 1
    if single and not refused and got[0][1] is not None:
        answer = got[0][1]
        truncated = cut_off_message(cut)
        done = await transition(
            t, job_id, JobState.DONE, [JobState.RUNNING], now=now, seq=seq, lease=token,
            sets={"result": answer.text, "finished_at": now, "lease": None, "not_before": None,
                  "error_kind": OUTPUT_TRUNCATED if truncated else None, "error": truncated},
            raw=[("prompt_tokens = prompt_tokens + ?", prompt),
                 ("completion_tokens = completion_tokens + ?", completion),
                 ("batch_tokens = batch_tokens + ?", prompt + completion),
                 ("units = CASE WHEN units = 0 THEN ? ELSE units END", mine[0].units),
                 ("parts_planned = MAX(parts_planned, ?)", 1),
                 ("parts_done = MAX(parts_planned, ?)", 1)],
        )  # fmt: skip
        assert done is not None
        await t.all("INSERT INTO calls (engine, units, duration_s, at) VALUES (?, ?, 0, ?)",
                    (f"{engine}:batch", mine[0].units, now))
        line = (f"done by batch {batch_id}: {done.tokens:,} tokens in all "
                f"({done.prompt_tokens:,} sent, {done.completion_tokens:,} received)")
        if truncated:
            line = f"done by batch {batch_id}, but cut off: {truncated}"
        await log_line(t, job_id, now, line, event=LogEvent.DONE)
        outcome.done.append(job_id)
        return
    # Several parts, or a refusal: keep every answered part, as the worker checkpoints them.
    for request, answer in got:
        if answer is None:
            continue
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
    answered = sum(1 for _, a in got if a is not None)
    counts = [("prompt_tokens = prompt_tokens + ?", prompt),
              ("completion_tokens = completion_tokens + ?", completion),
              ("batch_tokens = batch_tokens + ?", prompt + completion)]
    if refused or answered < len(mine):
        error = refused[0] if refused else None
        kind = error.kind if error else "batch_failed"
        message = error.message if error else "The batch ended without an answer for it."
        failed = await transition(
            t, job_id, JobState.FAILED, [JobState.RUNNING], now=now, seq=seq, lease=token,
            sets={"error_kind": kind, "error": message, "finished_at": now, "lease": None,
                  "parts_done": answered if not single else 0},
            raw=counts,
        )  # fmt: skip
        assert failed is not None
        kept = f"; {answered} of {len(mine)} parts answered and kept" if answered else ""
        await log_line(t, job_id, now, f"failed in batch {batch_id} ({kind}){kept}: {message}",
                       event=LogEvent.FAILED)
        outcome.failed.append(job_id)
        return
    # Every part back: the combining call runs as a normal call, first in the queue's order.
    back = await transition(
        t, job_id, JobState.QUEUED, [JobState.RUNNING], now=now, seq=seq, lease=token,
        sets={"lease": None, "batch_id": None, "parts_done": answered,
              "parts_planned": mine[0].parts + 1},
        raw=[*counts, ("attempts = MAX(0, attempts - ?)", 1)],
    )  # fmt: skip
    assert back is not None
    await log_line(t, job_id, now, f"all {answered} parts back from batch {batch_id}; the "
                   "combining call waits in the queue as a normal call", event=LogEvent.PART_DONE)
    outcome.requeued.append(job_id)


def _lease_of(custom_id: str) -> str:
    return custom_id.rsplit("-", 1)[-1]
