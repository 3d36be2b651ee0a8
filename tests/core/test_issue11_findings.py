"""Issue 11's findings, in process: each test failed on the queue before leases, stored waits,
plans per job, one change feed and collected task errors. (Findings 1, 2 and 7 with real
processes: tests/reliability/test_two_processes.py and test_kill_soak.py.)"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from pathlib import Path
from typing import Any

from core.errors import ErrorClass, JobError, LeaseRevoked
from core.events import EventBus, JobAdded, JobChanged, JobRemoved
from core.pacing import Backoff, FixedPacer
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


def _backoff() -> Backoff:
    return Backoff(15, 300, rng=lambda: 0.0)


async def _store(tmp_path: Path, n: int, paragraphs: int = 4) -> tuple[Store, FakeClock, EventBus]:
    clock, bus = FakeClock(), EventBus()
    store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
    docs = [new_job(write_doc(tmp_path / f"doc{i}.txt", i, paragraphs)) for i in range(n)]
    await store.add_jobs(docs, max_queued=100)
    return store, clock, bus


# ------------------------------------------------------------------ finding 1 (in process)


def test_a_cancel_during_the_call_hangs_it_up_and_a_late_answer_is_never_stored(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        store, clock, bus = await _store(tmp_path, 1)
        analyzer = ScriptedAnalyzer(clock)
        analyzer.gate = asyncio.Event()  # the call stays in flight until the test says
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        run = asyncio.create_task(worker.run())
        while not analyzer.calls:
            await asyncio.sleep(0.01)
        lease = worker.running[1].lease
        task = worker.running[1].task
        await store.cancel([1])  # any process; here the feed tells the worker at once
        await store.retrigger([1])
        assert task is not None
        await asyncio.wait({task}, timeout=5)
        assert task.done(), "the call in flight was not hung up"
        # The old lease writes nothing, whatever comes back late.
        try:
            await store.finish_done(lease, "late")
        except LeaseRevoked as refused:
            assert "re-triggered" in refused.what
        log = [e.message for e in await store.job_log(1)]
        assert "call hung up: the job was cancelled" in log
        analyzer.gate.set()
        while (job := await store.get(1)) is None or job.state != JobState.DONE:
            await asyncio.sleep(0.01)
        assert job.result == "result of part 1/1" and len(analyzer.calls) == 2
        worker.stop()
        await run
        await store.close()

    asyncio.run(go())


# ------------------------------------------------------------------ finding 3


def test_a_retry_after_outlives_the_worker_and_the_next_one_waits_for_it(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        store, clock, bus = await _store(tmp_path, 1)
        clock.auto_advance = False  # time stands still until the test moves it
        throttled = JobError("rate_limited", "Too many requests (429).",
                             error_class=ErrorClass.RETRYABLE, retry_after=40)  # fmt: skip
        first = ScriptedAnalyzer(clock, latency=0.0, faults=[throttled])
        pacer = FixedPacer(clock, 0, _backoff())
        worker = Worker(store, first, pacer, clock, bus)
        run = asyncio.create_task(worker.run())
        while (job := await store.get(1)) is None or job.error_kind != "rate_limited":
            await asyncio.sleep(0.01)
        throttled_at = clock.now()
        worker.stop()  # quit, or a saved setting that restarts the worker
        await run
        stored = await store.stored_wait()
        assert stored.kind == "retry_after" and stored.until == clock.wall() + 40
        # A new worker with a new pacer (another process after a restart) starts from it.
        second = ScriptedAnalyzer(clock, latency=1.0)
        fresh = FixedPacer(clock, 0, _backoff())
        fresh.restore(stored.until, stored.kind, stored.reason, stored.failures, stored.last_call)
        clock.auto_advance = True
        await Worker(store, second, fresh, clock, bus).run(until_empty=True)
        assert second.calls[0][1] >= throttled_at + 40
        assert (await store.get(1)).state == JobState.DONE  # type: ignore[union-attr]
        await store.close()

    asyncio.run(go())


# ------------------------------------------------------------------ finding 4


def _stale_multipart(tmp_path: Path, part_chars: int) -> tuple[Store, FakeClock, EventBus]:
    """A job whose first two parts (of a 600-character split) were saved before it went stale."""

    async def go() -> tuple[Store, FakeClock, EventBus]:
        store, clock, bus = await _store(tmp_path, 1, paragraphs=12)
        analyzer = ScriptedAnalyzer(clock, part_chars=part_chars)
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)

        def stop_after_two(what: str) -> None:
            if what.startswith("part 3/"):
                worker.stop()

        analyzer.on_call = stop_after_two
        await worker.run()
        await store.recover_on_startup()
        job = await store.get(1)
        assert job is not None and job.state == JobState.STALE and job.parts_done == 2
        await store.retrigger([1])
        return store, clock, bus

    return asyncio.run(go())


def test_a_document_that_now_fits_one_part_is_sent_whole_not_from_old_parts(
    tmp_path: Path,
) -> None:
    store, clock, bus = _stale_multipart(tmp_path, 600)

    async def go() -> None:
        analyzer = ScriptedAnalyzer(clock, part_chars=100_000)  # the part size was raised
        await Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus).run(
            until_empty=True
        )
        job = await store.get(1)
        assert job is not None and job.state == JobState.DONE, job
        assert [what for what, _ in analyzer.calls] == ["part 1/1"]
        assert (job.parts_done, job.parts_planned) == (1, 1)
        log = " ".join(e.message for e in await store.job_log(1))
        assert "cut differently" in log and "2 stored part(s)" in log
        await store.close()

    asyncio.run(go())


def test_a_finer_split_never_combines_parts_of_two_splits(tmp_path: Path) -> None:
    store, clock, bus = _stale_multipart(tmp_path, 600)

    async def go() -> None:
        analyzer = ScriptedAnalyzer(clock, part_chars=400)  # the part size was lowered
        await Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus).run(
            until_empty=True
        )
        job = await store.get(1)
        assert job is not None and job.state == JobState.DONE
        parts = [what for what, _ in analyzer.calls if what.startswith("part")]
        count = int(parts[0].split("/")[1])
        # Every part of the new split was sent: none was taken from the 600-character split.
        assert parts == [f"part {i}/{count}" for i in range(1, count + 1)]
        assert analyzer.calls[-1][0] == f"combine {count}"
        await store.close()

    asyncio.run(go())


def test_the_same_split_resumes_after_the_last_finished_part(tmp_path: Path) -> None:
    store, clock, bus = _stale_multipart(tmp_path, 600)

    async def go() -> None:
        analyzer = ScriptedAnalyzer(clock, part_chars=600)
        await Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus).run(
            until_empty=True
        )
        assert analyzer.calls[0][0].startswith("part 3/")  # parts 1 and 2 were kept
        await store.close()

    asyncio.run(go())


# ------------------------------------------------------------------ finding 5


def test_a_rolled_back_write_never_hides_another_processs_change(tmp_path: Path) -> None:
    async def go() -> None:
        bus = EventBus()
        seen: list[Any] = []
        bus.subscribe(seen.append)
        window = await Store.open(tmp_path / "db.sqlite3", FakeClock(), bus)
        report = await window.add_jobs(
            [new_job(write_doc(tmp_path / "a.txt", 1))], max_queued=9
        )

        async def fails_after_taking_a_seq(tx: Any) -> None:
            await tx.all("UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'seq'")
            raise RuntimeError("rolled back")

        with contextlib.suppress(RuntimeError):
            await window.db.write(fails_after_taking_a_seq)
        # Another process commits the very sequence number the rolled-back write had taken.
        other = sqlite3.connect(tmp_path / "db.sqlite3")
        with other:
            seq = int(other.execute("UPDATE meta SET value = CAST(value AS INTEGER) + 1 "
                                    "WHERE key = 'seq' RETURNING value").fetchone()[0])
            other.execute("UPDATE jobs SET state = 'cancelled', seq = ? WHERE id = ?",
                          (seq, report.accepted[0].id))
        other.close()
        await window.feed.poll()
        assert isinstance(seen[-1], JobChanged) and seen[-1].job.state == JobState.CANCELLED
        await window.close()

    asyncio.run(go())


def test_the_feed_sees_every_change_of_a_busy_other_process(tmp_path: Path) -> None:
    """Another process adds, cancels, re-triggers and removes while this one polls as fast
    as it can: the picture built from events alone ends equal to the database."""
    db = tmp_path / "db.sqlite3"

    async def go() -> None:
        bus = EventBus()
        view: dict[int, JobState] = {}

        def apply(event: Any) -> None:
            if isinstance(event, JobAdded | JobChanged):
                view[event.job.id] = event.job.state
            elif isinstance(event, JobRemoved):
                view.pop(event.job_id, None)

        bus.subscribe(apply)
        window = await Store.open(db, FakeClock(), bus)
        files = [write_doc(tmp_path / f"f{i}.txt", i) for i in range(40)]

        async def meddle() -> None:
            other = await Store.open(db, FakeClock())
            for i, path in enumerate(files):
                added = await other.add_jobs([new_job(path)], max_queued=1000)
                job_id = added.accepted[0].id
                if i % 2:
                    await other.cancel([job_id])
                if i % 4 == 1:
                    await other.retrigger([job_id])
                if i % 8 == 3:
                    await other.remove([job_id])
                await asyncio.sleep(0)
            await other.close()

        meddler = asyncio.create_task(meddle())
        while not meddler.done():
            await window.feed.poll()
            await asyncio.sleep(0)
        await meddler
        await window.feed.poll()
        actual = {j.id: j.state for j in await window.list_jobs()}
        assert view == actual
        await window.close()

    asyncio.run(go())


# ------------------------------------------------------------------ finding 6


def test_an_error_inside_the_error_handler_still_ends_the_job_and_is_reported(
    tmp_path: Path,
) -> None:
    async def go() -> None:
        store, clock, bus = await _store(tmp_path, 2)
        flaky = JobError("http_500", "The server failed (500).", error_class=ErrorClass.RETRYABLE)
        analyzer = ScriptedAnalyzer(clock, faults=[flaky])
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        real_requeue = store.requeue

        async def broken_requeue(*args: Any, **kw: Any) -> Any:
            raise KeyError("a bug in the error handler")

        store.requeue = broken_requeue  # type: ignore[method-assign]
        await worker.run(until_empty=True)
        store.requeue = real_requeue  # type: ignore[method-assign]
        jobs = await store.list_jobs()
        assert [j.state for j in jobs] == [JobState.FAILED, JobState.DONE]
        assert jobs[0].error_kind == "internal"
        assert worker.internal_errors and "KeyError" in worker.internal_errors[0]
        await store.close()

    asyncio.run(go())


# ------------------------------------------------------------------ finding 8


def test_a_job_is_never_in_two_tasks_of_the_worker_at_once(tmp_path: Path) -> None:
    """With several calls in flight, a job requeued by its own task is not claimed again
    until that task has ended."""

    async def go() -> None:
        store, clock, bus = await _store(tmp_path, 3)
        flaky = JobError("http_500", "The server failed (500).", error_class=ErrorClass.RETRYABLE)
        analyzer = ScriptedAnalyzer(clock, latency=1.0, faults=[flaky, None, None, None])
        pacer = FixedPacer(clock, 0, Backoff(0, 0, rng=lambda: 0.0))
        worker = Worker(store, analyzer, pacer, clock, bus)
        worker._slots = lambda: 3  # type: ignore[method-assign]  # three calls in flight
        tasks_per_job: dict[int, int] = {}
        overlaps: list[int] = []
        real_run_job = worker._run_job

        async def counting(lease: Any, running: Any) -> None:
            tasks_per_job[lease.job_id] = tasks_per_job.get(lease.job_id, 0) + 1
            if tasks_per_job[lease.job_id] > 1:
                overlaps.append(lease.job_id)
            try:
                await real_run_job(lease, running)
                for _ in range(20):  # the task winds down slowly after its requeue
                    await asyncio.sleep(0)
            finally:
                tasks_per_job[lease.job_id] -= 1

        worker._run_job = counting  # type: ignore[method-assign]
        await worker.run(until_empty=True)
        assert overlaps == []
        assert [j.state for j in await store.list_jobs()] == [JobState.DONE] * 3
        await store.close()

    asyncio.run(go())
