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

import contextlib
import shutil
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from core.clock import Clock, SystemClock
from core.errors import SchemaTooNew, StorageError
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

T = TypeVar("T")


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
    """Narrow async interface over the jobs database.

    aiosqlite's public API sends one statement per hop to its connection thread; a transaction
    of eight statements would cost eight hops and let other coroutines' statements slip in
    between. So every transaction here is one plain function run on aiosqlite's own connection
    thread (``Connection._execute``, the primitive every public aiosqlite method uses): one hop
    per transaction, and transactions can never interleave.
    """

    def __init__(self, db: aiosqlite.Connection, path: Path, clock: Clock, bus: EventBus) -> None:
        self._db = db
        self.path = path
        self.clock = clock
        self.bus = bus
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
        with storage_errors(path):
            db = await aiosqlite.connect(str(path), isolation_level=None, timeout=30.0)
        try:
            with storage_errors(path):
                await db.execute("PRAGMA busy_timeout = 30000")
                await db.execute("PRAGMA journal_mode = WAL")
                await db.execute("PRAGMA synchronous = FULL")
                await db.execute("PRAGMA foreign_keys = ON")
                await _migrate(db, path)
        except BaseException:
            await db.close()
            raise
        store = cls(db, path, clock or SystemClock(), bus or EventBus())
        store._polled_seq = await store._read(_current_seq)
        store._data_version = await store._read(_data_version)
        store._meta = await store._read(_read_meta)
        return store

    async def close(self) -> None:
        def checkpoint(conn: sqlite3.Connection) -> None:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

        await self._read(checkpoint)
        await self._db.close()

    async def _read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._db._conn
        with storage_errors(self.path):
            return await self._db._execute(fn, conn)  # type: ignore[no-any-return]

    async def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside BEGIN IMMEDIATE ... COMMIT on the connection thread."""

        def tx(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self._read(tx)

    def _next_seq(self, conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq' RETURNING value"
        ).fetchone()
        seq = int(row[0])
        self._own_seqs.add(seq)
        return seq

    # ------------------------------------------------------------------ reading

    async def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with storage_errors(self.path):
            return list(await self._db.execute_fetchall(sql, args))

    async def get(self, job_id: int) -> Job | None:
        rows = await self._rows(f"SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?", (job_id,))
        return _row_to_job(rows[0]) if rows else None

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
        return [_row_to_job(r) for r in await self._rows(sql, args)]

    async def queued_in_order(self) -> list[Job]:
        rows = await self._rows(
            f"SELECT {JOB_COLUMNS} FROM jobs WHERE state IN ('queued', 'running') "
            "ORDER BY state = 'running' DESC, priority DESC, position"
        )
        return [_row_to_job(r) for r in rows]

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
        return [_row_to_job(r) for r in await self._rows(sql, args)]

    async def error_kinds(self, state: JobState) -> dict[str, int]:
        """How many jobs in ``state`` have each error kind (for "retry failed of kind K")."""
        rows = await self._rows(
            "SELECT COALESCE(error_kind, ''), COUNT(*) FROM jobs WHERE state = ? "
            "GROUP BY COALESCE(error_kind, '') ORDER BY COUNT(*) DESC",
            (str(state),),
        )
        return {str(kind): int(n) for kind, n in rows}

    async def counts(self) -> dict[str, int]:
        counts = {str(s): 0 for s in ALL_STATES}
        for state, n in await self._rows("SELECT state, COUNT(*) FROM jobs GROUP BY state"):
            counts[state] = n
        return counts

    async def totals(self) -> dict[str, float]:
        row = (
            await self._rows(
                "SELECT COALESCE(SUM(prompt_tokens), 0), COALESCE(SUM(completion_tokens), 0), "
                "COALESCE(SUM(duration_s), 0) FROM jobs"
            )
        )[0]
        return {"prompt_tokens": row[0], "completion_tokens": row[1], "call_seconds": row[2]}

    async def parts(self, job_id: int) -> list[PartRecord]:
        rows = await self._rows(
            "SELECT idx, state, result, prompt_tokens, completion_tokens FROM parts "
            "WHERE job_id = ? ORDER BY idx",
            (job_id,),
        )
        return [PartRecord(*r) for r in rows]

    async def job_log(self, job_id: int) -> list[tuple[float, str]]:
        rows = await self._rows(
            "SELECT at, message FROM job_log WHERE job_id = ? ORDER BY id", (job_id,)
        )
        return [(r[0], r[1]) for r in rows]

    async def recent_calls(self, engine: str, limit: int = 200) -> list[tuple[int, float]]:
        rows = await self._rows(
            "SELECT units, duration_s FROM calls WHERE engine = ? ORDER BY id DESC LIMIT ?",
            (engine, limit),
        )
        return [(r[0], r[1]) for r in rows]

    async def has_queued(self) -> bool:
        return bool(await self._rows("SELECT 1 FROM jobs WHERE state = 'queued' LIMIT 1"))

    async def ids_in_state(self, state: JobState, error_kind: str | None = None) -> list[int]:
        sql = "SELECT id FROM jobs WHERE state = ?"
        args: list[Any] = [str(state)]
        if error_kind:
            sql += " AND error_kind = ?"
            args.append(error_kind)
        return [r[0] for r in await self._rows(sql + " ORDER BY position", args)]

    # ------------------------------------------------------------------ adding

    async def add_jobs(
        self, new_jobs: Sequence[NewJob], *, max_queued: int, force: bool = False
    ) -> AddReport:
        """Insert jobs in one transaction: duplicates are reported, overflow is rejected.

        A drop larger than the room left accepts what fits, in the order given.
        """
        if not new_jobs:
            return AddReport()
        now = self.clock.wall()

        def tx(conn: sqlite3.Connection) -> AddReport:
            report = AddReport()
            queued = conn.execute("SELECT COUNT(*) FROM jobs WHERE state = 'queued'").fetchone()
            room = max(0, max_queued - int(queued[0]))
            position = int(
                conn.execute("SELECT COALESCE(MAX(position), 0) FROM jobs").fetchone()[0]
            )
            existing = {} if force else _existing_content(conn, new_jobs)
            seq = self._next_seq(conn)
            rows = []
            seen: dict[tuple[str, str], int] = {}
            for nj in new_jobs:
                key = (nj.sha256, nj.profile)
                if not force and key in existing:
                    report.duplicates.append((nj.path, existing[key]))
                    continue
                if not force and key in seen:
                    report.duplicates.append((nj.path, -seen[key]))  # a position, for now
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
                seen[key] = position
                rows.append(
                    (
                        nj.path, nj.size, nj.mtime, nj.sha256, nj.profile, nj.prompt,
                        nj.provider, nj.model, "queued", position, nj.priority, nj.max_attempts,
                        now, now, seq, seq,
                    )
                )  # fmt: skip
            if rows:
                floor = int(conn.execute("SELECT COALESCE(MAX(id), 0) FROM jobs").fetchone()[0])
                conn.executemany(
                    "INSERT INTO jobs (path, size, mtime, sha256, profile, prompt, provider, "
                    "model, state, position, priority, max_attempts, created_at, updated_at, "
                    "seq, added_seq) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                report.accepted = [
                    _row_to_job(r)
                    for r in conn.execute(
                        f"SELECT {JOB_COLUMNS} FROM jobs WHERE id > ? ORDER BY id", (floor,)
                    )
                ]
            # Duplicates inside the same drop point at the job that was just created.
            by_position = {j.position: j.id for j in report.accepted}
            report.duplicates = [
                (p, by_position.get(-i, i) if i < 0 else i) for p, i in report.duplicates
            ]
            return report

        report = await self._write(tx)
        for job in report.accepted:
            self.bus.publish(JobAdded(job))
        return report

    # ------------------------------------------------------------------ state changes

    def _transition(
        self,
        conn: sqlite3.Connection,
        job_id: int,
        new: JobState,
        allowed_from: Iterable[JobState],
        sets: dict[str, Any] | None = None,
        *,
        increment_attempts: bool = False,
        refund_attempt: bool = False,
        done_totals: tuple[int, int, float, int] | None = None,
    ) -> Job | None:
        """Move one job to ``new`` if it is in one of ``allowed_from``; return the new row.

        Every (old, new) pair is checked against the table in core.states first, so no caller
        can write a transition the state machine does not allow. The guard on the old state is
        in the UPDATE itself, so a concurrent change by another process is never overwritten.
        """
        allowed = [str(s) for s in allowed_from]
        for old in allowed:
            check_transition(job_id, JobState(old), new)
        sets = dict(sets or {})
        sets.update(state=str(new), updated_at=self.clock.wall(), seq=self._next_seq(conn))
        clauses = [f"{k} = ?" for k in sets]
        args: list[Any] = list(sets.values())
        if increment_attempts:
            clauses.append("attempts = attempts + 1")
        if refund_attempt:
            clauses.append("attempts = MAX(0, attempts - 1)")
        if done_totals is not None:
            clauses += [
                "prompt_tokens = prompt_tokens + ?",
                "completion_tokens = completion_tokens + ?",
                "duration_s = duration_s + ?",
                "units = CASE WHEN units = 0 THEN ? ELSE units END",
                "parts_planned = MAX(parts_planned, 1)",
                "parts_done = MAX(parts_planned, 1)",
            ]
            args += list(done_totals)
        marks = ",".join("?" * len(allowed))
        row = conn.execute(
            f"UPDATE jobs SET {', '.join(clauses)} WHERE id = ? AND state IN ({marks}) "
            f"RETURNING {JOB_COLUMNS}",
            [*args, job_id, *allowed],
        ).fetchone()
        return _row_to_job(row) if row else None

    def _publish_changed(self, job: Job | None, fields: Iterable[str]) -> None:
        if job is not None:
            self.bus.publish(JobChanged(job, frozenset(fields) | {"state", "updated_at"}))

    def _claim_in(self, conn: sqlite3.Connection) -> Job | None:
        row = conn.execute(
            "SELECT id FROM jobs WHERE state = 'queued' ORDER BY priority DESC, position LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        return self._transition(
            conn,
            int(row[0]),
            JobState.RUNNING,
            [JobState.QUEUED],
            {"started_at": self.clock.wall(), "stale_reason": None},
            increment_attempts=True,
        )

    async def claim_next(self) -> Job | None:
        """Claim the next queued job by (priority, position): queued -> running, attempts += 1."""
        job = await self._write(self._claim_in)
        self._publish_changed(job, CLAIM_FIELDS)
        return job

    async def set_plan(self, job_id: int, parts_planned: int, units: int) -> Job | None:
        def tx(conn: sqlite3.Connection) -> Job | None:
            row = conn.execute(
                f"UPDATE jobs SET parts_planned = ?, units = ?, seq = ?, updated_at = ? "
                f"WHERE id = ? AND state = 'running' RETURNING {JOB_COLUMNS}",
                (parts_planned, units, self._next_seq(conn), self.clock.wall(), job_id),
            ).fetchone()
            return _row_to_job(row) if row else None

        job = await self._write(tx)
        if job is not None:
            self.bus.publish(JobChanged(job, frozenset({"parts_planned", "units"})))
        return job

    async def mark_call_started(self, job_id: int, idx: int) -> None:
        """Committed before a paid call is sent: a crash after this makes the job stale."""
        now = self.clock.wall()

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(
                "INSERT INTO parts (job_id, idx, state, started_at) VALUES (?, ?, 'started', ?) "
                "ON CONFLICT(job_id, idx) DO UPDATE SET state = 'started', "
                "started_at = excluded.started_at",
                (job_id, idx, now),
            )

        await self._write(tx)

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

        def tx(conn: sqlite3.Connection) -> Job | None:
            state = conn.execute("SELECT state FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if state is None or state[0] != JobState.RUNNING:
                return None
            conn.execute(
                "INSERT INTO parts (job_id, idx, state, result, prompt_tokens, completion_tokens,"
                " started_at, finished_at, duration_s) VALUES (?, ?, 'done', ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT(job_id, idx) DO UPDATE SET state = 'done', result = excluded.result,"
                " prompt_tokens = excluded.prompt_tokens,"
                " completion_tokens = excluded.completion_tokens,"
                " finished_at = excluded.finished_at, duration_s = excluded.duration_s",
                (job_id, idx, result, prompt_tokens, completion_tokens, now, now, duration_s),
            )
            _record_call(conn, engine, units, duration_s, now)
            row = conn.execute(
                "UPDATE jobs SET parts_done = (SELECT COUNT(*) FROM parts WHERE job_id = ? "
                "AND state = 'done'), prompt_tokens = prompt_tokens + ?, "
                "completion_tokens = completion_tokens + ?, duration_s = duration_s + ?, "
                f"seq = ?, updated_at = ? WHERE id = ? RETURNING {JOB_COLUMNS}",
                (
                    job_id,
                    prompt_tokens,
                    completion_tokens,
                    duration_s,
                    self._next_seq(conn),
                    now,
                    job_id,
                ),
            ).fetchone()
            return _row_to_job(row) if row else None

        job = await self._write(tx)
        if job is not None:
            self.bus.publish(
                JobChanged(
                    job,
                    frozenset({"parts_done", "prompt_tokens", "completion_tokens", "duration_s"}),
                )
            )
        return job

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

        def tx(conn: sqlite3.Connection) -> tuple[Job | None, Job | None]:
            job = self._transition(
                conn,
                job_id,
                JobState.DONE,
                [JobState.RUNNING],
                {"result": result, "finished_at": now, "error_kind": None, "error": None},
                done_totals=(prompt_tokens, completion_tokens, duration_s, units),
            )
            if job is None:
                return None, None
            if engine:
                _record_call(conn, engine, units, duration_s, now)
            # the final call's start marker is settled with the result
            conn.execute(
                "UPDATE parts SET state = 'done', finished_at = ? "
                "WHERE job_id = ? AND state = 'started'",
                (now, job_id),
            )
            return job, (self._claim_in(conn) if claim_next else None)

        job, nxt = await self._write(tx)
        self._publish_changed(job, DONE_FIELDS)
        self._publish_changed(nxt, CLAIM_FIELDS)
        return job, nxt

    async def finish_failed(self, job_id: int, kind: str, message: str) -> Job | None:
        now = self.clock.wall()
        job = await self._write(
            lambda conn: self._transition(
                conn, job_id, JobState.FAILED, [JobState.RUNNING],
                {"error_kind": kind, "error": message, "finished_at": now},
            )
        )  # fmt: skip
        self._publish_changed(job, {"error_kind", "error", "finished_at"})
        return job

    async def requeue(
        self, job_id: int, kind: str, message: str, *, refund_attempt: bool = False
    ) -> Job | None:
        """running -> queued keeping its position, so it is the next one claimed."""
        job = await self._write(
            lambda conn: self._transition(
                conn, job_id, JobState.QUEUED, [JobState.RUNNING],
                {"error_kind": kind or None, "error": message or None},
                refund_attempt=refund_attempt,
            )
        )  # fmt: skip
        self._publish_changed(job, {"error_kind", "error", "attempts"})
        return job

    async def recover_on_startup(self) -> list[Job]:
        """Jobs left ``running`` by a process that stopped become ``stale``; never resumed.

        Queued jobs need nothing: they are data and the worker simply claims them. Running this
        twice changes nothing the second time.
        """
        now = self.clock.wall()

        def tx(conn: sqlite3.Connection) -> list[Job]:
            jobs: list[Job] = []
            for (job_id,) in conn.execute("SELECT id FROM jobs WHERE state = 'running'").fetchall():
                in_flight = conn.execute(
                    "SELECT COUNT(*) FROM parts WHERE job_id = ? AND state = 'started'", (job_id,)
                ).fetchone()[0]
                reason = STALE_IN_FLIGHT if in_flight else STALE_RUNNING
                job = self._transition(
                    conn, job_id, JobState.STALE, [JobState.RUNNING],
                    {"stale_reason": reason, "finished_at": now},
                )  # fmt: skip
                if job is not None:
                    _log_in(conn, job_id, now, f"marked stale: {reason}")
                    jobs.append(job)
            return jobs

        jobs = await self._write(tx)
        for job in jobs:
            self._publish_changed(job, {"stale_reason", "finished_at"})
        return jobs

    async def retrigger(self, ids: Iterable[int]) -> list[Job]:
        """stale | failed | cancelled -> queued, at the end of the queue, with fresh attempts."""
        ids = list(ids)
        now = self.clock.wall()

        def tx(conn: sqlite3.Connection) -> list[Job]:
            changed: list[Job] = []
            position = int(
                conn.execute("SELECT COALESCE(MAX(position), 0) FROM jobs").fetchone()[0]
            )
            for job_id in ids:
                position += 1
                job = self._transition(
                    conn, job_id, JobState.QUEUED, RETRIGGERABLE_STATES,
                    {"position": position, "attempts": 0, "error_kind": None, "error": None,
                     "finished_at": None},
                )  # fmt: skip
                if job is not None:
                    # A part whose call was in flight is sent again only now, on request.
                    conn.execute(
                        "DELETE FROM parts WHERE job_id = ? AND state = 'started'", (job_id,)
                    )
                    _log_in(conn, job_id, now, "re-triggered")
                    changed.append(job)
            return changed

        changed = await self._write(tx)
        for job in changed:
            self._publish_changed(job, {"position", "attempts", "error_kind", "error",
                                        "finished_at"})  # fmt: skip
        return changed

    async def cancel(self, ids: Iterable[int]) -> list[Job]:
        ids = list(ids)
        now = self.clock.wall()

        def tx(conn: sqlite3.Connection) -> list[Job]:
            changed = [
                self._transition(
                    conn, job_id, JobState.CANCELLED, [JobState.QUEUED, JobState.RUNNING],
                    {"finished_at": now, "error_kind": None, "error": None},
                )
                for job_id in ids
            ]  # fmt: skip
            return [j for j in changed if j is not None]

        changed = await self._write(tx)
        for job in changed:
            self._publish_changed(job, {"finished_at", "error_kind", "error"})
        return changed

    async def remove(self, ids: Iterable[int]) -> list[int]:
        ids = list(ids)
        states = ",".join(f"'{s}'" for s in REMOVABLE_STATES)

        def tx(conn: sqlite3.Connection) -> list[int]:
            seq = self._next_seq(conn)
            removed: list[int] = []
            for job_id in ids:
                if conn.execute(
                    f"DELETE FROM jobs WHERE id = ? AND state IN ({states}) RETURNING id",
                    (job_id,),
                ).fetchone():
                    conn.execute("DELETE FROM parts WHERE job_id = ?", (job_id,))
                    conn.execute("DELETE FROM job_log WHERE job_id = ?", (job_id,))
                    conn.execute("INSERT INTO removed (seq, job_id) VALUES (?, ?)", (seq, job_id))
                    removed.append(job_id)
            return removed

        removed = await self._write(tx)
        for job_id in removed:
            self.bus.publish(JobRemoved(job_id))
        return removed

    async def move(self, ids: Sequence[int], where: str) -> dict[int, int]:
        """Reorder queued jobs: ``top``, ``up``, ``down`` or ``bottom``."""
        if where not in {"top", "up", "down", "bottom"}:
            raise ValueError(f"unknown move {where!r}")
        chosen = set(ids)

        def tx(conn: sqlite3.Connection) -> dict[int, int]:
            order = conn.execute(
                "SELECT id, position FROM jobs WHERE state = 'queued' "
                "ORDER BY priority DESC, position"
            ).fetchall()
            current = [i for i, _ in order]
            picked = [i for i in current if i in chosen]
            if not picked:
                return {}
            rest = [i for i in current if i not in chosen]
            if where == "top":
                new_order = picked + rest
            elif where == "bottom":
                new_order = rest + picked
            else:
                new_order = list(current)
                step = -1 if where == "up" else 1
                for job_id in picked if where == "up" else reversed(picked):
                    k = new_order.index(job_id)
                    j = k + step
                    if 0 <= j < len(new_order) and new_order[j] not in chosen:
                        new_order[k], new_order[j] = new_order[j], new_order[k]
            # The same set of positions, handed out in the new order.
            slots = sorted(p for _, p in order)
            old = dict(order)
            positions = {
                job_id: pos
                for job_id, pos in zip(new_order, slots, strict=True)
                if old[job_id] != pos
            }
            seq = self._next_seq(conn)
            conn.executemany(
                "UPDATE jobs SET position = ?, seq = ? WHERE id = ?",
                [(pos, seq, job_id) for job_id, pos in positions.items()],
            )
            return positions

        positions = await self._write(tx)
        if positions:
            self.bus.publish(OrderChanged(positions))
        return positions

    # ------------------------------------------------------------------ queue state

    @property
    def meta(self) -> QueueMeta:
        return self._meta

    async def set_paused(
        self, paused: bool, reason: str | None = None, kind: str | None = None
    ) -> QueueMeta:
        values = [
            ("paused", "1" if paused else "0"),
            ("pause_reason", (reason or "") if paused else ""),
            ("pause_kind", (kind or "") if paused else ""),
        ]

        def tx(conn: sqlite3.Connection) -> None:
            self._next_seq(conn)
            conn.executemany(UPSERT_META, values)

        await self._write(tx)
        self._meta = QueueMeta(paused, reason if paused else None, kind if paused else None)
        return self._meta

    async def set_meta(self, key: str, value: str) -> None:
        await self._write(lambda conn: conn.execute(UPSERT_META, (key, value)) and None)

    async def get_meta(self, key: str) -> str | None:
        rows = await self._rows("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    async def log(self, job_id: int, message: str) -> None:
        now = self.clock.wall()
        await self._write(lambda conn: _log_in(conn, job_id, now, message))

    # ------------------------------------------------------------------ other processes

    async def poll_external(self) -> tuple[list[Job], list[Job], list[int], bool]:
        """Find what other processes wrote since the last poll and publish it as events.

        Cheap when nothing changed: ``PRAGMA data_version`` only moves on another
        connection's commit. Returns (added, changed, removed ids, queue meta changed).
        """

        def read(
            conn: sqlite3.Connection,
        ) -> tuple[int, list[Any], list[Any], int, QueueMeta] | None:
            version = _data_version(conn)
            if version == self._data_version:
                return None
            since = self._polled_seq
            rows = conn.execute(
                f"SELECT {JOB_COLUMNS} FROM jobs WHERE seq > ? ORDER BY id", (since,)
            ).fetchall()
            removed = conn.execute(
                "SELECT seq, job_id FROM removed WHERE seq > ?", (since,)
            ).fetchall()
            return version, rows, removed, _current_seq(conn), _read_meta(conn)

        found = await self._read(read)
        if found is None:
            return [], [], [], False
        version, rows, removed_rows, top, meta = found
        since = self._polled_seq
        self._data_version = version
        added: list[Job] = []
        changed: list[Job] = []
        for row in rows:
            if row[28] in self._own_seqs:
                continue
            (added if row[29] > since else changed).append(_row_to_job(row))
        removed = [job_id for seq, job_id in removed_rows if seq not in self._own_seqs]
        self._own_seqs = {s for s in self._own_seqs if s > top}
        self._polled_seq = top
        meta_changed = meta != self._meta
        self._meta = meta
        for job in added:
            self.bus.publish(JobAdded(job))
        for job in changed:
            self.bus.publish(JobChanged(job, ALL_FIELDS))
        for job_id in removed:
            self.bus.publish(JobRemoved(job_id))
        if meta_changed:
            self.bus.publish(
                QueueStateChanged(meta.paused, meta.pause_reason, meta.pause_kind, None, None,
                                  None)
            )  # fmt: skip
        return added, changed, removed, meta_changed

    async def integrity_check(self) -> str:
        rows = await self._rows("PRAGMA integrity_check")
        return str(rows[0][0]) if rows else "unknown"


STALE_IN_FLIGHT = (
    "Paceline stopped while a paid call for this job was in flight; it may have been charged. "
    "Re-trigger it to send it again."
)
STALE_RUNNING = "Paceline stopped while this job was running. Re-trigger it to run it again."
UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)
CLAIM_FIELDS = frozenset({"attempts", "started_at", "stale_reason"})
DONE_FIELDS = frozenset(
    {"result", "finished_at", "parts_done", "parts_planned", "prompt_tokens",
     "completion_tokens", "duration_s", "error_kind", "error", "units"}
)  # fmt: skip
ALL_FIELDS = frozenset(Job.__dataclass_fields__)


# SQLite's primary result codes for a database that cannot be opened or written.
_SQLITE_PERM, _SQLITE_READONLY, _SQLITE_IOERR, _SQLITE_CORRUPT = 3, 8, 10, 11
_SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 13, 14, 26


def storage_error(exc: sqlite3.Error, path: Path) -> StorageError | None:
    """A person's message for a disk-level failure; None for any other SQLite error.

    The transaction that failed was rolled back, so everything committed before is kept; a job
    whose answer could not be saved stays 'running' and is marked stale at the next start.
    """
    code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
    detail = str(exc)
    if code == _SQLITE_FULL:
        return StorageError(
            f"Paceline could not save to its database because the disk is full ({path}). Free "
            "some space, then start again: finished work is kept, and a job whose answer could "
            "not be saved is marked stale for you to re-trigger."
        )
    if code in (_SQLITE_READONLY, _SQLITE_PERM):
        return StorageError(
            f"Paceline cannot write to its database {path}: the file or its folder is "
            "read-only. Make it writable, or set PACELINE_HOME to a folder you can write to. "
            "Nothing was changed."
        )
    if code == _SQLITE_IOERR:
        return StorageError(
            f"Paceline could not read or write its database {path}: the disk reported an error "
            f"({detail}). Check that the disk has free space and works, then start again: "
            "finished work is kept, and a job whose answer could not be saved is marked stale "
            "for you to re-trigger."
        )
    if code == _SQLITE_CANTOPEN:
        return StorageError(
            f"Paceline cannot open its database {path}. Check that the folder exists and that "
            "you can write to it, or set PACELINE_HOME to another folder."
        )
    if code in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return StorageError(
            f"The queue database {path} is damaged or is not a Paceline database ({detail}). "
            "Move it aside to start with an empty queue, or put back a backup."
        )
    return None


@contextlib.contextmanager
def storage_errors(path: Path) -> Iterator[None]:
    """Turn a disk-level SQLite failure into a StorageError; other errors pass unchanged."""
    try:
        yield
    except sqlite3.Error as exc:
        error = storage_error(exc, path)
        if error is None:
            raise
        raise error from exc


def _current_seq(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
    return int(row[0]) if row else 0


def _data_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA data_version").fetchone()[0])


def _read_meta(conn: sqlite3.Connection) -> QueueMeta:
    values = dict(
        conn.execute(
            "SELECT key, value FROM meta WHERE key IN ('paused', 'pause_reason', 'pause_kind')"
        ).fetchall()
    )
    return QueueMeta(
        paused=values.get("paused", "0") == "1",
        pause_reason=values.get("pause_reason") or None,
        pause_kind=values.get("pause_kind") or None,
    )


def _record_call(
    conn: sqlite3.Connection, engine: str, units: int, duration_s: float, now: float
) -> None:
    conn.execute(
        "INSERT INTO calls (engine, units, duration_s, at) VALUES (?, ?, ?, ?)",
        (engine, units, duration_s, now),
    )


def _log_in(conn: sqlite3.Connection, job_id: int, now: float, message: str) -> None:
    conn.execute(
        "INSERT INTO job_log (job_id, at, message) VALUES (?, ?, ?)", (job_id, now, message)
    )


def _existing_content(
    conn: sqlite3.Connection, new_jobs: Sequence[NewJob]
) -> dict[tuple[str, str], int]:
    hashes = sorted({nj.sha256 for nj in new_jobs})
    found: dict[tuple[str, str], int] = {}
    states = ",".join(f"'{s}'" for s in DUPLICATE_STATES)
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for sha, profile, job_id in conn.execute(
            f"SELECT sha256, profile, MIN(id) FROM jobs WHERE sha256 IN ({marks}) "
            f"AND state IN ({states}) GROUP BY sha256, profile",
            chunk,
        ):
            found[(sha, profile)] = job_id
    return found


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
