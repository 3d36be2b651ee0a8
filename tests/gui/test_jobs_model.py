"""The jobs model and its filter, fed by synthetic core events: row-level updates only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import qasync
from PySide6.QtCore import QModelIndex

from core.events import JobAdded, JobChanged, JobProgress, JobRemoved, OrderChanged
from core.jobs import Job, NewJob
from core.states import JobState
from core.store import Store
from gui.job_filter import JobFilter
from gui.jobs_model import Column, JobsModel, Role
from tests.fake_clock import FakeClock
from tests.gui.conftest import run, until


def make_job(job_id: int, state: JobState = JobState.QUEUED, **kw: Any) -> Job:
    fields: dict[str, Any] = dict(
        id=job_id, path=f"/docs/report-{job_id}.txt", size=100, mtime=0.0, sha256=f"{job_id:x}",
        profile="Summary", prompt="Summarise.", provider="offline", model="builtin",
        state=state, position=job_id, created_at=1.0, updated_at=1.0,
    )
    fields.update(kw)
    return Job(**fields)


class Recorder:
    """Counts the model's signals; a model reset is a test failure."""

    def __init__(self, model: JobsModel) -> None:
        self.changed: list[tuple[int, int, int, int]] = []
        self.inserted: list[tuple[int, int]] = []
        self.removed: list[tuple[int, int]] = []
        self.resets = 0
        model.dataChanged.connect(
            lambda tl, br, _roles=(): self.changed.append(
                (tl.row(), br.row(), tl.column(), br.column())))
        model.rowsInserted.connect(lambda _p, a, b: self.inserted.append((a, b)))
        model.rowsRemoved.connect(lambda _p, a, b: self.removed.append((a, b)))
        model.modelReset.connect(self._reset)

    def _reset(self) -> None:
        self.resets += 1


class FakeSource:
    def __init__(self, active: list[Job], history: list[Job]) -> None:
        self.active = active
        self.history = sorted(history, key=lambda j: -j.id)
        self.pages = 0

    async def queued_in_order(self) -> list[Job]:
        return list(self.active)

    async def history_page(self, limit: int, before_id: int | None = None) -> list[Job]:
        self.pages += 1
        older = [j for j in self.history if before_id is None or j.id < before_id]
        return older[:limit]


def test_adds_changes_and_removals_are_row_level() -> None:
    model = JobsModel(FakeClock())
    seen = Recorder(model)
    for n in range(1, 6):
        model.on_event(JobAdded(make_job(n)))
    model.flush()
    assert model.rowCount() == 5
    assert seen.inserted == [(0, 4)]  # a burst becomes one block

    running = make_job(3, JobState.RUNNING, attempts=1, started_at=5.0)
    model.on_event(JobChanged(running, frozenset({"state", "attempts", "started_at"})))
    assert seen.changed, "a change must emit dataChanged"
    for top, bottom, _first, _last in seen.changed:
        assert top == bottom == model.row_of(3)
    changed_columns = {c for _t, _b, first, last in seen.changed for c in range(first, last + 1)}
    assert Column.STATE in changed_columns and Column.ATTEMPTS in changed_columns
    assert Column.DOCUMENT not in changed_columns and Column.PROFILE not in changed_columns

    model.on_event(JobRemoved(2))
    model.on_event(JobRemoved(4))
    model.flush()
    assert sorted(j.id for j in model.jobs()) == [1, 3, 5]
    assert sorted(seen.removed) == [(1, 1), (3, 3)]
    assert model.job(3).state == JobState.RUNNING
    assert seen.resets == 0


def test_the_model_keeps_no_result_text() -> None:
    model = JobsModel(FakeClock())
    model.on_event(JobAdded(make_job(1, JobState.DONE, result="# A long result")))
    model.flush()
    assert model.job(1).result is None  # read from the store by the detail pane instead


