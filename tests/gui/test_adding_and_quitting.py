"""Adding through the window (drops accepted as copies, a report with a line per path that can
be copied) and quitting (free work handed back to the queue)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QPlainTextEdit

from core.analyzers.offline import OfflineAnalyzer
from core.engine import Engine
from core.states import JobState
from gui.add_report import AddReportDialog
from gui.app import PacelineApp
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def _mime(paths: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


NO_MODIFIER = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton
COPY_OR_MOVE = Qt.DropAction.CopyAction | Qt.DropAction.MoveAction


def test_a_drop_is_accepted_as_a_copy_never_a_move(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    window = start_app().window
    mime = _mime(make_docs(tmp_path, 2))
    # A file manager that proposes Move (Shift held, or its default between folders).
    enter = QDragEnterEvent(QPoint(200, 200), COPY_OR_MOVE, mime, LEFT, NO_MODIFIER)
    enter.setDropAction(Qt.DropAction.MoveAction)
    window.dragEnterEvent(enter)
    assert enter.isAccepted() and enter.dropAction() == Qt.DropAction.CopyAction
    move = QDragMoveEvent(QPoint(210, 210), COPY_OR_MOVE, mime, LEFT, NO_MODIFIER)
    move.setDropAction(Qt.DropAction.MoveAction)
    window.dragMoveEvent(move)
    assert move.isAccepted() and move.dropAction() == Qt.DropAction.CopyAction
    drop = QDropEvent(QPointF(210, 210), COPY_OR_MOVE, mime, LEFT, NO_MODIFIER)
    drop.setDropAction(Qt.DropAction.MoveAction)
    window.dropEvent(drop)
    assert drop.isAccepted() and drop.dropAction() == Qt.DropAction.CopyAction
    run(loop, until(lambda: window.model.rowCount() == 2, what="two jobs"))

    # A source that offers only Move is refused: Paceline never takes the originals.
    only_move = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.MoveAction, mime, LEFT, NO_MODIFIER)
    window.dragEnterEvent(only_move)
    assert not only_move.isAccepted()
    assert not window.drop_overlay.isVisible()


def test_the_report_lists_every_path_in_full_and_copies(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    run(loop, app.engine.pause())
    deep = tmp_path / ("a-rather-long-folder-name-that-would-wrap-in-a-message-box" * 2)
    docs = make_docs(deep, 2)
    empty = tmp_path / "nothing to read here"
    empty.mkdir()
    (empty / "archive.zip").write_bytes(b"PK\x03\x04")
    versioned = tmp_path / "Release notes 1.0"
    versioned.write_text("Notes on the release: the queue paces its calls.\n" * 4)
    missing = tmp_path / "gone.pdf"
    run(loop, window.add_paths([*docs, empty, versioned, missing]))

    summary = window.last_add_summary
    assert summary is not None and summary.level == "warning"
    listing = summary.full.splitlines()
    given = [*docs, empty, versioned, missing]
    for path in given:  # one line each, the path in full
        assert sum(str(path) in line for line in listing) == 1, (path, listing)
    assert any(str(empty) in line and "no supported documents" in line for line in listing)
    assert any(str(versioned) in line and line.startswith("Added") for line in listing)

    button = window.add_banner.button("Details…")
    assert button is not None
    button.click()
    dialog = window.add_report_dialog
    assert isinstance(dialog, AddReportDialog) and dialog.isVisible()
    assert dialog.isSizeGripEnabled()  # resizable
    text = dialog.findChild(QPlainTextEdit, "addReportListing")
    assert text is not None
    assert text.lineWrapMode() == QPlainTextEdit.LineWrapMode.NoWrap  # never mid-word
    assert text.document().blockCount() == len(given)
    assert dialog.width() > 249
    dialog.copy_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(summary.text)
    assert all(str(p) in copied for p in given)
    dialog.close()


def test_a_successful_add_keeps_its_banner_and_the_table_in_place(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    window = start_app().window
    window.resize(1280, 800)
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    run(loop, until(lambda: window.last_summary.counts.get("done") == 2, what="two done"))
    banner = window.add_banner
    assert banner.isVisible() and banner.level == "success"
    assert banner.button("Details…") is not None  # the report of a clean add too
    top = window.table.mapTo(window, QPoint(0, 0))

    # The banner used to hide itself 8 s later: whatever is timed to happen later, now.
    for timer in window.findChildren(type(window._ticker)):
        if timer.isSingleShot() and timer.isActive() and timer.interval() > 1000:
            timer.setInterval(1)
    run(loop, asyncio.sleep(0.2))
    assert banner.isVisible()
    assert window.table.mapTo(window, QPoint(0, 0)) == top
    banner.dismiss()  # only the person closes it
    assert not banner.isVisible()


@pytest.fixture
def held_offline(monkeypatch: pytest.MonkeyPatch) -> asyncio.Event:
    """The real offline analyzer, held mid-analysis until the test lets it go."""
    gate = asyncio.Event()
    original = OfflineAnalyzer.analyze_part

    async def held(self: OfflineAnalyzer, *args: object, **kwargs: object) -> object:
        await gate.wait()
        return await original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(OfflineAnalyzer, "analyze_part", held)
    return gate


def test_closing_the_window_hands_offline_work_back_to_the_queue(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path, home: Path,
    held_offline: asyncio.Event,
) -> None:
    app = start_app()
    window = app.window
    run(loop, window.add_paths(make_docs(tmp_path, 2)))
    worker = app.engine.worker
    assert worker is not None
    run(loop, until(lambda: any(r.call_in_flight for r in worker.running.values()),
                    what="an offline analysis in flight"))
    quit_asked: list[bool] = []
    window.close_requested.connect(lambda: quit_asked.append(True))
    window.close()  # the window's close button: no tray here, so Paceline quits
    assert quit_asked == [True]
    run(loop, app.shutdown())

    async def states() -> dict[str, tuple[JobState, int, list[str]]]:
        engine = await Engine.open(home)
        try:
            await engine.take_queue("test")  # the next start's recovery
            return {Path(j.path).name: (j.state, j.attempts,
                                        [str(e) for e in await engine.job_log(j.id)])
                    for j in await engine.jobs()}
        finally:
            await engine.close()

    found = run(loop, states())
    assert {name: (state, attempts) for name, (state, attempts, _) in found.items()} == {
        "doc00.txt": (JobState.QUEUED, 0), "doc01.txt": (JobState.QUEUED, 0)}
    assert any("handed back at quit" in line for line in found["doc00.txt"][2])
