"""An answer cut at the output limit, in the window: the row is flagged, the detail pane says so,
and "Run again with a larger output limit" doubles the setting and queues the job again.

The whole application runs against the fake OpenAI-compatible server on 127.0.0.1, whose first
answer stops with ``finish_reason: "length"``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from core.jobs import Job
from core.states import JobState
from gui.app import PacelineApp
from gui.icons import cut_off_icon, state_icon
from gui.jobs_model import Column
from tests.fake_provider import FakeProvider
from tests.gui.conftest import make_docs, run, until, use_server

StartApp = Callable[..., PacelineApp]
SCREENSHOT = os.environ.get("PACELINE_SCREENSHOT")  # e.g. /tmp/flagged.png, to look at it


@pytest.fixture
def openai_home(home: Path, server: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> Path:
    return use_server(home, server, monkeypatch, max_output_tokens=1024)


def _job(app: PacelineApp, name: str) -> Job:
    return next(j for j in app.window.model.jobs() if Path(j.path).name == name)


def _cell(app: PacelineApp, job: Job, column: Column, role: Qt.ItemDataRole) -> object:
    model = app.window.model
    row = model.row_of(job.id)
    assert row is not None
    return model.data(model.index(row, column), role)


def test_a_cut_off_answer_is_flagged_and_runs_again_with_a_doubled_limit(
    loop: qasync.QEventLoop,
    start_app: StartApp,
    openai_home: Path,
    server: FakeProvider,
    tmp_path: Path,
) -> None:
    server.script(["length"])  # the first answer is cut at the limit; later ones are whole
    app = start_app()
    window = app.window
    window.resize(1280, 800)
    cut_doc, whole_doc = make_docs(tmp_path, 2)
    run(loop, window.add_paths([cut_doc]))
    run(
        loop,
        until(lambda: _job(app, cut_doc.name).state == JobState.DONE, what="the first job done"),
    )
    run(loop, window.add_paths([whole_doc]))
    run(
        loop,
        until(
            lambda: (
                window.model.jobs()[-1].state == JobState.DONE and len(window.model.jobs()) == 2
            ),
            what="the second job done",
        ),
    )

    # The row: a marker icon and wording in the state column, the kind in the error column.
    cut, whole = _job(app, cut_doc.name), _job(app, whole_doc.name)
    assert cut.error_kind == "output_truncated" and whole.error_kind is None
    assert _cell(app, cut, Column.STATE, Qt.ItemDataRole.DisplayRole) == "Done, cut off"
    icon = _cell(app, cut, Column.STATE, Qt.ItemDataRole.DecorationRole)
    assert icon.cacheKey() == cut_off_icon().cacheKey()  # type: ignore[attr-defined]
    plain = _cell(app, whole, Column.STATE, Qt.ItemDataRole.DecorationRole)
    assert plain.cacheKey() == state_icon(JobState.DONE).cacheKey()  # type: ignore[attr-defined]
    assert _cell(app, cut, Column.ERROR, Qt.ItemDataRole.DisplayRole) == (
        "Cut off at the output limit"
    )
    tip = str(_cell(app, cut, Column.ERROR, Qt.ItemDataRole.ToolTipRole))
    assert "output limit of 1024 tokens" in tip
    assert _cell(app, whole, Column.ERROR, Qt.ItemDataRole.DisplayRole) == ""

    # The detail pane: the answer, and above it what happened and what to do.
    _select(app, cut)
    notice = window.detail.notice
    run(
        loop,
        until(
            lambda: window.detail.shown_job is not None and window.detail.shown_job.id == cut.id,
            what="the detail pane",
        ),
    )
    assert notice.isVisible() and notice.level == "warning"
    assert notice.text == "This answer is incomplete."
    assert "cut off at the output limit of 1024 tokens" in notice.detail
    button = notice.button("Run again with a larger output limit")
    assert button is not None
    assert "Analysis of" in window.detail.result_view.toPlainText()  # the cut answer is kept
    if SCREENSHOT:
        run(loop, until(lambda: window.last_summary.counts.get("done") == 2, what="counts"))
        window.add_banner.dismiss()
        QApplication.processEvents()  # the layout closes the banner's gap
        window.grab().save(SCREENSHOT)

    # The context menu offers the action for this row (and not for the whole one).
    actions = window.job_actions
    window._context_menu(QPoint(10, 10))
    menu = [a for a in window.context_menu.actions() if a.text()]
    assert actions.rerun_larger in menu and actions.rerun_larger.isEnabled()
    window.context_menu.close()
    _select(app, whole)
    assert not actions.rerun_larger.isEnabled()

    # The detail pane's button: the limit doubles (saved like the dialog saves it), the job is
    # queued again, and the next call asks for 2048 tokens.
    _select(app, cut)
    run(
        loop,
        until(
            lambda: notice.button("Run again with a larger output limit") is not None,
            what="the button",
        ),
    )
    button = notice.button("Run again with a larger output limit")
    assert button is not None
    # What the action says goes to the status bar, which a later message (the queue emptied)
    # may replace within the second: kept here as it is said.
    said: list[str] = []
    actions.notify = lambda text: (said.append(text), window.notify(text))[-1]
    QTest.mouseClick(button, Qt.MouseButton.LeftButton)
    message = "Output limit raised from 1024 to 2048 tokens; 1 job re-queued."
    run(loop, until(lambda: message in said, what=f"the status message {said}"))
    saved = json.loads((openai_home / "settings.json").read_text(encoding="utf-8"))
    assert saved["max_output_tokens"] == 2048 and saved["api_base"] == server.url
    assert app.engine.settings.max_output_tokens == 2048
    run(loop, until(lambda: len(server.chat_requests) == 3, what="the third call"))
    run(
        loop,
        until(lambda: _job(app, cut_doc.name).state == JobState.DONE, what="the job done again"),
    )
    assert server.chat_requests[-1].body["max_tokens"] == 2048
    again = _job(app, cut_doc.name)
    assert again.error_kind is None
    assert _cell(app, again, Column.STATE, Qt.ItemDataRole.DisplayRole) == "Done"

    # The context menu's action works the same way on a selection.
    server.script(["length"])
    run(loop, window.add_paths(make_docs(tmp_path, 1, start=5)))
    run(
        loop,
        until(
            lambda: (
                len(window.model.jobs()) == 3 and window.model.jobs()[-1].state == JobState.DONE
            ),
            what="a third job",
        ),
    )
    third = window.model.jobs()[-1]
    assert third.error_kind == "output_truncated"
    _select(app, third)
    assert actions.rerun_larger.isEnabled()
    actions.rerun_larger.trigger()
    message = "Output limit raised from 2048 to 4096 tokens; 1 job re-queued."
    run(loop, until(lambda: message in said, what="the second status message"))
    run(
        loop,
        until(
            lambda: (
                len(server.chat_requests) == 5 and window.model.job(third.id).state == JobState.DONE
            ),  # type: ignore[union-attr]
            what="the third job done again",
        ),
    )
    assert server.chat_requests[-1].body["max_tokens"] == 4096


def _select(app: PacelineApp, job: Job) -> None:
    window = app.window
    window.table.clearSelection()
    row = window.model.row_of(job.id)
    assert row is not None
    index = window.proxy.mapFromSource(window.model.index(row, 0))
    selection = window.table.selectionModel()
    selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    window._selection_changed()
    window._update_actions()
