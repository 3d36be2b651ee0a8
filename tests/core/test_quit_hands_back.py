"""Stopping the worker (quitting): free work goes back to the queue, only a paid call in flight
is left to go stale."""

from __future__ import annotations

import asyncio
from pathlib import Path

from core.events import EventBus
from core.pacing import FixedPacer
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


class FreeAnalyzer(ScriptedAnalyzer):
    """Like the offline analyzer: not paced, costs nothing."""

    engine = "offline"
    paced = False


async def _stop_mid_call(tmp_path: Path, analyzer_type: type[ScriptedAnalyzer]) -> tuple[
        Store, int, FakeClock, EventBus]:  # fmt: skip
    clock = FakeClock()
    bus = EventBus()
    store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
    report = await store.add_jobs([new_job(write_doc(tmp_path / "doc.txt", 1))], max_queued=10)
    job_id = report.accepted[0].id
    analyzer = analyzer_type(clock)
    analyzer.gate = asyncio.Event()  # the call never ends by itself
    worker = Worker(store, analyzer, FixedPacer(clock), clock, bus)
    running = asyncio.create_task(worker.run())
    while not analyzer.calls:
        await asyncio.sleep(0.01)
    job = await store.get(job_id)
    assert job is not None and job.state == JobState.RUNNING and job.attempts == 1
    worker.stop("at quit")
    await running
    return store, job_id, clock, bus


def test_free_work_in_flight_is_handed_back_at_quit(tmp_path: Path) -> None:
    async def go() -> None:
        store, job_id, clock, bus = await _stop_mid_call(tmp_path, FreeAnalyzer)
        job = await store.get(job_id)
        assert job is not None
        assert job.state == JobState.QUEUED and job.attempts == 0  # no attempt charged
        log = [str(entry) for entry in await store.job_log(job_id)]
        assert any("handed back at quit" in line for line in log), log
        await store.close()
        # The next start finds nothing to mark stale: the job simply runs again.
        store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
        assert await store.recover_on_startup() == []
        await store.close()

    asyncio.run(go())


def test_a_paid_call_in_flight_goes_stale_at_quit(tmp_path: Path) -> None:
    async def go() -> None:
        store, job_id, clock, bus = await _stop_mid_call(tmp_path, ScriptedAnalyzer)
        job = await store.get(job_id)
        assert job is not None and job.state == JobState.RUNNING  # it may have been charged
        log = [str(entry) for entry in await store.job_log(job_id)]
        assert not any("handed back" in line for line in log), log
        await store.close()
        store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
        stale = await store.recover_on_startup()
        assert [j.id for j in stale] == [job_id]
        assert "paid call" in (stale[0].stale_reason or "")
        await store.close()

    asyncio.run(go())
