"""The Batches pane: each provider batch (core/batches.py) with its stage and the provider's
counts, a progress bar, its ETA, when it was made and when it expires, and a passing problem;
Show its jobs (filters the job list), Check now, Cancel and Download results.

A dock under the jobs table (View → Batches), hidden while there are no batches: most queues
never use one, and an empty pane would only take room from the jobs. It shows itself when a
batch appears. Rows follow the engine's BatchChanged events (this process's runner and, through
the store, another process's); times that move with the clock are redrawn by ``tick``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtCore import QDateTime, QLocale, Qt, Signal
from PySide6.QtWidgets import (
    QDockWidget,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.batches import Batch, BatchStage, batch_eta
from core.engine import Engine
from core.states import JobState
from gui import batch_texts
from gui import formatting as fmt
from gui.icons import line_icon
from gui.job_actions import JobActions
from gui.pane_table import pane_table
from gui.tasks import TaskRunner

COLUMNS = 7
BATCH, STAGE, PROGRESS, ETA, CREATED, EXPIRES, PROBLEM = range(COLUMNS)
BAR_MAX = 1000
# The pane's height when it shows itself: a few batches and the buttons, not half the window.
COMPACT_HEIGHT = 150


class BatchesPane(QDockWidget):
    # Show only this batch's jobs in the job list (an id), or every job again (None).
    filter_changed = Signal(object)

    def __init__(self, engine: Engine, runner: TaskRunner, actions: JobActions,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.runner = runner
        self.actions = actions  # the window's export dialog and code, and its confirmations
        self.setObjectName("batchesDock")
        self.setWindowTitle(self.tr("Batches"))
        self.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetClosable
                         | QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.batches: dict[int, Batch] = {}

        body = QWidget(self)
        self.table = pane_table(body, "batchesTable", [
            self.tr("Batch"), self.tr("Stage"), self.tr("Progress"), self.tr("ETA"),
            self.tr("Created"), self.tr("Expires"), self.tr("Problem")])
        header = self.table.horizontalHeader()
        for column in range(COLUMNS):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PROGRESS, QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(PROGRESS, 160)
        header.setStretchLastSection(True)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        # A double click is the quick way to a batch's jobs.
        self.table.itemDoubleClicked.connect(lambda _item: self.show_jobs_button.setChecked(True))

        palette = self.palette()
        self.show_jobs_button = QPushButton(line_icon("search", palette),
                                            self.tr("Show its jobs"), body)
        self.show_jobs_button.setCheckable(True)
        self.show_jobs_button.setToolTip(self.tr("Show only the selected batch's jobs in the "
                                                 "job list"))
        self.show_jobs_button.toggled.connect(lambda _on: self._emit_filter())
        self.check_button = QPushButton(line_icon("retry-now", palette), self.tr("Check now"),
                                        body)
        self.check_button.clicked.connect(self.check_now)
        self.cancel_button = QPushButton(line_icon("cancel", palette), self.tr("Cancel batch"),
                                         body)
        self.cancel_button.setToolTip(self.tr("Ask the provider to stop the batch; what it "
                                              "has already answered is kept"))
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.download_button = QPushButton(line_icon("export", palette),
                                           self.tr("Download results…"), body)
        self.download_button.clicked.connect(self.download_selected)
        self.summary = QLabel(body)
        self.summary.setObjectName("batchesSummary")
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in (self.show_jobs_button, self.check_button, self.cancel_button,
                       self.download_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.summary)
        layout = QVBoxLayout(body)
        layout.setContentsMargins(8, 4, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setWidget(body)
        self._update_buttons()

    # ------------------------------------------------------------------ reading

    async def load(self) -> None:
        """Every batch of the queue, newest first; the pane shows itself if one is open."""
        if self.engine.db.closed:
            return
        self.show_batches(await self.engine.batches())
        if any(batch.open for batch in self.batches.values()):
            self.appear()

    def update_batch(self, batch: Batch) -> None:
        """A BatchChanged event: its row, and the pane shown for a batch it did not know."""
        new = batch.id not in self.batches
        self.batches[batch.id] = batch
        self.show_batches(list(self.batches.values()))
        if new and batch.open:
            self.appear()

    def appear(self) -> None:
        """Show the pane for a batch at work, compact unless the folders share its room."""
        if self.isVisible():
            return
        self.show()
        self.raise_()
        window = self.parentWidget()
        folders = window.findChild(QDockWidget, "foldersDock") if window else None
        if isinstance(window, QMainWindow) and not (folders and folders.isVisible()):
            window.resizeDocks([self], [COMPACT_HEIGHT], Qt.Orientation.Vertical)

    def show_batches(self, batches: list[Batch]) -> None:
        selected = self.selected()
        self.batches = {batch.id: batch for batch in batches}
        ordered = sorted(batches, key=lambda b: b.id, reverse=True)  # newest first
        self.table.setRowCount(len(ordered))
        for row, batch in enumerate(ordered):
            self._fill_row(row, batch)
            if batch.id == selected:
                self.table.selectRow(row)
        self._show_summary()
        self._update_buttons()

    def tick(self) -> None:
        """Redraw what moves with the clock (ETA, expiry) while the pane is in view."""
        if not self.isVisible():
            return
        for row in range(self.table.rowCount()):
            batch = self.batch_at(row)
            if batch is not None and batch.open:
                self._set_text(row, ETA, self._eta(batch))
                self._set_text(row, EXPIRES, self._expires(batch))

    # ------------------------------------------------------------------ rows

    def _fill_row(self, row: int, batch: Batch) -> None:
        stage = batch_texts.counts_text(batch)
        if batch.cancel_requested and batch.open:
            stage = fmt.fill(self.tr("%1 (cancel asked)"), stage)
        self._set_text(row, BATCH, fmt.integer(batch.id), batch)
        self._set_text(row, STAGE, stage, batch, self._stage_tip(batch))
        self._set_text(row, ETA, self._eta(batch), batch)
        self._set_text(row, CREATED, self._when(batch.created_at), batch)
        self._set_text(row, EXPIRES, self._expires(batch), batch)
        self._set_text(row, PROBLEM, batch.error or "", batch, batch.error or "")
        bar = self.table.cellWidget(row, PROGRESS)
        if not isinstance(bar, QProgressBar):
            bar = QProgressBar(self.table)
            bar.setRange(0, BAR_MAX)
            bar.setTextVisible(True)
            self.table.setCellWidget(row, PROGRESS, bar)
        bar.setValue(round(batch_texts.fraction(batch) * BAR_MAX))
        bar.setFormat(fmt.percent(batch_texts.fraction(batch)))
        bar.setEnabled(batch.open)  # an ended batch's bar is greyed, as a stopped job's

    def _set_text(self, row: int, column: int, text: str, batch: Batch | None = None,
                  tip: str = "") -> None:
        item = self.table.item(row, column)
        if item is None:
            item = QTableWidgetItem()
            self.table.setItem(row, column, item)
        if item.text() != text:
            item.setText(text)
        if batch is not None:
            item.setData(Qt.ItemDataRole.UserRole, batch.id)
            item.setToolTip(tip)

    def _stage_tip(self, batch: Batch) -> str:
        parts = [fmt.fill(self.tr("%1 requests: %2 answered, %3 refused"),
                          fmt.integer(batch.total), fmt.integer(batch.completed),
                          fmt.integer(batch.failed))]
        if batch.open:
            parts.append(self.tr("%n job(s) waiting in it", "", batch.jobs))
        if batch.remote_batch:
            parts.append(fmt.fill(self.tr("At the provider: %1"), batch.remote_batch))
        return "\n".join(parts)

    def _eta(self, batch: Batch) -> str:
        left = batch_eta(batch, self.engine.clock.wall())
        return "" if left is None else fmt.fill(self.tr("≈ %1"), fmt.duration(left))

    def _expires(self, batch: Batch) -> str:
        if not batch.open or batch.expires_at is None:
            return ""
        left = batch.expires_at - self.engine.clock.wall()
        if left <= 0:
            return self.tr("now")
        return fmt.fill(self.tr("in %1"), fmt.duration(left))

    @staticmethod
    def _when(wall: float) -> str:
        moment = QDateTime.fromSecsSinceEpoch(round(wall))
        return QLocale().toString(moment, QLocale.FormatType.ShortFormat)

    def _show_summary(self) -> None:
        open_batches = [b for b in self.batches.values() if b.open]
        waiting = sum(b.jobs for b in open_batches)
        self.summary.setText(batch_texts.waiting_text(waiting, len(open_batches))
                             if waiting else "")

    # ------------------------------------------------------------------ selection

    def batch_at(self, row: int) -> Batch | None:
        item = self.table.item(row, BATCH)
        if item is None:
            return None
        return self.batches.get(int(item.data(Qt.ItemDataRole.UserRole)))

    def selected(self) -> int | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        batch = self.batch_at(rows[0].row())
        return None if batch is None else batch.id

    def select_batch(self, batch_id: int) -> bool:
        for row in range(self.table.rowCount()):
            batch = self.batch_at(row)
            if batch is not None and batch.id == batch_id:
                self.table.selectRow(row)
                return True
        return False

    def _selection_changed(self) -> None:
        self._update_buttons()
        self._emit_filter()

    def _emit_filter(self) -> None:
        chosen = self.selected() if self.show_jobs_button.isChecked() else None
        self.filter_changed.emit(chosen)

    def _update_buttons(self) -> None:
        batch = self.batches.get(self.selected() or -1)
        runner = self.engine.batch_runner
        self.show_jobs_button.setEnabled(batch is not None or self.show_jobs_button.isChecked())
        self.check_button.setEnabled(runner is not None and any(
            b.open for b in self.batches.values()))
        self.check_button.setToolTip(
            self.tr("Ask the provider about the batches now instead of at the next check")
            if runner is not None else
            self.tr("Another Paceline process runs the batches: it checks them"))
        self.cancel_button.setEnabled(batch is not None and batch.open
                                      and not batch.cancel_requested)
        ready = batch is not None and batch.stage == BatchStage.FINISHED and batch.completed > 0
        self.download_button.setEnabled(ready)
        self.download_button.setToolTip(
            self.tr("Export the batch's finished jobs as Markdown, JSON or CSV") if ready else
            self.tr("The answers come back when the whole batch is done"))

    # ------------------------------------------------------------------ operations

    def check_now(self) -> None:
        runner = self.engine.batch_runner
        if runner is not None:
            runner.wake()
            self.actions.notify(self.tr("Checking the batches now."))

    def cancel_selected(self) -> asyncio.Task[None] | None:
        batch_id = self.selected()
        if batch_id is None:
            return None
        if not self.actions.confirm(self.tr("Cancel batch"), fmt.fill(self.tr(
                "Cancel batch %1? The provider stops it; answers it already has are kept, the "
                "other jobs fail as cancelled and can be re-triggered."), batch_id)):
            return None
        return self.runner.start(self._cancel(batch_id), self.tr("Cancelling a batch"))

    async def _cancel(self, batch_id: int) -> None:
        try:
            batch = await self.engine.cancel_batch(batch_id)
        except ValueError as exc:
            self.actions.show_problem(self.tr("The batch was not cancelled."), str(exc))
            return
        self.update_batch(batch)
        self.actions.notify(fmt.fill(self.tr("Cancelling batch %1."), batch_id))

    def download_selected(self) -> asyncio.Task[None] | None:
        batch_id = self.selected()
        if batch_id is None:
            return None
        chosen = self.actions.ask_save_path("md")
        if chosen is None:
            return None
        path, fmt_key = chosen
        return self.runner.start(self.download(batch_id, fmt_key, path),
                                 self.tr("Exporting a batch's results"))

    async def download(self, batch_id: int, fmt_key: str, path: str) -> None:
        """The batch's finished jobs' results to ``path``, as the Export action writes them."""
        requests = await self.engine.store.batch_requests(batch_id)
        ids = sorted({request.job_id for request in requests})
        jobs = [job for job in [await self.engine.job(i) for i in ids] if job is not None]
        done = [job.id for job in jobs if job.state == JobState.DONE]
        if not done:
            self.actions.notify(fmt.fill(self.tr("Batch %1 has no finished jobs to export."),
                                         batch_id))
            return
        await self.actions.export_to(done, fmt_key, Path(path))
