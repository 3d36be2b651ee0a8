"""The worker end to end in-process: results, parts, resumption, failures, cancel, pause."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from core.analyzers.offline import OfflineAnalyzer
from core.errors import ErrorClass, JobError
from core.events import EventBus, JobProgress
from core.pacing import Backoff, FixedPacer
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


def _backoff() -> Backoff:
    return Backoff(15, 300, rng=lambda: 0.0)


async def _setup(
    tmp_path: Path, n: int = 3, paragraphs: int = 4
) -> tuple[Store, FakeClock, EventBus, list[int]]:
    clock = FakeClock()
    bus = EventBus()
    store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
    docs = [new_job(write_doc(tmp_path / f"doc{i}.txt", i, paragraphs)) for i in range(n)]
    report = await store.add_jobs(docs, max_queued=100)
    return store, clock, bus, [j.id for j in report.accepted]


def test_offline_worker_finishes_every_job_with_its_result(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 5)
        worker = Worker(store, OfflineAnalyzer(), FixedPacer(clock), clock, bus)
        await worker.run(until_empty=True)
        jobs = await store.list_jobs()
        assert [j.state for j in jobs] == [JobState.DONE] * 5
        assert all("Language:** English" in (j.result or "") for j in jobs)
        assert all(j.attempts == 1 for j in jobs)
        assert clock.sleeps == []  # the offline analyzer is not paced
        await store.close()

    asyncio.run(go())


def test_parts_are_checkpointed_and_combined(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, ids = await _setup(tmp_path, 1, paragraphs=12)
        analyzer = ScriptedAnalyzer(clock, part_chars=600)
        progress: list[JobProgress] = []
        bus.subscribe(lambda e: progress.append(e) if isinstance(e, JobProgress) else None)
        worker = Worker(store, analyzer, FixedPacer(clock, 10, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        job = await store.get(ids[0])
        assert job is not None and job.state == JobState.DONE
        n_parts = len([c for c, _ in analyzer.calls if c.startswith("part")])
        assert n_parts >= 3
        assert analyzer.calls[-1][0] == f"combine {n_parts}"
        assert job.parts_planned == n_parts + 1 and job.parts_done == n_parts + 1
        assert job.prompt_tokens == 10 * (n_parts + 1)
        assert job.result == f"result of combine {n_parts}"
        parts = await store.parts(job.id)
        assert [p.state for p in parts] == ["done"] * (n_parts + 1)  # + the combining call
        assert progress, "streamed progress reaches subscribers"
        # call starts exactly 10 s apart (latency 2 s < pause)
        starts = [t for _, t in analyzer.calls]
        assert [round(b - a, 6) for a, b in itertools.pairwise(starts)] == [10.0] * (
            len(starts) - 1
        )
        await store.close()

    asyncio.run(go())


def test_stale_job_resumes_after_its_last_finished_part(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, ids = await _setup(tmp_path, 1, paragraphs=12)
        analyzer = ScriptedAnalyzer(clock, part_chars=600)
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        gate = asyncio.Event()

        def hold_third(what: str) -> None:
            if what.startswith("part 3/"):
                analyzer.gate = gate

        analyzer.on_call = hold_third
        run = asyncio.create_task(worker.run())
        while len(analyzer.calls) < 3:
            await asyncio.sleep(0.01)
        worker.stop()  # like a kill: the paid call for part 3 is in flight
        await run
        await store.close()

        store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
        stale = await store.recover_on_startup()
        assert [j.id for j in stale] == ids and "paid call" in (stale[0].stale_reason or "")
        assert stale[0].parts_done == 2
        await store.retrigger(ids)
        analyzer2 = ScriptedAnalyzer(clock, part_chars=600)
        worker = Worker(store, analyzer2, FixedPacer(clock, 0, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        calls = [c for c, _ in analyzer2.calls]
        n = int(calls[0].split("/")[1])
        assert calls == [f"part {i}/{n}" for i in range(3, n + 1)] + [f"combine {n}"]
        job = await store.get(ids[0])
        assert job is not None and job.state == JobState.DONE
        await store.close()

    asyncio.run(go())


def test_retryable_failures_back_off_then_give_up_after_max_attempts(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 2)
        fault = JobError(
            "http_503", "The provider is busy (503).", error_class=ErrorClass.RETRYABLE
        )
        analyzer = ScriptedAnalyzer(clock, latency=1.0, faults=[fault] * 5)
        worker = Worker(store, analyzer, FixedPacer(clock, 10, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        first, second = await store.list_jobs()
        assert first.state == JobState.FAILED and first.attempts == 5
        assert first.error_kind == "http_503" and "gave up after 5 attempts" in (first.error or "")
        assert second.state == JobState.DONE
        starts = [t for _, t in analyzer.calls]
        gaps = [round(b - a, 6) for a, b in itertools.pairwise(starts)]
        # each failure ends 1 s after its start; backoff 15, 30, 60, 120 from then;
        # after the 5th failure the job fails and the next job waits one more backoff (240)
        assert gaps == [16.0, 31.0, 61.0, 121.0, 241.0]
        await store.close()

    asyncio.run(go())


def test_an_internal_error_fails_the_job_plainly_and_is_reported(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 3)
        analyzer = ScriptedAnalyzer(clock, faults=[RuntimeError("boom")])
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        jobs = await store.list_jobs()
        # A bug is not retried blindly: the job ends failed at once, the queue goes on.
        assert [j.state for j in jobs] == [JobState.FAILED, JobState.DONE, JobState.DONE]
        assert jobs[0].error_kind == "internal" and jobs[0].attempts == 1
        assert "internal error" in (jobs[0].error or "") and "boom" not in (jobs[0].error or "")
        log = [e.message for e in await store.job_log(jobs[0].id)]
        assert any("RuntimeError: boom" in m and "Traceback" in m for m in log)
        assert len(worker.internal_errors) == 1
        await store.close()

    asyncio.run(go())


def test_stop_the_queue_error_pauses_without_burning_the_job(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 3)
        bad_key = JobError(
            "bad_key",
            "The provider rejected the bad API key (401).",
            error_class=ErrorClass.STOP_QUEUE,
        )
        analyzer = ScriptedAnalyzer(clock, faults=[bad_key])
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        jobs = await store.list_jobs()
        assert [j.state for j in jobs] == [JobState.QUEUED] * 3
        assert jobs[0].attempts == 0
        assert store.meta.paused and store.meta.pause_kind == "bad_key"
        assert "bad API key" in (store.meta.pause_reason or "")
        assert len(analyzer.calls) == 1  # not one failure per job
        await store.set_paused(False)
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        assert [j.state for j in await store.list_jobs()] == [JobState.DONE] * 3
        await store.close()

    asyncio.run(go())


def test_cancel_of_the_running_job(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, ids = await _setup(tmp_path, 2)
        analyzer = ScriptedAnalyzer(clock)
        analyzer.gate = asyncio.Event()
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        run = asyncio.create_task(worker.run(until_empty=True))
        while not analyzer.calls:
            await asyncio.sleep(0.01)
        await store.cancel([ids[0]])
        await asyncio.sleep(0.05)
        analyzer.gate.set()
        await asyncio.wait_for(run, 10)
        first, second = await store.list_jobs()
        assert first.state == JobState.CANCELLED and first.result is None
        assert second.state == JobState.DONE
        await store.close()

    asyncio.run(go())


def test_pause_holds_the_next_call_and_resume_continues(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 3)
        analyzer = ScriptedAnalyzer(clock)
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        await store.set_paused(True, "Paused by you", "user")
        await worker.run(until_empty=True)
        assert analyzer.calls == []
        assert (await store.counts())["queued"] == 3
        await store.set_paused(False)
        worker = Worker(store, analyzer, FixedPacer(clock, 0, _backoff()), clock, bus)
        await worker.run(until_empty=True)
        assert (await store.counts())["done"] == 3
        await store.close()

    asyncio.run(go())


def test_changed_document_fails_with_its_kind(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus, _ids = await _setup(tmp_path, 2)
        (tmp_path / "doc0.txt").write_text("something else entirely", encoding="utf-8")
        worker = Worker(store, OfflineAnalyzer(), FixedPacer(clock), clock, bus)
        await worker.run(until_empty=True)
        first, second = await store.list_jobs()
        assert first.state == JobState.FAILED and first.error_kind == "changed"
        assert "changed since it was added" in (first.error or "")
        assert second.state == JobState.DONE
        await store.close()

    asyncio.run(go())
