"""The detail pane's Log tab: the selected job's events in local time, live, copyable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QDateTime, QLocale
from PySide6.QtGui import QGuiApplication, QTextCursor

from gui.app import PacelineApp
from gui.detail_pane import LOG_TIME_FORMAT
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def _local_time(at: float) -> str:
    when = QDateTime.fromMSecsSinceEpoch(round(at * 1000)).toLocalTime()
    return QLocale().toString(when.time(), LOG_TIME_FORMAT)


def test_the_log_tab_shows_each_event_live_in_local_time_and_copies(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    detail = window.detail
    run(loop, app.engine.pause())  # the job waits, so the tab is open before it runs
    run(loop, window.add_paths(make_docs(tmp_path, 1)))
    run(loop, until(lambda: window.model.jobs(), what="the job in the table"))
    job = window.model.jobs()[0]
    assert window.select_job(job.id)
    detail.tabs.setCurrentWidget(detail.log_page)
    run(loop, until(lambda: "added to the queue" in detail.log_view.toPlainText(),
                    what="the added line"))  # fmt: skip
    assert detail.log_page.copy_button.isEnabled()

    # A line written without a change to the job's row (as a call's start is) shows up too:
    # the tab reads a waiting or running job's log again while it is open.
    run(loop, app.engine.store.log(job.id, "a note from another process"))
    run(loop, until(lambda: "a note from another process" in detail.log_view.toPlainText(),
                    what="the note, without a new selection"))  # fmt: skip

    # A selection being copied survives new lines.
    cursor = detail.log_view.textCursor()
    cursor.movePosition(QTextCursor.MoveOperation.Start)
    cursor.movePosition(QTextCursor.MoveOperation.Down)
    cursor.movePosition(QTextCursor.MoveOperation.EndOfLine, QTextCursor.MoveMode.KeepAnchor)
    detail.log_view.setTextCursor(cursor)
    selected = detail.log_view.textCursor().selectedText()
    assert "added to the queue" in selected

    run(loop, app.engine.resume())
    run(loop, until(lambda: window.last_summary.counts.get("done") == 1, what="done"))
    run(loop, until(lambda: "\n" in detail.log_view.toPlainText()
                    and detail.log_view.toPlainText().rstrip().splitlines()[-1]
                    .split("  ", 1)[-1].startswith("done: "), what="the done line"))  # fmt: skip
    assert detail.log_view.textCursor().selectedText() == selected

    entries = run(loop, app.engine.job_log(job.id))
    assert [str(e.event) for e in entries] == [
        "added", "note", "claimed", "call_started", "done"]
    shown = detail.log_view.toPlainText().splitlines()
    day = QDateTime.fromMSecsSinceEpoch(round(entries[0].at * 1000)).toLocalTime().date()
    # the day once, above its first event; then a line per event, oldest first
    assert shown[0] == QLocale().toString(day, QLocale.FormatType.LongFormat)
    assert shown[1:] == [f"{_local_time(e.at)}  {e.message}" for e in entries]

    # Copy puts the whole log on the clipboard, as shown.
    detail.log_page.copy_button.click()
    assert QGuiApplication.clipboard().text() == detail.log_view.toPlainText()

    # A finished job is not read again: nothing more can happen to it by itself.
    run(loop, until(lambda: not detail.log_page._timer.isActive(), what="polling stopped"))


def test_another_job_shows_its_own_log_and_none_when_nothing_is_selected(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    detail = window.detail
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 2, what="both done"))
    first, second = sorted(window.model.jobs(), key=lambda j: j.id)
    detail.tabs.setCurrentWidget(detail.log_page)
    for job in (first, second):
        window.select_job(job.id)
        run(loop, until(lambda job=job: detail.shown_job is not None
                        and detail.shown_job.id == job.id, what="the job shown"))  # fmt: skip
        text = detail.log_view.toPlainText()
        assert f"added to the queue ({job.size:,} bytes" in text  # this job's own line
        assert text.count("claimed (attempt 1 of 5)") == 1  # its own log only, once
        assert detail.log_page.job_id == job.id
    window.table.clearSelection()
    run(loop, until(lambda: detail.shown_job is None, what="nothing selected"))
    assert detail.log_view.toPlainText() == ""
    assert not detail.log_page.copy_button.isEnabled()