def test_progress_is_coalesced(loop: qasync.QEventLoop) -> None:
    model = JobsModel(FakeClock())
    model.on_event(JobAdded(make_job(1, JobState.RUNNING, parts_planned=4)))
    model.flush()
    seen = Recorder(model)
    for n in range(200):
        model.on_event(JobProgress(1, 1, 4, n / 200))
    assert seen.changed == []  # nothing yet: updates wait for the timer

    async def settle() -> None:
        await until(lambda: seen.changed, what="a progress update")
        await __import__("asyncio").sleep(0.25)

    run(loop, settle())
    assert 1 <= len(seen.changed) <= 3
    assert all(first == last == Column.PROGRESS for _t, _b, first, last in seen.changed)
    assert model.job(1).part_fraction > 0.9


def test_a_late_progress_event_does_not_undo_done() -> None:
    model = JobsModel(FakeClock())
    model.on_event(JobAdded(make_job(1, JobState.RUNNING, parts_planned=2)))
    model.on_event(JobProgress(1, 0, 2, 0.5))
    model.on_event(JobChanged(make_job(1, JobState.DONE, parts_planned=2, parts_done=2),
                              frozenset({"state"})))
    model._flush_progress()
    assert model.job(1).state == JobState.DONE
    assert model.job(1).progress == 1.0


def test_rank_follows_the_claim_order() -> None:
    model = JobsModel(FakeClock())
    for n in (1, 2, 3):
        model.on_event(JobAdded(make_job(n)))
    model.flush()
    assert [model.rank(n) for n in (1, 2, 3)] == [1, 2, 3]
    model.on_event(OrderChanged({3: 1, 1: 3}))
    assert [model.rank(n) for n in (1, 2, 3)] == [3, 2, 1]
    index = model.index(model.row_of(3), Column.POSITION)
    assert index.data() == "1"


def test_history_loads_lazily_newest_first(loop: qasync.QEventLoop) -> None:
    active = [make_job(2000 + n) for n in range(3)]
    history = [make_job(n, JobState.DONE, finished_at=float(n)) for n in range(1, 1201)]
    source = FakeSource(active, history)
    model = JobsModel(FakeClock(), source, page_size=500)
    run(loop, model.load())
    assert model.rowCount() == 503
    assert min(j.id for j in model.jobs() if j.state == JobState.DONE) == 701
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    run(loop, until(lambda: model.rowCount() == 1003, what="the second page"))
    model.fetchMore(QModelIndex())
    run(loop, until(lambda: model.rowCount() == 1203, what="the last page"))
    assert not model.canFetchMore(QModelIndex())
    assert source.pages == 3


def test_a_change_to_an_unloaded_old_job_waits_for_its_page(loop: qasync.QEventLoop) -> None:
    history = [make_job(n, JobState.DONE) for n in range(1, 21)]
    model = JobsModel(FakeClock(), FakeSource([], history), page_size=10)
    run(loop, model.load())
    assert model.rowCount() == 10
    model.on_event(JobChanged(make_job(3, JobState.FAILED), frozenset({"state"})))
    assert model.row_of(3) is None  # it comes with its page, in its place
    model.on_event(JobChanged(make_job(4, JobState.QUEUED), frozenset({"state"})))
    assert model.row_of(4) is not None  # re-triggered: active jobs are always shown


def test_filter_by_state_and_search() -> None:
    model = JobsModel(FakeClock())
    model.on_event(JobAdded(make_job(1)))
    model.on_event(JobAdded(make_job(2, JobState.FAILED, error="HTTP 503 from the server",
                                     error_kind="server")))
    model.on_event(JobAdded(make_job(3, JobState.STALE, path="/docs/contract.pdf",
                                     stale_reason="Paceline stopped")))
    model.flush()
    proxy = JobFilter()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 3
    proxy.set_states({JobState.STALE})
    assert proxy.rowCount() == 1
    assert proxy.index(0, 0).data(Role.JOB_ID) == 3
    proxy.set_states(None)
    proxy.set_search("503")
    assert [proxy.index(r, 0).data(Role.JOB_ID) for r in range(proxy.rowCount())] == [2]
    proxy.set_search("CONTRACT pdf")
    assert proxy.rowCount() == 1


