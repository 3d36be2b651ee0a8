"""The store: durability settings, migrations, recovery, duplicates and backpressure."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest

from core.errors import LeaseRevoked, SchemaTooNew
from core.migrations import SCHEMA_VERSION
from core.queue import PartPlan
from core.states import JobState
from core.store import Store
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


async def _open(path: Path) -> Store:
    return await Store.open(path, FakeClock())


def test_durability_pragmas(tmp_path: Path) -> None:
    async def go() -> tuple[str, int]:
        store = await _open(tmp_path / "db.sqlite3")
        mode = (await store.db.rows("PRAGMA journal_mode"))[0][0]
        sync = (await store.db.rows("PRAGMA synchronous"))[0][0]
        await store.close()
        return mode, sync

    mode, sync = asyncio.run(go())
    assert mode == "wal"
    assert sync == 2  # FULL


def test_close_checkpoints_the_wal(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        await store.add_jobs([new_job(write_doc(tmp_path / "a.txt", 1))], max_queued=10)
        await store.close()

    asyncio.run(go())
    wal = tmp_path / "db.sqlite3-wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_refuses_a_newer_schema_with_a_clear_message(tmp_path: Path) -> None:
    db = tmp_path / "db.sqlite3"
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer Paceline"):
        asyncio.run(_open(db))


def test_migration_from_version_1_backs_up_first_and_keeps_jobs(tmp_path: Path) -> None:
    from core.migrations import MIGRATIONS

    db = tmp_path / "db.sqlite3"
    old = sqlite3.connect(db)  # a queue written by the first release (schema 1)
    for statement in MIGRATIONS[0]:
        old.execute(statement)
    old.execute(
        "INSERT INTO jobs (path, size, mtime, sha256, profile, prompt, provider, model, state, "
        "position, created_at, updated_at) VALUES ('/a.txt', 1, 0, 'h', 'Summary', 'p', "
        "'offline', 'builtin', 'running', 1, 0, 0)"
    )
    old.execute("INSERT INTO parts (job_id, idx, state, result, started_at) "
                "VALUES (1, 0, 'done', 'part one', 0)")
    old.execute("PRAGMA user_version = 1")
    old.commit()
    old.close()

    async def upgrade() -> None:
        store = await _open(db)
        (job,) = await store.list_jobs()
        assert job.state == JobState.RUNNING and job.lease is None and job.not_before is None
        assert job.doubt is None and not job.doubt_accepted
        (part,) = await store.parts(job.id)
        assert part.result == "part one" and part.text_sha is None  # matches no new plan
        assert [j.id for j in await store.recover_on_startup()] == [job.id]
        await store.close()

    asyncio.run(upgrade())
    backup = tmp_path / "db.sqlite3.v1.bak"
    saved = sqlite3.connect(backup)
    assert saved.execute("PRAGMA user_version").fetchone()[0] == 1
    assert saved.execute("SELECT COUNT(*) FROM jobs").fetchone()[0] == 1
    saved.close()
    new = sqlite3.connect(db)
    assert new.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 7
    # schema 4: watch folders, what they have seen, and the result files written
    tables = {r[0] for r in new.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"watch_folders", "watch_seen", "result_files"} <= tables
    new.close()


def test_recovery_marks_running_stale_and_keeps_queued(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        docs = [new_job(write_doc(tmp_path / f"{i}.txt", i)) for i in range(3)]
        await store.add_jobs(docs, max_queued=10)
        first_lease = await store.claim_next()
        assert first_lease is not None
        await store.call_started(first_lease, 0, PartPlan("h", 100), note="sending", paced=True)
        second_lease = await store.claim_next()
        assert second_lease is not None
        first, second = first_lease.job, second_lease.job
        await store.close()  # the "crash": nothing finishes them

        store = await _open(tmp_path / "db.sqlite3")
        stale = await store.recover_on_startup()
        assert {j.id for j in stale} == {first.id, second.id}
        by_id = {j.id: j for j in stale}
        assert "paid call" in (by_id[first.id].stale_reason or "")
        assert "paid call" not in (by_id[second.id].stale_reason or "")
        counts = await store.counts()
        assert counts["stale"] == 2 and counts["queued"] == 1
        # twice changes nothing
        assert await store.recover_on_startup() == []
        assert await store.counts() == counts
        # re-trigger: queued again, at the end, with fresh attempts
        again = await store.retrigger([first.id])
        assert again[0].state == JobState.QUEUED and again[0].attempts == 0
        await store.close()

    asyncio.run(go())


def test_duplicates_are_reported_unless_forced(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        a = write_doc(tmp_path / "a.txt", 1)
        copy = tmp_path / "copy-of-a.txt"
        copy.write_bytes(a.read_bytes())
        first = await store.add_jobs([new_job(a)], max_queued=10)
        report = await store.add_jobs([new_job(copy), new_job(a)], max_queued=10)
        assert report.accepted == []
        assert [p for p, _ in report.duplicates] == [str(copy), str(a)]
        assert all(i == first.accepted[0].id for _, i in report.duplicates)
        # another profile is another analysis: not a duplicate
        other = await store.add_jobs([new_job(a, profile="Key points")], max_queued=10)
        assert len(other.accepted) == 1
        # a failed or cancelled job is not in the way
        await store.cancel([first.accepted[0].id])
        again = await store.add_jobs([new_job(a)], max_queued=10)
        assert len(again.accepted) == 1
        forced = await store.add_jobs([new_job(a)], max_queued=10, force=True)
        assert len(forced.accepted) == 1
        # the same file twice in one drop
        b = write_doc(tmp_path / "b.txt", 2)
        within = await store.add_jobs([new_job(b), new_job(b)], max_queued=10)
        assert len(within.accepted) == 1
        assert within.duplicates == [(str(b), within.accepted[0].id)]
        await store.close()

    asyncio.run(go())


def test_backpressure_accepts_what_fits_and_reports_the_rest(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        docs = [new_job(write_doc(tmp_path / f"{i}.txt", i)) for i in range(8)]
        await store.add_jobs(docs[:3], max_queued=5)
        report = await store.add_jobs(docs[3:], max_queued=5)
        assert [j.path for j in report.accepted] == [d.path for d in docs[3:5]]
        assert [p for p, _, _ in report.rejected] == [d.path for d in docs[5:]]
        assert {k for _, k, _ in report.rejected} == {"queue_full"}
        assert "queue is full" in report.rejected[0][2]
        # running jobs free room in the queue
        await store.claim_next()
        report = await store.add_jobs(docs[5:6], max_queued=5)
        assert len(report.accepted) == 1
        await store.close()

    asyncio.run(go())


def test_claim_order_is_priority_then_position_and_moves_reorder(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        docs = [new_job(write_doc(tmp_path / f"{i}.txt", i)) for i in range(4)]
        report = await store.add_jobs(docs, max_queued=10)
        ids = [j.id for j in report.accepted]
        await store.move([ids[3]], "top")
        await store.move([ids[0]], "down")
        order = [j.id for j in await store.queued_in_order()]
        assert order == [ids[3], ids[1], ids[0], ids[2]]
        urgent = await store.add_jobs(
            [new_job(write_doc(tmp_path / "u.txt", 99), priority=5)], max_queued=10
        )
        claimed = await store.claim_next()
        assert claimed is not None and claimed.job_id == urgent.accepted[0].id
        claimed = await store.claim_next()
        assert claimed is not None and claimed.job_id == ids[3]
        # a retryable failure keeps its place at the head
        await store.requeue(claimed, "http_503", "busy")
        again = await store.claim_next()
        assert again is not None and again.job_id == ids[3] and again.job.attempts == 2
        assert again.token != claimed.token  # every claim is a new lease
        await store.close()

    asyncio.run(go())


def test_done_and_result_are_one_commit_and_late_done_cannot_undo_cancel(tmp_path: Path) -> None:
    async def go() -> None:
        store = await _open(tmp_path / "db.sqlite3")
        await store.add_jobs([new_job(write_doc(tmp_path / "a.txt", 1))], max_queued=10)
        lease = await store.claim_next()
        assert lease is not None
        await store.cancel([lease.job_id])
        with pytest.raises(LeaseRevoked, match="cancelled at"):
            await store.finish_done(lease, "late result")
        current = await store.get(lease.job_id)
        assert current is not None and current.state == JobState.CANCELLED
        assert current.result is None
        log = [e.message for e in await store.job_log(lease.job_id)]
        assert log[-1].startswith("answer discarded: the job was cancelled at")
        await store.close()

    asyncio.run(go())


def test_another_process_writes_become_events(tmp_path: Path) -> None:
    from core.events import EventBus, JobAdded, JobChanged, JobRemoved

    async def go() -> None:
        bus = EventBus()
        seen: list[object] = []
        bus.subscribe(seen.append)
        window = await Store.open(tmp_path / "db.sqlite3", FakeClock(), bus)
        cli = await _open(tmp_path / "db.sqlite3")
        report = await cli.add_jobs([new_job(write_doc(tmp_path / "a.txt", 1))], max_queued=9)
        await window.feed.poll()
        assert [type(e) for e in seen] == [JobAdded]
        await cli.cancel([report.accepted[0].id])
        await window.feed.poll()
        assert isinstance(seen[-1], JobChanged) and seen[-1].job.state == JobState.CANCELLED
        await cli.remove([report.accepted[0].id])
        await window.feed.poll()
        assert isinstance(seen[-1], JobRemoved)
        n = len(seen)
        await window.feed.poll()  # nothing new: nothing published
        assert len(seen) == n
        await cli.set_paused(True, "Paused by you", "user")
        await window.feed.poll()
        assert window.meta.paused
        await cli.close()
        await window.close()

    asyncio.run(go())
