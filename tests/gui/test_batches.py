"""Batch mode in the window: Send as batch, the Batches pane, the jobs' batch stage, cost at
half price, the tray's and the notification's count of jobs in batches.

The window runs on a real engine and batch runner against the real Batch API test server
(tests/batch_server.py) on 127.0.0.1. Time is a FakeClock the test moves on: the provider's
day passes in no real time, and the runner's polls wait for the test (or Check now).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync

from core.batches import Batch, BatchStage, cost
from core.settings import Settings
from core.states import JobState
from gui.app import PacelineApp
from gui.batches_pane import ETA as PANE_ETA
from gui.batches_pane import EXPIRES, PROBLEM, STAGE
from gui.jobs_model import Column
from gui.queue_summary import QueueSummary
from gui.queue_watch import QueueWatch
from tests.batch_server import BatchServer
from tests.fake_clock import FakeClock
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]
POLL_S = 30.0  # the runner polls when the test moves the clock this far


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(auto_advance=False)


@pytest.fixture
def batch_server(clock: FakeClock) -> Iterator[BatchServer]:
    with BatchServer(now=clock.wall) as fake:
        yield fake


def _settings(server: BatchServer, **kw: object) -> Settings:
    return Settings(provider="openai", preset="custom", api_base=server.url, model="qwen-plus",
                    pause_s=0.0, batch_poll_s=POLL_S, price_per_1k_tokens=0.002,
                    **kw)  # type: ignore[arg-type]


def _advance(loop: qasync.QEventLoop, clock: FakeClock, seconds: float) -> None:
    """Move the clock on once the runner sleeps on it: moved earlier, its next sleep would
    start from the new time and the poll the test waits for would come a whole poll later."""
    run(loop, until(lambda: any(not sleep.done() for _at, sleep in clock._waiters),
                    what="the runner to wait for its next poll"))
    clock.advance(seconds)


def _select_all(app: PacelineApp) -> None:
    app.window.table.selectAll()
    app.window._selection_changed()


def _cell(app: PacelineApp, job_id: int, column: Column) -> str:
    model = app.window.model
    row = model.row_of(job_id)
    assert row is not None
    return str(model.index(row, column).data())


def test_send_as_batch_says_why_not_offline_and_a_refusal_is_a_banner(
    loop: qasync.QEventLoop, start_app: StartApp
) -> None:
    app = start_app()  # the offline analyzer: no Batch API
    window = app.window
    refusal = window.engine.batch_refusal()
    assert refusal and "offline" in refusal
    window.job_actions.update_enabled()
    action = window.job_actions.send_batch
    assert not action.isEnabled() and action.toolTip() == refusal
    assert not window.batches_pane.isVisible()  # no batches: no pane taking room
    run(loop, window.job_actions.do_send_batch([1]))
    assert window.add_banner.isVisible()
    assert "not sent as a batch" in window.add_banner.text
    assert refusal in window.add_banner.detail


def test_a_selection_goes_out_as_a_batch_and_comes_back_at_half_price(
    loop: qasync.QEventLoop, start_app: StartApp, batch_server: BatchServer,
    clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", "sk-test-batches")
    app = start_app(clock=clock, settings=_settings(batch_server))
    window, engine = app.window, app.window.engine
    sent: list[tuple[str, str]] = []
    window.watch.queue_emptied.connect(lambda title, text: sent.append((title, text)))
    run(loop, until(lambda: engine.batch_runner is not None, what="the batch runner"))
    run(loop, engine.pause())  # the worker must not call for them before they are sent
    run(loop, window.add_paths(make_docs(tmp_path, 4)))
    run(loop, until(lambda: len(window.model.jobs()) == 4, what="four queued jobs"))
    ids = sorted(j.id for j in window.model.jobs())

    _select_all(app)
    assert window.job_actions.send_batch.isEnabled()
    run(loop, window.job_actions.do_send_batch())
    # A paused queue sends no new batch; resumed from the window, it goes out at once.
    assert window.job_actions.paused
    run(loop, window.job_actions.toggle_pause())
    pane = window.batches_pane

    def stage() -> str:
        item = pane.table.item(0, STAGE)
        return item.text() if item is not None else ""

    run(loop, until(lambda: stage() == "validating 0 / 4", what="the provider's validating"))
    assert pane.isVisible()
    assert pane.table.item(0, EXPIRES).text() == "in 24 h 00 min"
    assert pane.table.item(0, PROBLEM).text() == ""
    assert _cell(app, ids[0], Column.STATE) == "batch 1 · validating 0/4"

    # Check now wakes the runner (it is this window's: the window holds the worker).
    woken: list[bool] = []
    runner = engine.batch_runner
    assert runner is not None
    real_wake = runner.wake
    monkeypatch.setattr(runner, "wake", lambda: (woken.append(True), real_wake()))
    pane.select_batch(1)
    assert pane.check_button.isEnabled()
    pane.check_button.click()
    assert woken == [True]
    assert window.statusBar().currentMessage() == "Checking the batches now."

    # The provider works while the runner waits for its next poll.
    _advance(loop, clock, 32)  # 30 s validating, then one request a second: 2 of 4 answered
    run(loop, until(lambda: stage() == "in progress 2 / 4", what="in progress with counts"))
    run(loop, until(lambda: window.last_summary.in_batches == 4, what="4 jobs in a batch"))
    run(loop, until(lambda: _cell(app, ids[0], Column.ETA) != "", what="the batch's ETA"))
    assert _cell(app, ids[0], Column.STATE) == "batch 1 · in progress 2/4"
    assert _cell(app, ids[0], Column.PROGRESS) == "50 %"
    # 2 settled in the 32 s since the provider took it: the other 2 take about as long.
    assert pane.table.item(0, PANE_ETA).text() == "≈ 32 s"
    assert _cell(app, ids[0], Column.ETA) == "≈ 32 s"
    assert "4 waiting in 1 batch" in window.watch.tooltip()
    assert "4 waiting in 1 batch" in window.status.eta_label.text()
    assert not pane.download_button.isEnabled()  # answers come with the whole batch
    assert sent == []  # sending them as a batch ended no spell worth a word

    # The selected batch's jobs only, then every job again.
    pane.show_jobs_button.setChecked(True)
    assert window.proxy.batch == 1 and window.proxy.rowCount() == 4
    pane.show_jobs_button.setChecked(False)
    assert window.proxy.batch is None

    _advance(loop, clock, 40)  # the other 2 requests and 30 s finalizing: done at the next poll
    run(loop, until(lambda: stage() == "downloading 4 / 4", what="the results' download"))
    _advance(loop, clock, POLL_S)  # the runner reads the results at its next turn
    run(loop, until(lambda: window.last_summary.counts.get("done") == 4, what="four done"))
    run(loop, until(lambda: pane.batches[1].stage == BatchStage.FINISHED, what="finished"))
    run(loop, until(lambda: sent, what="the notification"))
    assert sent == [("The queue is empty", "4 done")]
    assert stage() == "finished 4 / 4"
    assert window.watch.tooltip() == "Paceline — the queue is empty"

    # Every token came back through the batch: the cost is half the normal price.
    summary = window.last_summary
    assert summary.tokens > 0 and summary.batch_tokens == summary.tokens
    assert summary.cost == pytest.approx(cost(summary.tokens, summary.tokens, 0.002))
    assert summary.cost == pytest.approx(summary.tokens / 1000 * 0.002 / 2)
    assert "through batches, at half the price" in window.status.tokens_label.toolTip()

    pane.select_batch(1)
    assert pane.download_button.isEnabled()
    out = tmp_path / "batch-1.md"
    run(loop, pane.download(1, "md", str(out)))
    text = out.read_text(encoding="utf-8")
    for job_id in ids:
        job = run(loop, engine.job(job_id))
        assert job is not None and job.state == JobState.DONE
        assert job.name in text
    assert (batch_server.uploads, batch_server.creations) == (1, 1)
    assert batch_server.chats == []  # not one normal call


def test_cancel_asks_the_provider_and_the_pane_says_so(
    loop: qasync.QEventLoop, start_app: StartApp, batch_server: BatchServer,
    clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", "sk-test-batches")
    app = start_app(clock=clock, settings=_settings(batch_server))
    window, engine = app.window, app.window.engine
    run(loop, until(lambda: engine.batch_runner is not None, what="the batch runner"))
    run(loop, engine.pause())
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: len(window.model.jobs()) == 2, what="two queued jobs"))
    _select_all(app)
    run(loop, window.job_actions.do_send_batch())
    run(loop, window.job_actions.toggle_pause())
    pane = window.batches_pane
    run(loop, until(lambda: 1 in pane.batches and pane.batches[1].status == "validating",
                    what="a submitted batch"))
    pane.select_batch(1)
    window.job_actions.confirm = lambda _title, _question: True
    assert pane.cancel_button.isEnabled()
    run(loop, pane.cancel_selected())
    assert pane.batches[1].cancel_requested
    assert "(cancel asked)" in pane.table.item(0, STAGE).text()
    assert not pane.cancel_button.isEnabled()
    for _poll in range(4):  # the provider's cancelling takes 10 s; then the download
        _advance(loop, clock, POLL_S)
        with contextlib.suppress(AssertionError):
            run(loop, until(lambda: not pane.batches[1].open, timeout=1.0))
    assert not pane.batches[1].open
    assert pane.table.item(0, STAGE).text() == "cancelled 0 / 2"
    run(loop, until(lambda: window.last_summary.in_batches == 0, what="no job in a batch"))
    assert {j.state for j in window.model.jobs()} != {JobState.RUNNING}


def _summary(read: int, *, running: int = 0, done: int = 0, in_batch: int = 0,
             queued: int = 0) -> QueueSummary:
    counts = {"queued": queued, "running": running, "done": done, "failed": 0,
              "cancelled": 0, "stale": 0}
    batches: tuple[Batch, ...] = ()
    if in_batch:
        batches = (Batch(id=1, stage=BatchStage.SUBMITTED, status="in_progress", step="",
                         provider="custom", model="m", host="h", file_sha=None, file_bytes=0,
                         remote_file=None, remote_batch=None, total=in_batch, completed=0,
                         failed=0, created_at=0.0, updated_at=0.0, remote_created=None,
                         expires_at=None, finished_at=None, cancel_requested=False,
                         error=None, jobs=in_batch),)
    return QueueSummary(counts=counts, eta_total=60.0, read_number=read, batches=batches)


def test_the_notification_counts_the_jobs_still_in_batches(styled_app: object) -> None:
    sent: list[str] = []
    watch = QueueWatch(lambda: True)
    titles: list[str] = []
    watch.queue_emptied.connect(lambda title, text: (titles.append(title), sent.append(text)))
    watch.update(_summary(1))
    watch.note_activity(2)
    watch.update(_summary(2, queued=2, running=40, in_batch=40))
    assert watch.tooltip() == "Paceline — 0 of 42 done, ETA 1 min 00 s · 40 waiting in 1 batch"
    # The calls are done; the provider still has its batch: the spell ends, and says so.
    watch.update(_summary(3, running=40, done=2, in_batch=40))
    assert sent == ["2 done · 40 waiting in 1 batch"]
    watch.update(_summary(4, running=40, done=2, in_batch=40))
    assert len(sent) == 1  # still waiting: no second word
    watch.update(_summary(5, done=42))  # the batch came back: a spell of its own
    assert sent == ["2 done · 40 waiting in 1 batch", "40 done"]
    # with jobs still at the provider the queue is not called empty
    assert titles == ["The queue's calls are done", "The queue is empty"]


def test_the_settings_dialog_has_the_batch_threshold(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path
) -> None:
    (home / "settings.json").write_text(json.dumps({"batch_threshold": 250}), encoding="utf-8")
    app = start_app()
    dialog = app.window.open_settings()
    field = dialog.batch_threshold
    assert field.value() == 250
    assert field.text() == "drops of more than 250 documents"
    field.setValue(0)
    assert field.text() == "never by itself"  # 0: no drop goes out as a batch by itself
    assert dialog.values().batch_threshold == 0
    field.setValue(1000)
    assert dialog.values().batch_threshold == 1000
    dialog.reject()