def test_queue_order_sorting_puts_running_first_then_queue_then_history() -> None:
    model = JobsModel(FakeClock())
    jobs = [make_job(1, JobState.DONE), make_job(2, JobState.QUEUED, position=9),
            make_job(3, JobState.RUNNING), make_job(4, JobState.QUEUED, position=5),
            make_job(5, JobState.STALE)]
    for job in jobs:
        model.on_event(JobAdded(job))
    model.flush()
    proxy = JobFilter()
    proxy.setSourceModel(model)
    order = [proxy.index(r, 0).data(Role.JOB_ID) for r in range(proxy.rowCount())]
    assert order == [3, 4, 2, 5, 1]
    # A job that changes place shows its new values at once and moves with the next batch
    # of moves (one layout change for many, not a relayout of the view per job).
    model.on_event(JobChanged(dataclasses.replace(jobs[4], state=JobState.QUEUED, position=3),
                              frozenset({"state", "position"})))
    order = [proxy.index(r, 0).data(Role.JOB_ID) for r in range(proxy.rowCount())]
    assert order == [3, 4, 2, 5, 1]
    assert proxy.index(3, Column.STATE).data() == "Queued"
    proxy.apply_pending()
    order = [proxy.index(r, 0).data(Role.JOB_ID) for r in range(proxy.rowCount())]
    assert order == [3, 5, 4, 2, 1]  # now first in the queue (position 3 < 5 < 9)


def test_lazy_history_on_a_real_store(loop: qasync.QEventLoop, tmp_path: Path) -> None:
    async def scenario() -> None:
        store = await Store.open(tmp_path / "q.sqlite3", FakeClock())
        try:
            new = [NewJob(path=f"/docs/{n}.txt", size=10, mtime=0.0, sha256=f"{n:064x}",
                          profile="Summary", prompt="p", provider="offline", model="builtin")
                   for n in range(1205)]
            await store.add_jobs(new, max_queued=10_000)

            async def finish(tx: Any) -> None:
                await tx.all("UPDATE jobs SET state = 'done' WHERE id <= 1200")
                await tx.all("UPDATE jobs SET state = 'failed', error_kind = 'server' "
                             "WHERE id IN (10, 11)")
                await tx.all("UPDATE jobs SET state = 'failed', error_kind = 'changed' "
                             "WHERE id = 12")

            await store.db.write(finish)
            assert await store.error_kinds(JobState.FAILED) == {"server": 2, "changed": 1}
            model = JobsModel(FakeClock(), store, page_size=500)
            await model.load()
            assert model.rowCount() == 5 + 500  # every active job, the newest history page
            model.fetchMore(QModelIndex())
            await until(lambda: model.rowCount() == 1005, what="page two")
            model.fetchMore(QModelIndex())
            await until(lambda: model.rowCount() == 1205, what="page three")
            assert not model.canFetchMore(QModelIndex())
            assert len({j.id for j in model.jobs()}) == 1205
        finally:
            await store.close()

    run(loop, scenario())


def test_the_error_cell_names_the_kind_and_the_tooltip_has_the_message() -> None:
    from PySide6.QtCore import Qt

    model = JobsModel(FakeClock())
    message = "report.pdf is damaged and cannot be read. Re-save it and add it again."
    model.on_event(JobAdded(make_job(1, JobState.FAILED, error_kind="corrupt", error=message)))
    model.flush()
    cell = model.index(model.row_of(1), Column.ERROR)
    assert model.data(cell) == "Damaged document"  # in the window's language
    assert message in model.data(cell, Qt.ItemDataRole.ToolTipRole)
