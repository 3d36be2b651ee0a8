"""The Folders pane in the running window: a folder added there is watched by the window's
worker, documents put into it are queued, analysed and answered with a result file, the pane
counts them, and a folder that goes away shows as unavailable until it is back.

PACELINE_SCREENSHOT=/tmp/folders.png saves the window with the pane (for the README).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QDialogButtonBox

from core.settings import Settings
from gui.app import PacelineApp
from gui.folders_pane import DONE, FAILED, FOLDER, QUEUED, STATE
from tests.gui.conftest import make_docs, run, until
from tests.helpers import write_doc

StartApp = Callable[..., PacelineApp]
SCREENSHOT = os.environ.get("PACELINE_SCREENSHOT")
FAST = Settings(watch_stable_s=0.3, watch_rescan_s=0.5, result_files="beside")


def _wait(loop: qasync.QEventLoop, condition: Callable[[], object], what: str = "",
          timeout: float = 30.0) -> None:
    """Wait for the watcher and the worker (seconds at most, but a loaded machine is slow)."""
    run(loop, until(condition, timeout=timeout, what=what), timeout=timeout + 5)


def _cell(app: PacelineApp, row: int, column: int) -> str:
    item = app.window.folders_pane.table.item(row, column)
    return item.text() if item is not None else ""


def test_a_folder_added_in_the_pane_is_watched_counted_and_answered(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    inbox = tmp_path / "Scans"
    inbox.mkdir()
    app = start_app(settings=FAST)
    window = app.window
    pane = window.folders_pane
    assert not pane.isVisible() and pane.empty.text()  # no folders yet: hidden, explained
    pane.toggleViewAction().trigger()
    assert pane.isVisible()

    dialog = pane.add_folder()
    dialog.path.edit.setText(str(inbox))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    _wait(loop, lambda: not dialog.isVisible(), what="the dialog to close")
    _wait(loop, lambda: _cell(app, 0, STATE) == "Watching", what="watching")
    assert _cell(app, 0, FOLDER) == str(inbox)

    write_doc(inbox / "invoice.txt", seed=1)
    _wait(loop, lambda: (inbox / "invoice.txt.summary.md").exists(), what="result file")
    _wait(loop, lambda: _cell(app, 0, DONE) == "1", what="the count")
    assert _cell(app, 0, QUEUED) == "0"

    pane.table.selectRow(0)
    run(loop, pane.toggle_pause())
    _wait(loop, lambda: _cell(app, 0, STATE) == "Paused")
    assert pane.pause_button.text() == "Resume"
    run(loop, pane.toggle_pause())
    _wait(loop, lambda: _cell(app, 0, STATE) == "Watching")

    shutil.rmtree(inbox)  # the disk is unplugged
    _wait(loop, lambda: _cell(app, 0, STATE) == "Unavailable", what="unavailable")
    inbox.mkdir()
    _wait(loop, lambda: _cell(app, 0, STATE) == "Watching", what="resumed")

    pane.table.selectRow(0)
    run(loop, pane.remove_folder(confirm=False))
    assert pane.table.rowCount() == 0 and not pane.empty.isHidden()


def test_a_bad_folder_is_refused_in_the_dialog(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path
) -> None:
    app = start_app(settings=FAST)
    pane = app.window.folders_pane
    dialog = pane.add_folder()
    dialog.path.edit.setText(str(tmp_path / "not-there"))
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    _wait(loop, lambda: dialog.error.isVisible(), what="the error")
    assert dialog.isVisible()
    assert "does not exist or is not a folder" in dialog.error.detail


def test_folders_pane_screenshot(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three folders in their three states, with jobs from them; saved if asked for."""
    monkeypatch.setenv("HOME", str(tmp_path))  # folders show as ~/Scans
    scans, mail, share = tmp_path / "Scans", tmp_path / "Mail attachments", tmp_path / "NAS"
    for folder in (scans, mail, share / "Contracts"):
        folder.mkdir(parents=True)
    make_docs(scans, 6)
    (scans / "scan-0412.pdf").write_bytes(b"%PDF-1.4 a scan that broke off")  # fails
    app = start_app(settings=FAST)
    window = app.window
    window.resize(1280, 800)
    engine = app.engine

    async def set_up() -> None:
        await engine.add_watch_folder(scans, results="beside")
        await engine.add_watch_folder(mail, profile="Key points", pattern="*.pdf;*.docx",
                                      results="folder", results_folder=str(tmp_path / "Answers"),
                                      results_format="json", done_folder=str(tmp_path / "Done"))
        await engine.add_watch_folder(share / "Contracts", recursive=False)
        await engine.update_watch_folder(2, paused=True)

    run(loop, set_up())
    window.folders_pane.show()
    _wait(loop, lambda: _cell(app, 0, DONE) == "6" and _cell(app, 0, FAILED) == "1",
          what="six done, one failed")
    shutil.rmtree(share)
    _wait(loop, lambda: _cell(app, 2, STATE) == "Unavailable", what="unavailable")
    assert [_cell(app, r, STATE) for r in range(3)] == ["Watching", "Paused", "Unavailable"]
    assert _cell(app, 0, FOLDER) == os.path.join("~", "Scans")
    window.folders_pane.table.selectRow(1)  # the paused one: its button says Resume
    if SCREENSHOT:
        run(loop, asyncio.sleep(0.3))  # the last repaints
        window.grab().save(SCREENSHOT)
