"""Adding jobs: one transaction per drop, duplicates reported, overflow rejected."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from core.clock import Clock
from core.db import Database, Tx
from core.effective_config import describe_job_endpoint
from core.errors import RAISE_SETTING
from core.job_log import LogEvent
from core.jobs import AddReport, Job, NewJob
from core.queries import JOB_COLUMNS, row_to_job
from core.states import JobState
from core.transitions import next_seq

# Duplicates are only those that would repeat work: queued, running or already done.
DUPLICATE_STATES = (JobState.QUEUED, JobState.RUNNING, JobState.DONE)


class Enqueue:
    db: Database
    clock: Clock

    _commit: Callable[..., Awaitable[Any]]  # Store's: write, then publish through the feed

    async def add_jobs(
        self, new_jobs: Sequence[NewJob], *, max_queued: int, force: bool = False
    ) -> AddReport:
        """Insert jobs in one transaction: duplicates are reported, overflow is rejected.

        A drop larger than the room left accepts what fits, in the order given.
        """
        if not new_jobs:
            return AddReport()
        now = self.clock.wall()

        async def tx(tx: Tx) -> AddReport:
            report = AddReport()
            queued = await tx.value("SELECT COUNT(*) FROM jobs WHERE state = 'queued'")
            room = max(0, max_queued - int(queued))
            position = int(await tx.value("SELECT COALESCE(MAX(position), 0) FROM jobs"))
            existing = {} if force else await _existing_content(tx, new_jobs)
            seq = await next_seq(tx)
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
                            f"finish, or {RAISE_SETTING['max_queue']}.",
                        )
                    )
                    continue
                position += 1
                seen[key] = position
                rows.append(
                    (
                        nj.path, nj.size, nj.mtime, nj.sha256, nj.profile, nj.prompt,
                        nj.provider, nj.model, "queued", position, nj.priority, nj.max_attempts,
                        now, now, seq, seq, nj.host,
                    )
                )  # fmt: skip
            if rows:
                floor = int(await tx.value("SELECT COALESCE(MAX(id), 0) FROM jobs"))
                await tx.many(
                    "INSERT INTO jobs (path, size, mtime, sha256, profile, prompt, provider, "
                    "model, state, position, priority, max_attempts, created_at, updated_at, "
                    "seq, added_seq, host) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                report.accepted = [
                    row_to_job(r)
                    for r in await tx.all(
                        f"SELECT {JOB_COLUMNS} FROM jobs WHERE id > ? ORDER BY id", (floor,)
                    )
                ]
                await tx.many(
                    "INSERT INTO job_log (job_id, at, event, message) VALUES (?, ?, ?, ?)",
                    [(j.id, now, str(LogEvent.ADDED), _added(j)) for j in report.accepted],
                )
            # Duplicates inside the same drop point at the job that was just created.
            by_position = {j.position: j.id for j in report.accepted}
            report.duplicates = [
                (p, by_position.get(-i, i) if i < 0 else i) for p, i in report.duplicates
            ]
            return report

        report: AddReport = await self._commit(tx)
        return report


def _added(job: Job) -> str:
    where = (
        "to be analysed offline"
        if job.provider == "offline"
        else "to be sent to " + describe_job_endpoint(job.provider, job.model, job.host)
    )
    return f"added to the queue ({job.size:,} bytes, profile {job.profile}), {where}"


async def _existing_content(tx: Tx, new_jobs: Sequence[NewJob]) -> dict[tuple[str, str], int]:
    hashes = sorted({nj.sha256 for nj in new_jobs})
    found: dict[tuple[str, str], int] = {}
    states = ",".join(f"'{s}'" for s in DUPLICATE_STATES)
    for start in range(0, len(hashes), 500):
        chunk = hashes[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for sha, profile, job_id in await tx.all(
            f"SELECT sha256, profile, MIN(id) FROM jobs WHERE sha256 IN ({marks}) "
            f"AND state IN ({states}) GROUP BY sha256, profile",
            chunk,
        ):
            found[(sha, profile)] = job_id
    return found
