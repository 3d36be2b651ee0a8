"""What the window and the command line read: jobs, counts, totals, logs. Never a write."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from core.db import Database
from core.job_log import LogEntry, LogEvent
from core.jobs import Job
from core.states import ALL_STATES, JobState

JOB_COLUMNS = (
    "id, path, size, mtime, sha256, profile, prompt, provider, model, state, position, priority, "
    "attempts, max_attempts, created_at, updated_at, started_at, finished_at, parts_done, "
    "parts_planned, units, prompt_tokens, completion_tokens, duration_s, result, error_kind, "
    "error, stale_reason, lease, not_before, seq, added_seq, doubt, doubt_accepted, host, batch_id"
)
SEQ_COLUMN, ADDED_SEQ_COLUMN = 30, 31


def row_to_job(row: Sequence[Any]) -> Job:
    return Job(
        id=row[0], path=row[1], size=row[2], mtime=row[3], sha256=row[4], profile=row[5],
        prompt=row[6], provider=row[7], model=row[8], state=JobState(row[9]), position=row[10],
        priority=row[11], attempts=row[12], max_attempts=row[13], created_at=row[14],
        updated_at=row[15], started_at=row[16], finished_at=row[17], parts_done=row[18],
        parts_planned=row[19], units=row[20], prompt_tokens=row[21], completion_tokens=row[22],
        duration_s=row[23], result=row[24], error_kind=row[25], error=row[26],
        stale_reason=row[27], lease=row[28], not_before=row[29], doubt=row[32],
        doubt_accepted=bool(row[33]), host=row[34], batch_id=row[35],
    )  # fmt: skip


def _event(name: str) -> LogEvent | str:
    try:
        return LogEvent(name)
    except ValueError:
        return name  # written by a newer Paceline: shown as it is


@dataclass(frozen=True)
class PartRecord:
    idx: int
    state: str
    result: str | None
    prompt_tokens: int
    completion_tokens: int
    text_sha: str | None = None
    part_size: int | None = None


class Queries:
    """Read-only queries over the jobs database."""

    db: Database

    async def _jobs(self, sql: str, args: Sequence[Any] = ()) -> list[Job]:
        return [row_to_job(r) for r in await self.db.rows(sql, args)]

    async def get(self, job_id: int) -> Job | None:
        jobs = await self._jobs(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return jobs[0] if jobs else None

    async def list_jobs(
        self,
        state: JobState | None = None,
        *,
        limit: int | None = None,
        offset: int = 0,
        error_kind: str | None = None,
    ) -> list[Job]:
        where: list[str] = []
        args: list[Any] = []
        if state is not None:
            where.append("state = ?")
            args.append(str(state))
        if error_kind is not None:
            where.append("error_kind = ?")
            args.append(error_kind)
        sql = f"SELECT {JOB_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY id"
        if limit is not None:
            sql += " LIMIT ? OFFSET ?"
            args += [limit, offset]
        return await self._jobs(sql, args)

    async def queued_in_order(self) -> list[Job]:
        """Running jobs, then queued ones in the order the worker claims them."""
        return await self._jobs(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') "
            "ORDER BY state = 'running' DESC, priority DESC, position"
        )

    async def history_page(self, limit: int, before_id: int | None = None) -> list[Job]:
        """Jobs that are neither queued nor running, newest first, with ids below ``before_id``.

        Paging by id (not offset) stays right while jobs are added and removed.
        """
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE state NOT IN ('queued', 'running')"
        args: list[Any] = []
        if before_id is not None:
            sql += " AND id < ?"
            args.append(before_id)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        return await self._jobs(sql, args)

    async def error_kinds(self, state: JobState) -> dict[str, int]:
        """How many jobs in ``state`` have each error kind (for "retry failed of kind K")."""
        rows = await self.db.rows(
            "SELECT COALESCE(error_kind, ''), COUNT(*) FROM jobs WHERE state = ? "
            "GROUP BY COALESCE(error_kind, '') ORDER BY COUNT(*) DESC",
            (str(state),),
        )
        return {str(kind): int(n) for kind, n in rows}

    async def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in ALL_STATES}
        for state, n in await self.db.rows("SELECT state, COUNT(*) FROM jobs GROUP BY state"):
            counts[state] = n
        return counts

    async def totals(self) -> dict[str, float]:
        row = (
            await self.db.rows(
                "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
                "COALESCE(SUM(duration_s), 0), COALESCE(SUM(batch_tokens), 0) FROM jobs"
            )
        )[0]
        return {"prompt_tokens": row[0], "completion_tokens": row[1], "call_seconds": row[2],
                "batch_tokens": row[3]}

    async def parts(self, job_id: int) -> list[PartRecord]:
        rows = await self.db.rows(
            "SELECT idx, state, result, prompt_tokens, completion_tokens, text_sha, part_size "
            "FROM parts WHERE job_id = ? ORDER BY idx",
            (job_id,),
        )
        return [PartRecord(*r) for r in rows]

    async def job_log(self, job_id: int, after: int = 0) -> list[LogEntry]:
        """The job's log, oldest first; ``after`` an entry's id: only the entries since."""
        rows = await self.db.rows(
            "SELECT id, at, event, message FROM job_log WHERE job_id = ? AND id > ? "
            "ORDER BY id",
            (job_id, after),
        )
        return [LogEntry(r[0], r[1], _event(r[2]), r[3]) for r in rows]

    async def recent_calls(self, engine: str, limit: int = 200) -> list[tuple[int, float]]:
        rows = await self.db.rows(
            "SELECT units, duration_s FROM calls WHERE engine = ? ORDER BY id DESC LIMIT ?",
            (engine, limit),
        )
        return [(r[0], r[1]) for r in rows]

    async def has_queued(self) -> bool:
        return bool(await self.db.rows("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1"))

    async def ids_in_state(self, state: JobState, error_kind: str | None = None) -> list[int]:
        sql = "SELECT id FROM jobs WHERE state = ?"
        args: list[Any] = [str(state)]
        if error_kind:
            sql += " AND error_kind = ?"
            args.append(error_kind)
        return [r[0] for r in await self.db.rows(sql + " ORDER BY position", args)]

    async def integrity_check(self) -> str:
        rows = await self.db.rows("PRAGMA integrity_check")
        return str(rows[0][0]) if rows else "unknown"
