"""Add or change a watch folder: its profile, subfolders, file pattern, result files, and where
its documents go once done or failed. Saved through the engine (the queue's database), so a
``paceline-cli`` on the same queue sees it too."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.profiles import all_profiles
from core.settings import Settings
from core.watch_folders import WatchFolder
from gui import core_texts
from gui.banner import Banner
from gui.tasks import TaskRunner

Submit = Callable[[dict[str, Any]], Awaitable[None]]


class FolderField(QWidget):
    """A path with a Browse… button."""

    def __init__(self, title: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(browse)

    def _browse(self) -> None:
        chosen = QFileDialog.getExistingDirectory(self, self.title, self.edit.text())
        if chosen:
            self.edit.setText(chosen)

    def text(self) -> str:
        return self.edit.text().strip()


class WatchFolderDialog(QDialog):
    def __init__(self, settings: Settings, runner: TaskRunner, submit: Submit,
                 folder: WatchFolder | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("watchFolderDialog")
        self.setWindowTitle(self.tr("Watch a folder") if folder is None
                            else self.tr("Watch folder options"))
        self.runner = runner
        self.submit = submit
        self.editing = folder

        form = QFormLayout()
        self.path = FolderField(self.tr("Folder to watch"), self.tr("The folder to watch"), self)
        self.path.setObjectName("watchPath")
        form.addRow(self.tr("Folder:"), self.path)
        self.profile = QComboBox(self)
        for name in all_profiles(settings.custom_profiles):
            self.profile.addItem(core_texts.profile_name(name), name)
        form.addRow(self.tr("Profile:"), self.profile)
        self.recursive = QCheckBox(self.tr("Also documents in its subfolders"), self)
        self.recursive.setChecked(True)
        form.addRow("", self.recursive)
        self.pattern = QLineEdit(self)
        self.pattern.setPlaceholderText(self.tr("All documents (or e.g. *.pdf;*.docx)"))
        form.addRow(self.tr("Files:"), self.pattern)

        self.results = QComboBox(self)
        self.results.addItem(self.tr("As in Settings → Folders"), None)
        self.results.addItem(self.tr("None"), "off")
        self.results.addItem(self.tr("Beside each document"), "beside")
        self.results.addItem(self.tr("In an output folder"), "folder")
        self.results.currentIndexChanged.connect(self._results_changed)
        form.addRow(self.tr("Result files:"), self.results)
        self.results_folder = FolderField(self.tr("Output folder"),
                                          self.tr("Where result files go"), self)
        form.addRow(self.tr("Output folder:"), self.results_folder)
        self.results_format = QComboBox(self)
        self.results_format.addItem(self.tr("As in Settings → Folders"), None)
        self.results_format.addItem(self.tr("Markdown (.md)"), "md")
        self.results_format.addItem(self.tr("JSON (.json)"), "json")
        form.addRow(self.tr("Format:"), self.results_format)
        self.done_folder = FolderField(self.tr("Move done documents to"),
                                       self.tr("Leave them where they are"), self)
        form.addRow(self.tr("Move done documents to:"), self.done_folder)
        self.failed_folder = FolderField(self.tr("Move failed documents to"),
                                         self.tr("Leave them where they are"), self)
        form.addRow(self.tr("Move failed documents to:"), self.failed_folder)

        self.error = Banner(self)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        if folder is not None:
            self._show(folder)
        self._results_changed()
        self.resize(560, self.sizeHint().height())

    def _show(self, folder: WatchFolder) -> None:
        self.path.edit.setText(folder.path)
        self.path.setEnabled(False)  # a folder is removed and added, not moved
        self.recursive.setChecked(folder.recursive)
        self.recursive.setEnabled(False)
        self.profile.setCurrentIndex(max(0, self.profile.findData(folder.profile)))
        self.pattern.setText(folder.pattern)
        self.results.setCurrentIndex(max(0, self.results.findData(folder.results)))
        self.results_folder.edit.setText(folder.results_folder)
        self.results_format.setCurrentIndex(
            max(0, self.results_format.findData(folder.results_format)))
        self.done_folder.edit.setText(folder.done_folder)
        self.failed_folder.edit.setText(folder.failed_folder)

    def _results_changed(self) -> None:
        self.results_folder.setEnabled(self.results.currentData() == "folder")

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "profile": str(self.profile.currentData()),
            "pattern": self.pattern.text().strip(),
            "results": self.results.currentData(),
            "results_folder": self.results_folder.text(),
            "results_format": self.results_format.currentData(),
            "done_folder": self.done_folder.text(),
            "failed_folder": self.failed_folder.text(),
        }
        if self.editing is None:
            values["path"] = self.path.text()
            values["recursive"] = self.recursive.isChecked()
        return values

    def accept(self) -> None:
        if self.editing is None and not self.path.text():
            self.error.set_message("error", self.tr("Choose the folder to watch."))
            return
        self.buttons.setEnabled(False)
        self.runner.start(self._save(), self.tr("Saving the watch folder"))

    async def _save(self) -> None:
        try:
            await self.submit(self.values())
        except (ValueError, OSError) as exc:  # not a folder, nested, unknown profile, ...
            self.error.set_message("error", self.tr("This folder cannot be watched."), str(exc))
            return
        finally:
            self.buttons.setEnabled(True)
        await asyncio.sleep(0)
        super().accept()
