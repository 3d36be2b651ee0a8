"""The whole window on a real engine: drops, stale jobs, tabs, actions, monitor mode, shutdown."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

import qasync
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDropEvent, QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QStyleOptionViewItem

from core import paths
from core.engine import Engine
from core.settings import Settings
from core.states import JobState
from core.worker_lock import WorkerLock
from gui.app import PacelineApp, _paths_from
from gui.jobs_model import Column, Role
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def _mime(paths_: list[Path]) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths_])
    return mime


def _counts(app: PacelineApp) -> dict[str, int]:
    return app.window.last_summary.counts


def _states(app: PacelineApp) -> dict[str, JobState]:
    return {Path(j.path).name: j.state for j in app.window.model.jobs()}


def _select(app: PacelineApp, names: set[str]) -> None:
    window = app.window
    window.table.clearSelection()
    ids = [j.id for j in window.model.jobs() if Path(j.path).name in names]
    selection = window.table.selectionModel()
    for job_id in ids:
        index = window.proxy.mapFromSource(window.model.index(window.model.row_of(job_id), 0))
        selection.select(index, selection.SelectionFlag.Select | selection.SelectionFlag.Rows)
    window._selection_changed()


def test_a_drop_of_files_and_a_folder_enqueues_them(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    loose = make_docs(tmp_path / "loose", 2)
    folder = tmp_path / "folder"
    make_docs(folder / "deeper", 3, start=10)
    (folder / "sheet.xlsx").write_bytes(b"PK not a document Paceline reads")
    mime = _mime([*loose, folder])

    enter = QDragEnterEvent(QPoint(200, 200), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(enter)
    assert enter.isAccepted()
    assert window.drop_overlay.isVisible()
    assert window.drop_overlay.count == 3

    drop = QDropEvent(QPointF(200, 200), Qt.DropAction.CopyAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dropEvent(drop)
    assert drop.isAccepted()
    assert not window.drop_overlay.isVisible()

    run(loop, until(lambda: _counts(app).get("done") == 5, what="five documents done"))
    assert window.model.rowCount() == 5  # the spreadsheet inside the folder was skipped
    assert window.add_banner.isVisible()
    assert window.add_banner.level == "success"
    assert "5" in window.add_banner.text


def test_a_drag_that_leaves_hides_the_drop_target(start_app: StartApp, tmp_path: Path) -> None:
    window = start_app().window
    mime = _mime(make_docs(tmp_path, 1))
    window.dragEnterEvent(QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, mime,
                                          Qt.MouseButton.LeftButton,
                                          Qt.KeyboardModifier.NoModifier))
    assert window.drop_overlay.isVisible()
    window.dragLeaveEvent(QDragLeaveEvent())
    assert not window.drop_overlay.isVisible()
    text_only = QMimeData()
    text_only.setText("hello")
    ignored = QDragEnterEvent(QPoint(5, 5), Qt.DropAction.CopyAction, text_only,
                              Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    window.dragEnterEvent(ignored)
    assert not ignored.isAccepted()
    assert not window.drop_overlay.isVisible()


def test_a_drop_with_duplicates_and_overflow_says_what_was_not_added(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app(settings=Settings(max_queue=2))
    run(loop, app.engine.pause())  # keep them queued so the cap bites
    docs = make_docs(tmp_path, 3)
    twin = tmp_path / "copy-of-doc00.txt"
    twin.write_bytes(docs[0].read_bytes())
    notes = tmp_path / "notes.xyz"
    notes.write_text("not a document type")
    task = app.window.add_paths([*docs, twin, notes])
    run(loop, task)
    banner = app.window.add_banner
    assert banner.level == "warning"
    assert "2 of 5" in banner.text
    assert "already in the queue" in banner.detail
    assert "queue is full" in banner.detail
    assert "not a supported document type" in banner.detail
    assert banner.button("Details…") is not None
    listing = app.window.last_add_summary.full
    assert "copy-of-doc00.txt" in listing and "notes.xyz" in listing and "doc02.txt" in listing
    assert app.window.queue_banner.mode == "paused"


def test_the_table_updates_row_by_row_without_a_reset(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    model = app.window.model
    resets: list[int] = []
    ranges: list[tuple[int, int]] = []
    model.modelReset.connect(lambda: resets.append(1))
    model.dataChanged.connect(lambda tl, br, _r=(): ranges.append((tl.row(), br.row())))
    run(loop, app.window.add_paths(make_docs(tmp_path, 4)))
    run(loop, until(lambda: _counts(app).get("done") == 4, what="four documents done"))
    assert resets == []
    assert ranges, "state changes arrive as dataChanged"
    assert all(top == bottom for top, bottom in ranges)


def _make_stale_job(loop: qasync.QEventLoop, home: Path, doc: Path) -> None:
    """A job left running by a process that died (no worker lock held any more)."""

    async def crash() -> None:
        engine = await Engine.open(home)
        await engine.add_paths([doc])
        claimed = await engine.store.claim_next()
        assert claimed is not None
        await engine.store.close()  # no clean stop: the job stays 'running'

    run(loop, crash())


def test_a_stale_job_shows_its_reason_and_re_triggers_from_its_row(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    doc = make_docs(tmp_path, 1)[0]
    _make_stale_job(loop, home, doc)
    app = start_app()
    window = app.window
    job = window.model.jobs()[0]
    assert job.state == JobState.STALE
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(job.id), 0)).row()
    state_text = window.proxy.index(row, Column.STATE).data()
    assert state_text.startswith("Stale")
    assert "stopped" in window.proxy.index(row, Column.ERROR).data()
    assert window.tabs.tabText(window.tabs.index_of(JobState.STALE)) == "Stale (1)"

    # Click the Re-trigger button painted in the row's reason cell.
    window.resize(1300, 700)
    window.table.setColumnWidth(Column.ERROR, 400)
    QGuiApplication.processEvents()
    index = window.proxy.index(row, Column.ERROR)
    option = QStyleOptionViewItem()
    option.initFrom(window.table.viewport())
    option.rect = window.table.visualRect(index)
    button = window.reason_delegate.button_rect(option, index.data(Role.JOB))
    assert button is not None
    QTest.mouseClick(window.table.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, button.center())
    run(loop, until(lambda: window.model.job(job.id).state == JobState.DONE,
                    what="the re-triggered job done"))
    run(loop, until(lambda: _counts(app).get("stale") == 0, what="stale count 0"))


def test_re_trigger_all_stale_from_the_menu(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    doc = make_docs(tmp_path, 1)[0]
    _make_stale_job(loop, home, doc)
    app = start_app()
    actions = app.window.job_actions
    assert actions.retrigger_all_stale.isEnabled()
    actions.retrigger_all_stale.trigger()
    run(loop, until(lambda: _counts(app).get("done") == 1, what="the stale job done"))


def test_tab_counts_and_filtering(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    run(loop, window.add_paths(make_docs(tmp_path, 3)))
    run(loop, until(lambda: _counts(app).get("done") == 3, what="three done"))
    run(loop, app.engine.pause())
    run(loop, window.add_paths(make_docs(tmp_path, 2, start=5)))
    run(loop, until(lambda: _counts(app).get("queued") == 2, what="two queued"))
    tabs = window.tabs
    assert tabs.tabText(0) == "All (5)"
    assert tabs.tabText(tabs.index_of(JobState.DONE)) == "Done (3)"
    assert tabs.tabText(tabs.index_of(JobState.QUEUED)) == "Queued (2)"
    tabs.setCurrentIndex(tabs.index_of(JobState.QUEUED))
    assert window.proxy.rowCount() == 2
    window.search.setText("doc05")
    assert window.proxy.rowCount() == 1
    window.search.clear()
    tabs.setCurrentIndex(0)
    assert window.proxy.rowCount() == 5


def test_context_menu_actions(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    actions = window.job_actions
    run(loop, app.engine.pause())
    run(loop, window.add_paths(make_docs(tmp_path, 4)))
    run(loop, until(lambda: _counts(app).get("queued") == 4, what="four queued"))

    window._context_menu(QPoint(10, 10))
    labels = [a.text() for a in window.context_menu.actions() if a.text()]
    for wanted in ("&Open document", "&Re-trigger", "&Cancel", "Re&move", "Move to &top",
                   "Copy &error", "C&lear finished"):
        assert wanted in labels
    window.context_menu.close()

    _select(app, {"doc03.txt"})
    assert actions.move_top.isEnabled() and not actions.retrigger.isEnabled()
    actions.move_top.trigger()
    run(loop, until(lambda: window.model.rank(_id(app, "doc03.txt")) == 1, what="moved up"))
    actions.move_bottom.trigger()
    run(loop, until(lambda: window.model.rank(_id(app, "doc03.txt")) == 4, what="moved down"))

    _select(app, {"doc00.txt"})
    actions.cancel.trigger()
    run(loop, until(lambda: _states(app)["doc00.txt"] == JobState.CANCELLED, what="cancel"))

    opened: list[QUrl] = []
    actions.open_url = lambda url: opened.append(url) or True
    _select(app, {"doc01.txt"})
    actions.open_document.trigger()
    assert opened and opened[0].toLocalFile().endswith("doc01.txt")

    _select(app, {"doc00.txt"})
    asked: list[str] = []
    actions.confirm = lambda title, question: asked.append(question) or True
    actions.remove.trigger()
    run(loop, until(lambda: "doc00.txt" not in _states(app), what="removed"))
    assert asked

    export_path = tmp_path / "out.json"
    actions.ask_save_path = lambda fmt_key: (str(export_path), "json")
    _select(app, {"doc01.txt", "doc02.txt"})
    task = actions.do_export(None)
    run(loop, task)
    assert '"path"' in export_path.read_text(encoding="utf-8")
    assert "doc02.txt" in export_path.read_text(encoding="utf-8")

    run(loop, app.engine.resume())
    run(loop, until(lambda: _counts(app).get("done") == 3, what="the rest done"))
    actions.clear_finished.trigger()
    run(loop, until(lambda: app.window.model.rowCount() == 0, what="cleared"))


def _id(app: PacelineApp, name: str) -> int:
    return next(j.id for j in app.window.model.jobs() if Path(j.path).name == name)


def test_retry_failed_by_kind_and_copy_error(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app()
    window = app.window
    doc = make_docs(tmp_path, 1)[0]
    run(loop, window.add_paths([doc]))
    run(loop, until(lambda: _counts(app).get("done") == 1, what="done"))
    broken = tmp_path / "vanishing.txt"
    broken.write_text("soon gone " * 40)
    run(loop, app.engine.pause())
    run(loop, window.add_paths([broken]))
    broken.write_text("changed after it was queued " * 40)  # the worker refuses a changed file
    run(loop, app.engine.resume())
    run(loop, until(lambda: _counts(app).get("failed") == 1, what="a failed job"))
    run(loop, until(lambda: window.job_actions.failed_kinds, what="failed kinds"))
    assert window.job_actions.failed_kinds == {"changed": 1}

    _select(app, {"vanishing.txt"})
    window.job_actions.copy_error.trigger()
    assert "changed since it was added" in QGuiApplication.clipboard().text()

    window.job_actions._fill_retry_failed_menu()
    kinds = [a.text() for a in window.job_actions.retry_failed_menu.actions() if a.text()]
    assert any("Changed since it was added" in k for k in kinds)  # the kind, worded
    broken.write_text("soon gone " * 40)  # put it back as it was queued
    window.job_actions.do_retry_failed("changed")
    run(loop, until(lambda: _counts(app).get("done") == 2, what="retried and done"))


def test_a_second_worker_makes_the_window_a_monitor(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path
) -> None:
    home.mkdir(parents=True, exist_ok=True)
    other = WorkerLock(home / paths.LOCK_NAME, "paceline-cli run")
    other.acquire()
    try:
        app = start_app()
        window = app.window
        assert window.worker_banner.isVisible()
        assert "paceline-cli run" in window.worker_banner.detail
        run(loop, window.add_paths(make_docs(tmp_path, 2)))
        run(loop, until(lambda: _counts(app).get("queued") == 2, what="two queued"))
        run(loop, asyncio.sleep(0.5))
        assert _counts(app).get("queued") == 2  # nobody here runs them
    finally:
        other.release()
    task = window.take_over()
    assert run(loop, task) is True
    assert not window.worker_banner.isVisible()
    run(loop, until(lambda: _counts(app).get("done") == 2, what="processed after take-over"))


def test_command_line_paths_are_enqueued(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    docs = make_docs(tmp_path, 2)
    app = start_app(tuple(str(d) for d in docs))
    run(loop, until(lambda: _counts(app).get("done") == 2, what="both done"))
    assert _paths_from(["-style", "fusion", "--", "-odd-name.txt", "a.txt"])[-2:] == [
        "-odd-name.txt", "a.txt"]


def test_shutdown_leaves_no_task_or_thread(
    loop: qasync.QEventLoop, home: Path, tmp_path: Path
) -> None:
    before = {t.ident for t in threading.enumerate()}
    app = PacelineApp(home, [str(p) for p in make_docs(tmp_path, 3)])
    run(loop, app.start())
    run(loop, until(lambda: _counts(app).get("done") == 3, what="three done"))
    run(loop, app.shutdown())

    async def leftovers() -> set[asyncio.Task[object]]:
        await asyncio.sleep(0.05)
        mine = {"wait_for", "leftovers"}  # this test's own driver tasks
        return {t for t in asyncio.all_tasks()
                if not t.done() and t.get_coro().__name__ not in mine}

    assert run(loop, leftovers()) == set()
    # aiosqlite's connection thread is gone; only qasync's executor threads may remain
    # until the loop closes.
    extra = [t for t in threading.enumerate()
             if t.ident not in before and "QThread" not in type(t).__name__
             and not t.name.startswith("Dummy")]
    assert extra == []
    assert not (home / paths.LOCK_NAME).exists() or (home / paths.LOCK_NAME).read_text() == ""


def test_quitting_while_a_job_runs_hands_it_back(
    loop: qasync.QEventLoop, home: Path, tmp_path: Path
) -> None:
    app = PacelineApp(home)
    run(loop, app.start())
    run(loop, app.engine.pause())
    run(loop, app.window.add_paths(make_docs(tmp_path, 5)))
    run(loop, app.engine.resume())
    run(loop, app.shutdown())

    async def reopen() -> dict[str, int]:
        engine = await Engine.open(home)
        try:
            return await engine.store.counts()
        finally:
            await engine.close()

    counts = run(loop, reopen())
    assert counts["running"] == 0 and counts["stale"] == 0  # the offline analyzer is unpaid
    assert counts["queued"] + counts["done"] == 5


def test_window_state_is_restored(loop: qasync.QEventLoop, home: Path) -> None:
    first = PacelineApp(home)
    run(loop, first.start())
    first.window.tabs.setCurrentIndex(first.window.tabs.index_of(JobState.DONE))
    first.window.table.setColumnWidth(Column.DOCUMENT, 333)
    run(loop, first.shutdown())
    second = PacelineApp(home)
    run(loop, second.start())
    try:
        assert second.window.tabs.currentIndex() == second.window.tabs.index_of(JobState.DONE)
        assert second.window.proxy.states == frozenset({JobState.DONE})
        assert second.window.table.columnWidth(Column.DOCUMENT) == 333
    finally:
        run(loop, second.shutdown())
