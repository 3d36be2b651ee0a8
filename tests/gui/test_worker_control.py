"""New settings reach the worker at a job boundary; a failing task is reported, not lost."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync

from core.jobs import AddReport
from core.settings import Settings
from core.states import JobState
from gui.add_report import summarize
from gui.app import PacelineApp
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.gui.conftest import make_docs, run, until
from tests.gui.test_jobs_model import make_job

StartApp = Callable[..., PacelineApp]


def test_settings_apply_after_the_running_paid_call(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    analyzer = ScriptedAnalyzer(clock, latency=0.0)
    monkeypatch.setattr("core.engine.make_analyzer", lambda *_a, **_k: analyzer)
    app = start_app(clock=clock, settings=Settings(pause_s=0.0))
    gate = asyncio.Event()
    analyzer.gate = gate  # the first call stays in flight until the test lets it go
    run(loop, app.window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: len(analyzer.calls) == 1, what="a call in flight"))

    applied = run(loop, app.worker.apply_settings(Settings(pause_s=0.0, max_attempts=3)))
    assert applied is False and app.worker.restart_pending
    assert app.engine.worker is not None  # the paid call is not interrupted

    gate.set()
    run(loop, until(lambda: app.window.last_summary.counts.get("done") == 2, what="both done"))
    assert not app.worker.restart_pending and app.worker.running
    assert app.engine.settings.max_attempts == 3
    states = {j.state for j in app.window.model.jobs()}
    assert states == {JobState.DONE}  # nothing stale: the worker stopped between jobs


def test_a_failing_task_is_shown_to_the_person(
    loop: qasync.QEventLoop, start_app: StartApp
) -> None:
    app = start_app()

    async def broken() -> None:
        raise OSError("disk full")

    app.runner.start(broken(), "Saving the export")
    run(loop, until(lambda: app.window.add_banner.isVisible(), what="the error banner"))
    assert app.window.add_banner.level == "error"
    assert "Saving the export failed" in app.window.add_banner.text
    assert "disk full" in app.window.add_banner.detail


def test_english_plural_forms(styled_app: object) -> None:
    one = AddReport(accepted=[make_job(1)])
    assert summarize(one).text == "Added 1 document to the queue."
    two = AddReport(accepted=[make_job(1), make_job(2)])
    assert summarize(two).text == "Added 2 documents to the queue."
