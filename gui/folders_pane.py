"""The Folders pane: each watch folder with its state (watching, unavailable, paused) and the
jobs that came from it (queued, done, failed), with Add, Options, Pause and Remove.

A dock under the jobs table (View → Folders). The folders and their states are read from the
queue's database, where the watching process writes them, so the pane shows the same whether
this window watches or a ``paceline-cli run --watch`` does; it is read every two seconds
while the pane is visible, and at once when this window's watcher reports a change.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.engine import Engine
from core.watch_folders import PAUSED, UNAVAILABLE, WATCHING, WatchFolder
from gui import core_texts
from gui import formatting as fmt
from gui.icons import line_icon
from gui.pane_table import pane_table
from gui.tasks import TaskRunner
from gui.watch_folder_dialog import WatchFolderDialog

REFRESH_MS = 2000
COLUMNS = 8
FOLDER, PROFILE, FILES, RESULTS, STATE, QUEUED, DONE, FAILED = range(COLUMNS)
AMBER = QColor("#d9822b")
GREEN = QColor("#2e9d57")


def display_path(path: str) -> str:
    """A folder as a person reads it: ~/Scans rather than /home/ada/Scans."""
    home = os.path.expanduser("~")
    if os.name == "posix" and home not in ("", "/") and path.startswith(home + os.sep):
        return "~" + path[len(home):]
    return path


class FoldersPane(QDockWidget):
    def __init__(self, engine: Engine, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = runner
        self.setObjectName("foldersDock")
        self.setWindowTitle(self.tr("Folders"))
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.folders: list[WatchFolder] = []
        self.dialog: WatchFolderDialog | None = None
        self._unsubscribe_watcher: Any = None
        self._watched_by: object | None = None

        body = QWidget(self)
        self.table = pane_table(body, "foldersTable", [
            self.tr("Folder"), self.tr("Profile"), self.tr("Files"), self.tr("Result files"),
            self.tr("State"), self.tr("Queued"), self.tr("Done"), self.tr("Failed")])
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(FOLDER, QHeaderView.ResizeMode.Stretch)
        for column in range(PROFILE, COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.itemDoubleClicked.connect(lambda _item: self.edit_folder())

        self.empty = QLabel(self.tr(
            "No watch folders yet. Add one: documents that a scanner, a mail rule or a sync "
            "client puts there are queued by themselves, once they are complete."), body)
        self.empty.setWordWrap(True)
        self.empty.setObjectName("foldersEmpty")
        self.add_button = QPushButton(line_icon("add-folder", self.palette()),
                                      self.tr("Add…"), body)
        self.add_button.setToolTip(self.tr("Watch a folder"))
        self.add_button.clicked.connect(self.add_folder)
        self.edit_button = QPushButton(line_icon("settings", self.palette()),
                                       self.tr("Options…"), body)
        self.edit_button.clicked.connect(self.edit_folder)
        self.pause_button = QPushButton(line_icon("pause", self.palette()), self.tr("Pause"),
                                        body)
        self.pause_button.clicked.connect(self.toggle_pause)
        self.remove_button = QPushButton(line_icon("remove", self.palette()), self.tr("Remove"),
                                         body)
        self.remove_button.setToolTip(self.tr("Stop watching the folder (its jobs stay)"))
        self.remove_button.clicked.connect(self.remove_folder)
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.add_button, self.edit_button, self.pause_button,
                       self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.empty)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setWidget(body)

        self._timer = QTimer(self)
        self._timer.setInterval(REFRESH_MS)
        self._timer.timeout.connect(self._tick)
        self._timer.start()
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(50)
        self._soon.timeout.connect(self.refresh)
        self._update_buttons()

    # ------------------------------------------------------------------ reading

    def _tick(self) -> None:
        self._follow_watcher()
        if self.isVisible():
            self.refresh()

    def _follow_watcher(self) -> None:
        """Listen to this window's watcher (it starts with the worker, maybe later than us)."""
        watcher = self.engine.watcher
        if watcher is self._watched_by:
            return
        if self._unsubscribe_watcher is not None:
            self._unsubscribe_watcher()
            self._unsubscribe_watcher = None
        self._watched_by = watcher
        if watcher is not None:
            self._unsubscribe_watcher = watcher.subscribe(self._soon.start)

    def refresh(self) -> asyncio.Task[None] | None:
        return self.runner.start(self.load(), self.tr("Reading the watch folders"))

    async def load(self) -> None:
        self._follow_watcher()
        if self.engine.db.closed:
            return
        folders = await self.engine.watch_folders()
        counts = await self.engine.watch_folder_counts(folders) if folders else {}
        self.show_folders(folders, counts)

    def show_folders(self, folders: list[WatchFolder],
                     counts: dict[int, dict[str, int]]) -> None:
        selected = self.selected()
        self.folders = folders
        self.table.setRowCount(len(folders))
        for row, folder in enumerate(folders):
            n = counts.get(folder.id, {})
            state, icon, tip = self._state(folder)
            cells = [
                (display_path(folder.path), None, self._folder_tip(folder)),
                (core_texts.profile_name(folder.profile), None, ""),
                (self._files(folder), None, ""),
                (self._results(folder), None, ""),
                (state, icon, tip),
                (fmt.integer(n.get("queued", 0) + n.get("running", 0)), None, ""),
                (fmt.integer(n.get("done", 0)), None, ""),
                (fmt.integer(n.get("failed", 0)), None, ""),
            ]
            for column, (text, picture, tooltip) in enumerate(cells):
                item = self.table.item(row, column) or QTableWidgetItem()
                item.setText(text)
                item.setToolTip(tooltip)
                if picture is not None:
                    item.setIcon(picture)
                if column >= QUEUED:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight
                                          | Qt.AlignmentFlag.AlignVCenter)
                item.setData(Qt.ItemDataRole.UserRole, folder.id)
                if self.table.item(row, column) is None:
                    self.table.setItem(row, column, item)
            if folder.id == selected:
                self.table.selectRow(row)
        self.empty.setVisible(not folders)
        self.table.setVisible(bool(folders))
        self._update_buttons()

    def _state(self, folder: WatchFolder) -> tuple[str, Any, str]:
        palette = self.palette()
        if folder.paused or folder.state == PAUSED:
            return self.tr("Paused"), line_icon("pause", palette), ""
        if folder.state == UNAVAILABLE:
            return (self.tr("Unavailable"), line_icon("warning", palette, AMBER), self.tr(
                "The folder cannot be reached (an unplugged disk or a network share that is "
                "gone?). Watching resumes by itself when it is back."))
        if folder.state == WATCHING:
            return (self.tr("Watching"), line_icon("eye", palette, GREEN),
                    folder.state_detail)
        return (self.tr("Not watched"), line_icon("hourglass", palette), self.tr(
            "No worker runs this queue: the folder is watched while the window's worker or "
            "'paceline-cli run --watch' runs."))

    def _folder_tip(self, folder: WatchFolder) -> str:
        lines = [folder.path]
        if folder.done_folder:
            lines.append(fmt.fill(self.tr("Done documents move to %1"), folder.done_folder))
        if folder.failed_folder:
            lines.append(fmt.fill(self.tr("Failed documents move to %1"),
                                  folder.failed_folder))
        return "\n".join(lines)

    def _files(self, folder: WatchFolder) -> str:
        what = folder.pattern or self.tr("All documents")
        return what if folder.recursive else fmt.fill(self.tr("%1, not in subfolders"), what)

    def _results(self, folder: WatchFolder) -> str:
        settings = self.engine.settings
        mode = folder.results or settings.result_files
        fmt_name = (folder.results_format or settings.result_format).upper()
        if mode == "beside":
            text = fmt.fill(self.tr("Beside, %1"), fmt_name)
        elif mode == "folder":
            out = folder.results_folder if folder.results else settings.result_folder
            text = fmt.fill(self.tr("In %1, %2"), os.path.basename(out) or out, fmt_name)
        else:
            text = self.tr("None")
        return text if folder.results else fmt.fill(self.tr("%1 (Settings)"), text)

    # ------------------------------------------------------------------ acting

    def selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if not rows or rows[0].row() >= len(self.folders):
            return None
        return self.folders[rows[0].row()].id

    def _selected_folder(self) -> WatchFolder | None:
        chosen = self.selected()
        return next((f for f in self.folders if f.id == chosen), None)

    def _update_buttons(self) -> None:
        folder = self._selected_folder()
        for button in (self.edit_button, self.pause_button, self.remove_button):
            button.setEnabled(folder is not None)
        paused = folder is not None and folder.paused
        self.pause_button.setText(self.tr("Resume") if paused else self.tr("Pause"))
        self.pause_button.setIcon(line_icon("start" if paused else "pause", self.palette()))

    def add_folder(self) -> WatchFolderDialog:
        async def submit(values: dict[str, Any]) -> None:
            path = values.pop("path")
            await self.engine.add_watch_folder(path, **values)
            self._soon.start()

        return self._open_dialog(WatchFolderDialog(self.engine.settings, self.runner, submit,
                                                   parent=self))

    def edit_folder(self) -> WatchFolderDialog | None:
        folder = self._selected_folder()
        if folder is None:
            return None

        async def submit(values: dict[str, Any]) -> None:
            for key in ("results_folder", "done_folder", "failed_folder"):
                values[key] = os.path.abspath(os.path.expanduser(values[key])) \
                    if values[key] else ""
            await self.engine.update_watch_folder(folder.id, **values)
            self._soon.start()

        return self._open_dialog(WatchFolderDialog(self.engine.settings, self.runner, submit,
                                                   folder, parent=self))

    def _open_dialog(self, dialog: WatchFolderDialog) -> WatchFolderDialog:
        self.dialog = dialog
        dialog.open()
        return dialog

    def toggle_pause(self) -> asyncio.Task[None] | None:
        folder = self._selected_folder()
        if folder is None:
            return None

        async def toggle() -> None:
            await self.engine.update_watch_folder(folder.id, paused=not folder.paused)
            await self.load()

        return self.runner.start(toggle(), self.tr("Pausing the watch folder"))

    def remove_folder(self, confirm: bool = True) -> asyncio.Task[None] | None:
        folder = self._selected_folder()
        if folder is None:
            return None
        if confirm:
            answer = QMessageBox.question(self, self.tr("Stop watching"), fmt.fill(self.tr(
                "Stop watching %1? Its documents and their jobs stay as they are."),
                folder.path))
            if answer != QMessageBox.StandardButton.Yes:
                return None

        async def remove() -> None:
            await self.engine.remove_watch_folder(folder.id)
            await self.load()

        return self.runner.start(remove(), self.tr("Removing the watch folder"))

    def detach(self) -> None:
        self._timer.stop()
        self._soon.stop()
        if self._unsubscribe_watcher is not None:
            self._unsubscribe_watcher()
            self._unsubscribe_watcher = None
