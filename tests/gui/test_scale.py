"""Scale without wall-clock asserts: a long history loads a page at a time, a big drop is one
block of rows, and the filter keeps the queue order through any sequence of changes."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QModelIndex, Qt

from core.events import JobAdded, JobChanged, JobRemoved, OrderChanged
from core.jobs import NewJob
from core.states import JobState
from core.store import Store
from gui.app import PacelineApp
from gui.job_filter import JobFilter
from gui.jobs_model import PAGE_SIZE, Column, JobsModel, Role
from tests.fake_clock import FakeClock
from tests.gui.conftest import run, until
from tests.gui.test_jobs_model import Recorder, make_job


async def _history(home: Path, finished: int, queued: int) -> None:
    store = await Store.open(home / "paceline.sqlite3", FakeClock())
    try:
        new = [NewJob(path=f"/archive/{n:05d}.txt", size=10, mtime=0.0, sha256=f"{n:064x}",
                      profile="Summary", prompt="p", provider="offline", model="builtin")
               for n in range(finished + queued)]
        await store.add_jobs(new, max_queued=len(new))

        async def finish(tx: Any) -> None:
            await tx.all("UPDATE jobs SET state = 'done', result = 'a result' WHERE id <= ?",
                         (finished,))

        await store.db.write(finish)
        await store.set_paused(True, "Paused by you", "user")  # nothing runs during the test
    finally:
        await store.close()


def test_a_long_history_opens_with_one_page(
    loop: qasync.QEventLoop, home: Path, start_app: Callable[..., PacelineApp]
) -> None:
    run(loop, _history(home, finished=5000, queued=3))
    app = start_app()
    window = app.window
    model, proxy = window.model, window.proxy
    assert model.rowCount() == 3 + PAGE_SIZE  # the queue, and the newest page only
    assert proxy.rowCount() == model.rowCount()
    assert window.last_summary.counts["done"] == 5000  # the totals count everything
    assert window.tabs.count_for(JobState.DONE) == 5000
    assert all(j.result is None for j in model.jobs())  # no result text kept in memory
    # The newest history first, right after the queue.
    ids = [proxy.index(r, 0).data(Role.JOB_ID) for r in range(5)]
    assert ids == [5001, 5002, 5003, 5000, 4999]
    assert proxy.canFetchMore(QModelIndex())
    proxy.fetchMore(QModelIndex())  # what the view does when scrolled to the bottom
    run(loop, until(lambda: model.rowCount() == 3 + 2 * PAGE_SIZE, what="page two"))
    assert proxy.rowCount() == model.rowCount()
    window.table.scrollToBottom()
    run(loop, until(lambda: model.rowCount() >= 3 + 3 * PAGE_SIZE, what="page three"))
    assert model.rowCount() < 5003  # still not everything


def test_a_big_drop_is_one_block_of_rows_in_queue_order(styled_app: object) -> None:
    model = JobsModel(FakeClock())
    for n in range(1, 4):  # some history first
        model.on_event(JobAdded(make_job(n, JobState.DONE)))
    model.flush()
    proxy = JobFilter()
    proxy.setSourceModel(model)
    seen = Recorder(model)
    proxy_inserts: list[tuple[int, int]] = []
    proxy.rowsInserted.connect(lambda _p, a, b: proxy_inserts.append((a, b)))
    for n in range(100, 2100):
        model.on_event(JobAdded(make_job(n, position=n)))
    model.flush()
    assert seen.inserted == [(3, 2002)]  # one beginInsertRows for 2,000 jobs
    assert proxy_inserts == [(0, 1999)]  # above the history, in one block too
    assert [proxy.index(r, 0).data() for r in (0, 1, 1999)] == ["1", "2", "2,000"]
    assert model.rank(2099) == 2000


def _reference(model: JobsModel, proxy: JobFilter) -> list[int]:
    """The order the filter should show, computed from scratch."""
    value = model.sort_key_function(Column(proxy.sortColumn()))
    keys = sorted((value(j), j.id) for j in model.jobs() if proxy.accepts(j))
    ids = [job_id for _v, job_id in keys]
    return ids if proxy.sortOrder() == Qt.SortOrder.AscendingOrder else ids[::-1]


def test_the_filter_matches_a_full_sort_after_any_changes(styled_app: object) -> None:
    rng = random.Random(6)
    model = JobsModel(FakeClock())
    proxy = JobFilter()
    proxy.setSourceModel(model)
    jobs: dict[int, Any] = {}
    next_id = 1
    states = list(JobState)
    for step in range(600):
        roll = rng.random()
        if roll < 0.35 or not jobs:
            for _ in range(rng.choice((1, 1, 1, 40))):
                job = make_job(next_id, rng.choice(states), position=next_id,
                               priority=rng.choice((0, 0, 1)))
                jobs[next_id] = job
                model.on_event(JobAdded(job))
                next_id += 1
        elif roll < 0.75:
            job_id = rng.choice(list(jobs))
            job = dataclasses.replace(jobs[job_id], state=rng.choice(states),
                                      position=rng.randint(1, next_id))
            jobs[job_id] = job
            model.on_event(JobChanged(job, frozenset({"state", "position"})))
        elif roll < 0.85:
            job_id = rng.choice(list(jobs))
            del jobs[job_id]
            model.on_event(JobRemoved(job_id))
        elif roll < 0.9:
            chosen = rng.sample(list(jobs), min(len(jobs), 5))
            positions = {i: rng.randint(1, next_id) for i in chosen}
            for i, p in positions.items():
                jobs[i] = dataclasses.replace(jobs[i], position=p)
            model.on_event(OrderChanged(positions))
        elif roll < 0.95:
            proxy.set_states(rng.choice([None, {JobState.QUEUED}, {JobState.DONE,
                                                                    JobState.FAILED}]))
        else:
            proxy.sort(rng.choice([Column.POSITION, Column.STATE, Column.DOCUMENT]),
                       rng.choice([Qt.SortOrder.AscendingOrder, Qt.SortOrder.DescendingOrder]))
        if step % 7 == 0:
            model.flush()
            proxy.apply_pending()
            shown = [proxy.index(r, 0).data(Role.JOB_ID) for r in range(proxy.rowCount())]
            assert shown == _reference(model, proxy), f"step {step}"
            for row in rng.sample(range(proxy.rowCount()), min(5, proxy.rowCount())):
                source = proxy.mapToSource(proxy.index(row, 1))
                assert proxy.mapFromSource(source).row() == row
    assert len(jobs) > 100
