"""The durable job store: SQLite through aiosqlite, the only source of truth.

Rules kept here:
- WAL, ``synchronous=FULL``, ``busy_timeout``; one connection per process, every write inside an
  explicit transaction (``BEGIN IMMEDIATE`` so two processes never deadlock on an upgrade).
- Every state change is checked against :mod:`core.states` and guarded in SQL by the old state,
  so a concurrent cancel from another process can never be overwritten by a late "done".
- Each write bumps a global ``seq``; another process's writes are found by ``seq`` and turned
  into the same events, so ``paceline-cli add`` shows up in an open window.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from core.clock import Clock, SystemClock
from core.errors import SchemaTooNew
from core.events import (
    EventBus,
    JobAdded,
    JobChanged,
    JobRemoved,
    OrderChanged,
    QueueStateChanged,
)
from core.jobs import Job
from core.schema import MIGRATIONS, SCHEMA_VERSION
from core.states import (
    ALL_STATES,
    REMOVABLE_STATES,
    RETRIGGERABLE_STATES,
    JobState,
    check_transition,
)

JOB_COLUMNS = (
    "id, path, size, mtime, sha256, profile, prompt, provider, model, state, position, priority, "
    "attempts, max_attempts, created_at, updated_at, started_at, finished_at, parts_done, "
    "parts_planned, units, prompt_tokens, completion_tokens, duration_s, result, error_kind, "
    "error, stale_reason, seq, added_seq"
)

# Duplicates are only those that would repeat work: queued, running or already done.
DUPLICATE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DONE)


def _row_to_job(row: Sequence[Any]) -> Job:
    return Job(
        id=row[0],
        path=row[1],
        size=row[2],
        mtime=row[3],
        sha256=row[4],
        profile=row[5],
        prompt=row[6],
        provider=row[7],
        model=row[8],
        state=JobState(row[9]),
        position=row[10],
        priority=row[11],
        attempts=row[12],
        max_attempts=row[13],
        created_at=row[14],
        updated_at=row[15],
        started_at=row[16],
        finished_at=row[17],
        parts_done=row[18],
        parts_planned=row[19],
        units=row[20],
        prompt_tokens=row[21],
        completion_tokens=row[22],
        duration_s=row[23],
        result=row[24],
        error_kind=row[25],
        error=row[26],
        stale_reason=row[27],
    )


@dataclass(frozen=True)
class NewJob:
    """What the caller knows about a document when it enqueues it."""

    path: str
    size: int
    mtime: float
    sha256: str
    profile: str
    prompt: str
    provider: str
    model: str
    priority: int = 0
    max_attempts: int = 5


@dataclass
class AddReport:
    accepted: list[Job] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (path, existing job id)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (path, kind, message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": [{"id": j.id, "path": j.path} for j in self.accepted],
            "duplicates": [{"path": p, "existing_id": i} for p, i in self.duplicates],
            "rejected": [{"path": p, "kind": k, "reason": m} for p, k, m in self.rejected],
        }


@dataclass(frozen=True)
class QueueMeta:
    paused: bool
    pause_reason: str | None
    pause_kind: str | None


@dataclass(frozen=True)
class PartRecord:
    idx: int
    state: str
    result: str | None
    prompt_tokens: int
    completion_tokens: int


class Store:
    """Narrow async interface over the jobs database."""

    def __init__(self, db: aiosqlite.Connection, path: Path, clock: Clock, bus: EventBus) -> None:
        self._db = db
        self.path = path
        self.clock = clock
        self.bus = bus
        self._lock = asyncio.Lock()
        self._own_seqs: set[int] = set()
        self._polled_seq = 0
        self._data_version = -1
        self._meta = QueueMeta(False, None, None)

    # ------------------------------------------------------------------ opening and closing

    @classmethod
    async def open(
        cls, path: Path | str, clock: Clock | None = None, bus: EventBus | None = None
    ) -> Store:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(str(path), isolation_level=None, timeout=30.0)
        try:
            await db.execute("PRAGMA busy_timeout = 30000")
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = FULL")
            await db.execute("PRAGMA foreign_keys = ON")
            await _migrate(db, path)
        except BaseException:
            await db.close()
            raise
        store = cls(db, path, clock or SystemClock(), bus or EventBus())
        store._polled_seq = await store._current_seq()
        store._data_version = await store._read_data_version()
        store._meta = await store._read_meta()
        return store

    async def close(self) -> None:
        async with self._lock:
            with contextlib.suppress(sqlite3.Error):
                await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await self._db.close()

    @contextlib.asynccontextmanager
    async def _tx(self) -> AsyncIterator[aiosqlite.Connection]:
        async with self._lock:
            await self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    await self._db.execute("ROLLBACK")
                raise
            await self._db.execute("COMMIT")

    async def _next_seq(self, db: aiosqlite.Connection) -> int:
        cursor = await db.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        )
        row = await cursor.fetchone()
        assert row is not None
        seq = int(row[0])
        self._own_seqs.add(seq)
        return seq

    async def _current_seq(self) -> int:
        cursor = await self._db.execute("SELECT value FROM meta WHERE key = 'seq'")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def _read_data_version(self) -> int:
        cursor = await self._db.execute("PRAGMA data_version")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ reading

    async def get(self, job_id: int) -> Job | None:
        cursor = await self._db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        row = await cursor.fetchone()
        return _row_to_job(row) if row else None

    async def _get_many(self, db: aiosqlite.Connection, ids: Iterable[int]) -> list[Job]:
        ids = list(ids)
        jobs: list[Job] = []
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cursor = await db.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE id IN ({marks})", chunk
            )
            jobs.extend(_row_to_job(r) for r in await cursor.fetchall())
        order = {job_id: n for n, job_id in enumerate(ids)}
        jobs.sort(key=lambda j: order[j.id])
        return jobs

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
        cursor = await self._db.execute(sql, args)
        return [_row_to_job(r) for r in await cursor.fetchall()]

    async def queued_in_order(self) -> list[Job]:
        cursor = await self._db.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') "
            "ORDER BY state = 'running' DESC, priority DESC, position"
        )
        return [_row_to_job(r) for r in await cursor.fetchall()]

    async def history_page(self, limit: int, before_id: int | None = None) -> list[Job]:
        """Jobs that are neither queued nor running, newest first, with ids below ``before_id``.

        For a window that shows every active job at once and loads a long history a page at
        a time: paging by id (not offset) stays right while jobs are added and removed.
        """
        sql = f"SELECT {JOB_COLUMNS} FROM jobs WHERE state NOT IN ('queued', 'running')"
        args: list[Any] = []
        if before_id is not None:
            sql += " AND id < ?"
            args.append(before_id)
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(limit)
        cursor = await self._db.execute(sql, args)
        return [_row_to_job(r) for r in await cursor.fetchall()]

    async def error_kinds(self, state: JobState) -> dict[str, int]:
        """How many jobs in ``state`` have each error kind (for "retry failed of kind K")."""
        cursor = await self._db.execute(
            "SELECT COALESCE(error_kind, ''), COUNT(*) FROM jobs WHERE state = ? "
            "GROUP BY COALESCE(error_kind, '') ORDER BY COUNT(*) DESC",
            (str(state),),
        )
        return {str(kind): int(n) for kind, n in await cursor.fetchall()}

    async def count_jobs(self) -> int:
        cursor = await self._db.execute("SELECT COUNT(*) FROM jobs")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    async def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in ALL_STATES}
        cursor = await self._db.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state")
        for state, n in await cursor.fetchall():
            counts[state] = n
        return counts

    async def totals(self) -> dict[str, float]:
        cursor = await self._db.execute(
            "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
            "COALESCE(SUM(duration_s), 0) FROM jobs"
        )
        row = await cursor.fetchone()
        assert row is not None
        return {"prompt_tokens": row[0], "completion_tokens": row[1], "call_seconds": row[2]}

    async def parts(self, job_id: int) -> list[PartRecord]:
        cursor = await self._db.execute(
            "SELECT idx, state, result, prompt_tokens, completion_tokens FROM parts "
            "WHERE job_id = ? ORDER BY idx",
            (job_id,),
        )
        return [PartRecord(*r) for r in await cursor.fetchall()]

    async def job_log(self, job_id: int) -> list[tuple[float, str]]:
        cursor = await self._db.execute(
            "SELECT at, message FROM job_log WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [(r[0], r[1]) for r in await cursor.fetchall()]

    async def recent_calls(self, engine: str, limit: int = 200) -> list[tuple[int, float]]:
        cursor = await self._db.execute(
            "SELECT units, duration_s FROM calls WHERE engine = ? ORDER BY id DESC LIMIT ?",
            (engine, limit),
        )
        return [(r[0], r[1]) for r in await cursor.fetchall()]

    async def queued_count(self) -> int:
        cursor = await self._db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
        row = await cursor.fetchone()
        return int(row[0]) if row else 0

    # ------------------------------------------------------------------ adding

    async def add_jobs(
        self, new_jobs: Sequence[NewJob], *, max_queued: int, force: bool = False
    ) -> AddReport:
        """Insert jobs in one transaction: duplicates are reported, overflow is rejected.

        A drop larger than the room left accepts what fits, in the order given.
        """
        report = AddReport()
        if not new_jobs:
            return report
        now = self.clock.wall()
        async with self._tx() as db:
            cursor = await db.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
            row = await cursor.fetchone()
            room = max(0, max_queued - (int(row[0]) if row else 0))
            cursor = await db.execute("SELECT COALESCE(MAX(position), 0) FROM jobs")
            row = await cursor.fetchone()
            position = int(row[0]) if row else 0
            existing: dict[tuple[str, str], int] = {}
            if not force:
                existing = await self._existing_content(db, new_jobs)
            seq = await self._next_seq(db)
            rows = []
            seen: dict[tuple[str, str], int] = {}
            for nj in new_jobs:
                key = (nj.sha256, nj.profile)
                if not force and key in existing:
                    report.duplicates.append((nj.path, existing[key]))
                    continue
                if not force and key in seen:
                    report.duplicates.append((nj.path, seen[key]))
                    continue
                if len(rows) >= room:
                    report.rejected.append(
                        (
                            nj.path,
                            "queue_full",
                            f"The queue is full ({max_queued} waiting jobs). Wait for some to "
                            "finish or raise the queue limit in Settings.",
                        )
                    )
                    continue
                position += 1
                seen[key] = -position  # placeholder id until the insert
                rows.append(
                    (
                        nj.path,
                        nj.size,
                        nj.mtime,
                        nj.sha256,
                        nj.profile,
                        nj.prompt,
                        nj.provider,
                        nj.model,
                        "queued",
                        position,
                        nj.priority,
                        nj.max_attempts,
                        now,
                        now,
                        seq,
                        seq,
                    )
                )
            if rows:
                cursor = await db.execute("SELECT COALESCE(MAX(id), 0) FROM jobs")
                row = await cursor.fetchone()
                first_id_floor = int(row[0]) if row else 0
                await db.executemany(
                    "INSERT INTO jobs (path, size, mtime, sha256, profile, prompt, provider, "
                    "model, state, position, priority, max_attempts, created_at, updated_at, "
                    "seq, added_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                cursor = await db.execute(
                    f"SELECT {JOB_COLUMNS} FROM jobs WHERE id > ? ORDER BY id", (first_id_floor,)
                )
                report.accepted = [_row_to_job(r) for r in await cursor.fetchall()]
                # Duplicates inside the same drop point at the job that was just created.
                by_pos = {j.position: j.id for j in report.accepted}
                report.duplicates = [
                    (p, by_pos.get(-i, i) if i < 0 else i) for p, i in report.duplicates
                ]
        for job in report.accepted:
            self.bus.publish(JobAdded(job))
        return report

    async def _existing_content(
        self, db: aiosqlite.Connection, new_jobs: Sequence[NewJob]
    ) -> dict[tuple[str, str], int]:
        hashes = sorted({nj.sha256 for nj in new_jobs})
        found: dict[tuple[str, str], int] = {}
        states = ",".join(f"'{s}'" for s in DUPLICATE_STATES)
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            cursor = await db.execute(
                f"SELECT sha256, profile, MIN(id) FROM jobs WHERE sha256 IN ({marks}) "
                f"AND state IN ({states}) GROUP BY sha256, profile",
                chunk,
            )
            for sha, profile, job_id in await cursor.fetchall():
                found[(sha, profile)] = job_id
        return found

    # ------------------------------------------------------------------ state changes

    async def _transition(
        self,
        db: aiosqlite.Connection,
        job_id: int,
        new: JobState,
        allowed_from: Iterable[JobState],
        sets: dict[str, Any] | None = None,
    ) -> Job | None:
        """Move one job to ``new`` if it is in one of ``allowed_from``; return the new row."""
        cursor = await db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,))
        row = await cursor.fetchone()
        if row is None:
            return None
        old = JobState(row[0])
        if old not in set(allowed_from):
            return None
        check_transition(job_id, old, new)
        seq = await self._next_seq(db)
        sets = dict(sets or {})
        sets.update(state=str(new), updated_at=self.clock.wall(), seq=seq)
        assignments = ", ".join(f"{k} = ?" for k in sets)
        await db.execute(
            f"UPDATE jobs SET {assignments} WHERE id = ? AND state = ?",
            [*sets.values(), job_id, str(old)],
        )
        cursor = await db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        row = await cursor.fetchone()
        return _row_to_job(row) if row else None

    def _publish_changed(self, job: Job | None, fields: Iterable[str]) -> None:
        if job is not None:
            self.bus.publish(JobChanged(job, frozenset(fields) | {"state", "updated_at"}))

    async def claim_next(self) -> Job | None:
        """Claim the next queued job by (priority, position): queued -> running, attempts += 1."""
        async with self._tx() as db:
            cursor = await db.execute(
                "SELECT id FROM jobs WHERE state = 'queued' "
                "ORDER BY priority DESC, position LIMIT 1"
            )
            row = await cursor.fetchone()
            if row is None:
                return None
            job_id = int(row[0])
            cursor = await db.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,))
            attempts_row = await cursor.fetchone()
            assert attempts_row is not None
            job = await self._transition(
                db,
                job_id,
                JobState.RUNNING,
                [JobState.QUEUED],
                {
                    "attempts": attempts_row[0] + 1,
                    "started_at": self.clock.wall(),
                    "stale_reason": None,
                },
            )
        self._publish_changed(job, {"attempts", "started_at", "stale_reason"})
        return job

    async def set_plan(self, job_id: int, parts_planned: int, units: int) -> Job | None:
        async with self._tx() as db:
            seq = await self._next_seq(db)
            await db.execute(
                "UPDATE jobs SET parts_planned = ?, units = ?, seq = ?, updated_at = ? "
                "WHERE id = ? AND state = 'running'",
                (parts_planned, units, seq, self.clock.wall(), job_id),
            )
            cursor = await db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
            row = await cursor.fetchone()
        job = _row_to_job(row) if row else None
        if job is not None:
            self.bus.publish(JobChanged(job, frozenset({"parts_planned", "units"})))
        return job

    async def mark_call_started(self, job_id: int, idx: int) -> None:
        """Committed before a paid call is sent: a crash after this makes the job stale."""
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO parts (job_id, idx, state, started_at) VALUES (?, ?, 'started', ?) "
                "ON CONFLICT(job_id, idx) DO UPDATE SET state = 'started', "
                "started_at = excluded.started_at",
                (job_id, idx, self.clock.wall()),
            )

    async def save_part(
        self,
        job_id: int,
        idx: int,
        result: str,
        prompt_tokens: int,
        completion_tokens: int,
        duration_s: float,
        engine: str,
        units: int,
    ) -> Job | None:
        """A finished part and the job's progress, committed together."""
        now = self.clock.wall()
        async with self._tx() as db:
            cursor = await db.execute("SELECT state FROM jobs WHERE id = ?", (job_id,))
            row = await cursor.fetchone()
            if row is None or row[0] != JobState.RUNNING:
                return None
            await db.execute(
                "INSERT INTO parts (job_id, idx, state, result, prompt_tokens, completion_tokens,"
                " started_at, finished_at, duration_s) VALUES (?, ?, 'done', ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(job_id, idx) DO UPDATE SET state = 'done', result = excluded.result,"
                " prompt_tokens = excluded.prompt_tokens,"
                " completion_tokens = excluded.completion_tokens,"
                " finished_at = excluded.finished_at, duration_s = excluded.duration_s",
                (job_id, idx, result, prompt_tokens, completion_tokens, now, now, duration_s),
            )
            await self._record_call(db, engine, units, duration_s)
            seq = await self._next_seq(db)
            await db.execute(
                "UPDATE jobs SET parts_done = (SELECT COUNT(*) FROM parts WHERE job_id = ? "
                "AND state = 'done'), prompt_tokens = prompt_tokens + ?, "
                "completion_tokens = completion_tokens + ?, duration_s = duration_s + ?, "
                "seq = ?, updated_at = ? WHERE id = ?",
                (job_id, prompt_tokens, completion_tokens, duration_s, seq, now, job_id),
            )
            cursor = await db.execute(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
            row = await cursor.fetchone()
        job = _row_to_job(row) if row else None
        if job is not None:
            self.bus.publish(
                JobChanged(
                    job,
                    frozenset({"parts_done", "prompt_tokens", "completion_tokens", "duration_s"}),
                )
            )
        return job

    async def _record_call(
        self, db: aiosqlite.Connection, engine: str, units: int, duration_s: float
    ) -> None:
        await db.execute(
            "INSERT INTO calls (engine, units, duration_s, at) VALUES (?, ?, ?, ?)",
            (engine, units, duration_s, self.clock.wall()),
        )

    async def finish_done(
        self,
        job_id: int,
        result: str,
        *,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        duration_s: float = 0.0,
        engine: str = "",
        units: int = 0,
        claim_next: bool = False,
    ) -> tuple[Job | None, Job | None]:
        """The final result and ``done`` in one transaction.

        With ``claim_next`` the next queued job is claimed in the same transaction, which halves
        the number of synchronous commits for a busy queue without weakening durability.
        """
        now = self.clock.wall()
        nxt: Job | None = None
        async with self._tx() as db:
            cursor = await db.execute(
                "SELECT parts_planned, parts_done FROM jobs WHERE id = ?", (job_id,)
            )
            row = await cursor.fetchone()
            planned = max(int(row[0]), 1) if row else 1
            if engine:
                await self._record_call(db, engine, units, duration_s)
            cursor = await db.execute(
                "SELECT prompt_tokens, completion_tokens, duration_s FROM jobs WHERE id = ?",
                (job_id,),
            )
            totals = await cursor.fetchone()
            if totals is None:
                return None, None
            job = await self._transition(
                db,
                job_id,
                JobState.DONE,
                [JobState.RUNNING],
                {
                    "result": result,
                    "finished_at": now,
                    "parts_done": planned,
                    "parts_planned": planned,
                    "prompt_tokens": totals[0] + prompt_tokens,
                    "completion_tokens": totals[1] + completion_tokens,
                    "duration_s": totals[2] + duration_s,
                    "error_kind": None,
                    "error": None,
                },
            )
            if job is not None:
                # the final call's start marker is settled with the result
                await db.execute(
                    "UPDATE parts SET state = 'done', finished_at = ? "
                    "WHERE job_id = ? AND state = 'started'",
                    (now, job_id),
                )
            if claim_next and job is not None:
                nxt = await self._claim_in(db)
        self._publish_changed(
            job,
            {
                "result",
                "finished_at",
                "parts_done",
                "parts_planned",
                "prompt_tokens",
                "completion_tokens",
                "duration_s",
                "error_kind",
                "error",
            },
        )
        self._publish_changed(nxt, {"attempts", "started_at", "stale_reason"})
        return job, nxt

    async def _claim_in(self, db: aiosqlite.Connection) -> Job | None:
        cursor = await db.execute(
            "SELECT id, attempts FROM jobs WHERE state = 'queued' "
            "ORDER BY priority DESC, position LIMIT 1"
        )
        row = await cursor.fetchone()
        if row is None:
            return None
        return await self._transition(
            db,
            int(row[0]),
            JobState.RUNNING,
            [JobState.QUEUED],
            {"attempts": row[1] + 1, "started_at": self.clock.wall(), "stale_reason": None},
        )

    async def finish_failed(self, job_id: int, kind: str, message: str) -> Job | None:
        async with self._tx() as db:
            job = await self._transition(
                db,
                job_id,
                JobState.FAILED,
                [JobState.RUNNING],
                {"error_kind": kind, "error": message, "finished_at": self.clock.wall()},
            )
        self._publish_changed(job, {"error_kind", "error", "finished_at"})
        return job

    async def requeue(
        self, job_id: int, kind: str, message: str, *, refund_attempt: bool = False
    ) -> Job | None:
        """running -> queued keeping its position, so it is the next one claimed."""
        async with self._tx() as db:
            cursor = await db.execute("SELECT attempts FROM jobs WHERE id = ?", (job_id,))
            row = await cursor.fetchone()
            if row is None:
                return None
            attempts = max(0, row[0] - 1) if refund_attempt else row[0]
            job = await self._transition(
                db,
                job_id,
                JobState.QUEUED,
                [JobState.RUNNING],
                {"error_kind": kind, "error": message, "attempts": attempts},
            )
        self._publish_changed(job, {"error_kind", "error", "attempts"})
        return job

    async def recover_on_startup(self) -> list[Job]:
        """Jobs left ``running`` by a process that stopped become ``stale``; never resumed.

        Queued jobs need nothing: they are data and the worker simply claims them. Running this
        twice changes nothing the second time.
        """
        jobs: list[Job] = []
        async with self._tx() as db:
            cursor = await db.execute("SELECT id FROM jobs WHERE state = 'running'")
            ids = [r[0] for r in await cursor.fetchall()]
            for job_id in ids:
                cursor = await db.execute(
                    "SELECT COUNT(*) FROM parts WHERE job_id = ? AND state = 'started'",
                    (job_id,),
                )
                row = await cursor.fetchone()
                in_flight = bool(row and row[0])
                reason = (
                    "Paceline stopped while a paid call for this job was in flight; it may "
                    "have been charged. Re-trigger it to send it again."
                    if in_flight
                    else "Paceline stopped while this job was running. Re-trigger it to run "
                    "it again."
                )
                job = await self._transition(
                    db,
                    job_id,
                    JobState.STALE,
                    [JobState.RUNNING],
                    {"stale_reason": reason, "finished_at": self.clock.wall()},
                )
                if job is not None:
                    await self._log_in(db, job_id, f"marked stale: {reason}")
                    jobs.append(job)
        for job in jobs:
            self._publish_changed(job, {"stale_reason", "finished_at"})
        return jobs

    async def retrigger(self, ids: Iterable[int]) -> list[Job]:
        """stale | failed | cancelled -> queued, at the end of the queue, with fresh attempts."""
        changed: list[Job] = []
        async with self._tx() as db:
            cursor = await db.execute("SELECT COALESCE(MAX(position), 0) FROM jobs")
            row = await cursor.fetchone()
            position = int(row[0]) if row else 0
            for job_id in ids:
                position += 1
                job = await self._transition(
                    db,
                    job_id,
                    JobState.QUEUED,
                    RETRIGGERABLE_STATES,
                    {
                        "position": position,
                        "attempts": 0,
                        "error_kind": None,
                        "error": None,
                        "finished_at": None,
                    },
                )
                if job is not None:
                    # A part whose call was in flight is sent again only now, on request.
                    await db.execute(
                        "DELETE FROM parts WHERE job_id = ? AND state = 'started'", (job_id,)
                    )
                    await self._log_in(db, job_id, "re-triggered")
                    changed.append(job)
        for job in changed:
            self._publish_changed(
                job, {"position", "attempts", "error_kind", "error", "finished_at"}
            )
        return changed

    async def ids_in_state(self, state: JobState, error_kind: str | None = None) -> list[int]:
        sql = "SELECT id FROM jobs WHERE state = ?"
        args: list[Any] = [str(state)]
        if error_kind:
            sql += " AND error_kind = ?"
            args.append(error_kind)
        cursor = await self._db.execute(sql + " ORDER BY position", args)
        return [r[0] for r in await cursor.fetchall()]

    async def cancel(self, ids: Iterable[int]) -> list[Job]:
        changed: list[Job] = []
        async with self._tx() as db:
            for job_id in ids:
                job = await self._transition(
                    db,
                    job_id,
                    JobState.CANCELLED,
                    [JobState.QUEUED, JobState.RUNNING],
                    {"finished_at": self.clock.wall(), "error_kind": None, "error": None},
                )
                if job is not None:
                    changed.append(job)
        for job in changed:
            self._publish_changed(job, {"finished_at", "error_kind", "error"})
        return changed

    async def remove(self, ids: Iterable[int]) -> list[int]:
        removed: list[int] = []
        async with self._tx() as db:
            seq = await self._next_seq(db)
            states = ",".join(f"'{s}'" for s in REMOVABLE_STATES)
            for job_id in ids:
                cursor = await db.execute(
                    f"DELETE FROM jobs WHERE id = ? AND state IN ({states}) RETURNING id",
                    (job_id,),
                )
                if await cursor.fetchone():
                    await db.execute("DELETE FROM parts WHERE job_id = ?", (job_id,))
                    await db.execute("DELETE FROM job_log WHERE job_id = ?", (job_id,))
                    await db.execute(
                        "INSERT INTO removed (seq, job_id) VALUES (?, ?)", (seq, job_id)
                    )
                    removed.append(job_id)
        for job_id in removed:
            self.bus.publish(JobRemoved(job_id))
        return removed

    async def move(self, ids: Sequence[int], where: str) -> dict[int, int]:
        """Reorder queued jobs: ``top``, ``up``, ``down`` or ``bottom``."""
        if where not in {"top", "up", "down", "bottom"}:
            raise ValueError(f"unknown move {where!r}")
        positions: dict[int, int] = {}
        async with self._tx() as db:
            cursor = await db.execute(
                "SELECT id, position FROM jobs WHERE state = 'queued' "
                "ORDER BY priority DESC, position"
            )
            order = [(r[0], r[1]) for r in await cursor.fetchall()]
            ids_in = [i for i, _ in order if i in set(ids)]
            if not ids_in:
                return {}
            current = [i for i, _ in order]
            slots = sorted(p for _, p in order)
            if where == "top":
                new_order = ids_in + [i for i in current if i not in set(ids_in)]
            elif where == "bottom":
                new_order = [i for i in current if i not in set(ids_in)] + ids_in
            else:
                new_order = list(current)
                step = -1 if where == "up" else 1
                seq_ids = ids_in if where == "up" else list(reversed(ids_in))
                for job_id in seq_ids:
                    k = new_order.index(job_id)
                    j = k + step
                    if 0 <= j < len(new_order) and new_order[j] not in set(ids_in):
                        new_order[k], new_order[j] = new_order[j], new_order[k]
            seq = await self._next_seq(db)
            old = dict(order)
            for job_id, pos in zip(new_order, slots, strict=True):
                if old[job_id] != pos:
                    positions[job_id] = pos
            # Positions are not unique-constrained, so assign directly.
            await db.executemany(
                "UPDATE jobs SET position = ?, seq = ? WHERE id = ?",
                [(pos, seq, job_id) for job_id, pos in positions.items()],
            )
        if positions:
            self.bus.publish(OrderChanged(positions))
        return positions

    # ------------------------------------------------------------------ queue state

    async def _read_meta(self) -> QueueMeta:
        cursor = await self._db.execute(
            "SELECT key, value FROM meta WHERE key IN ('paused', 'pause_reason', 'pause_kind')"
        )
        values = dict(await cursor.fetchall())
        return QueueMeta(
            paused=values.get("paused", "0") == "1",
            pause_reason=values.get("pause_reason") or None,
            pause_kind=values.get("pause_kind") or None,
        )

    @property
    def meta(self) -> QueueMeta:
        return self._meta

    async def set_paused(
        self, paused: bool, reason: str | None = None, kind: str | None = None
    ) -> QueueMeta:
        async with self._tx() as db:
            await self._next_seq(db)
            await db.executemany(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [
                    ("paused", "1" if paused else "0"),
                    ("pause_reason", reason or "" if paused else ""),
                    ("pause_kind", kind or "" if paused else ""),
                ],
            )
        self._meta = QueueMeta(paused, reason if paused else None, kind if paused else None)
        return self._meta

    async def set_meta(self, key: str, value: str) -> None:
        async with self._tx() as db:
            await db.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def get_meta(self, key: str) -> str | None:
        cursor = await self._db.execute("SELECT value FROM meta WHERE key = ?", (key,))
        row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def log(self, job_id: int, message: str) -> None:
        async with self._tx() as db:
            await self._log_in(db, job_id, message)

    async def _log_in(self, db: aiosqlite.Connection, job_id: int, message: str) -> None:
        await db.execute(
            "INSERT INTO job_log (job_id, at, message) VALUES (?, ?, ?)",
            (job_id, self.clock.wall(), message),
        )

    # ------------------------------------------------------------------ other processes

    async def poll_external(self) -> tuple[list[Job], list[Job], list[int], bool]:
        """Find what other processes wrote since the last poll and publish it as events.

        Cheap when nothing changed: ``PRAGMA data_version`` only moves on another
        connection's commit. Returns (added, changed, removed ids, queue meta changed).
        """
        version = await self._read_data_version()
        if version == self._data_version:
            return [], [], [], False
        self._data_version = version
        since = self._polled_seq
        cursor = await self._db.execute(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE seq > ? ORDER BY id", (since,)
        )
        rows = await cursor.fetchall()
        cursor = await self._db.execute("SELECT seq, job_id FROM removed WHERE seq > ?", (since,))
        removed_rows = await cursor.fetchall()
        top = await self._current_seq()
        added: list[Job] = []
        changed: list[Job] = []
        for row in rows:
            if row[28] in self._own_seqs:
                continue
            job = _row_to_job(row)
            (added if row[29] > since else changed).append(job)
        removed = [job_id for seq, job_id in removed_rows if seq not in self._own_seqs]
        self._own_seqs = {s for s in self._own_seqs if s > top}
        self._polled_seq = top
        meta = await self._read_meta()
        meta_changed = meta != self._meta
        self._meta = meta
        for job in added:
            self.bus.publish(JobAdded(job))
        for job in changed:
            self.bus.publish(JobChanged(job, frozenset(Job.__dataclass_fields__)))
        for job_id in removed:
            self.bus.publish(JobRemoved(job_id))
        if meta_changed:
            self.bus.publish(
                QueueStateChanged(meta.paused, meta.pause_reason, meta.pause_kind, None, None, None)
            )
        return added, changed, removed, meta_changed

    async def integrity_check(self) -> str:
        cursor = await self._db.execute("PRAGMA integrity_check")
        row = await cursor.fetchone()
        return str(row[0]) if row else "unknown"


async def _migrate(db: aiosqlite.Connection, path: Path) -> None:
    cursor = await db.execute("PRAGMA user_version")
    row = await cursor.fetchone()
    version = int(row[0]) if row else 0
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"The queue database {path} was written by a newer Paceline (schema {version}; "
            f"this one knows {SCHEMA_VERSION}). Update Paceline, or point PACELINE_HOME at "
            "another folder."
        )
    if version == SCHEMA_VERSION:
        return
    if version > 0:
        # Back up before touching a database that already holds jobs.
        await db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        backup = path.with_name(f"{path.name}.v{version}.bak")
        shutil.copy2(path, backup)
    await db.execute("BEGIN IMMEDIATE")
    try:
        for step in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[step]:
                await db.execute(statement)
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    except BaseException:
        await db.execute("ROLLBACK")
        raise
    await db.execute("COMMIT")
