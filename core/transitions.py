"""The one place a job's state is written, inside a transaction someone else opened.

Every (old, new) pair is checked against the table in :mod:`core.states`; the guard on the old
state (and, for a worker's write, on its lease) is in the UPDATE itself, so a change committed by
another process is never overwritten. Every write takes the next ``seq``, which the change feed
reads to tell every process what changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.db import Tx
from core.job_log import LogEvent
from core.jobs import Job
from core.queries import JOB_COLUMNS, row_to_job
from core.states import JobState, check_transition


async def next_seq(tx: Tx) -> int:
    """The sequence number of this transaction (one per transaction is enough: writers are
    serialised by BEGIN IMMEDIATE, so seq order is commit order)."""
    tx.took_seq = True
    return int(
        await tx.value(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        )
    )


async def log_line(
    tx: Tx, job_id: int, at: float, message: str, *, event: LogEvent = LogEvent.NOTE
) -> None:
    """A line in the job's log, in the transaction of the event it tells of."""
    await tx.all(
        "INSERT INTO job_log (job_id, at, event, message) VALUES (?, ?, ?, ?)",
        (job_id, at, str(event), message),
    )


async def transition(
    tx: Tx,
    job_id: int,
    new: JobState,
    allowed_from: Iterable[JobState],
    *,
    now: float,
    seq: int,
    sets: dict[str, Any] | None = None,
    raw: Iterable[tuple[str, Any]] = (),
    lease: str | None = None,
) -> Job | None:
    """Move one job to ``new`` if it is in one of ``allowed_from`` (and, with ``lease``, still
    holds that lease); return the new row, or None if the guard did not match.

    ``raw`` adds ``(clause, argument)`` pairs for values computed from the row itself, such as
    ``("attempts = attempts + ?", 1)``.
    """
    allowed = [str(s) for s in allowed_from]
    for old in allowed:
        check_transition(job_id, JobState(old), new)
    values = dict(sets or {})
    values.update(state=str(new), updated_at=now, seq=seq)
    clauses = [f"{k} = ?" for k in values]
    args: list[Any] = list(values.values())
    for clause, arg in raw:
        clauses.append(clause)
        args.append(arg)
    where = f"id = ? AND state IN ({','.join('?' * len(allowed))})"
    args += [job_id, *allowed]
    if lease is not None:
        where += " AND lease = ?"
        args.append(lease)
    row = await tx.one(
        f"UPDATE jobs SET {', '.join(clauses)} WHERE {where} RETURNING {JOB_COLUMNS}", args
    )
    return row_to_job(row) if row else None


