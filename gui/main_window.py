"""The main window: toolbar and menus, status tabs and search, banners, the jobs table, the
detail pane and the status bar; drag and drop anywhere on it adds documents."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import (
    QByteArray,
    QCoreApplication,
    QEvent,
    QSettings,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QFontMetrics,
    QIcon,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core import __version__
from core import settings as settings_mod
from core.documents import supported_suffixes
from core.engine import Engine
from core.events import (
    BatchChanged,
    Event,
    JobAdded,
    JobChanged,
    JobProgress,
    JobRemoved,
    QueueStateChanged,
)
from core.jobs import Job
from core.profiles import BUILTIN_PROFILES
from core.settings import Settings, SettingsError
from core.states import ACTIVE_STATES, JobState
from gui import core_texts
from gui import formatting as fmt
from gui.action_factory import make_action
from gui.adaptive_toolbar import AdaptiveToolBar
from gui.add_report import AddReportDialog, AddSummary, summarize
from gui.banner import Banner, QueueBanner, WaitInfo
from gui.batches_pane import BatchesPane
from gui.cell_delegate import CellDelegate
from gui.detail_pane import DetailPane
from gui.drop_overlay import DropOverlay
from gui.folders_pane import FoldersPane
from gui.icons import app_icon, line_icon
from gui.job_actions import JobActions
from gui.job_filter import JobFilter
from gui.jobs_model import Column, JobsModel
from gui.progress_delegate import ProgressDelegate
from gui.queue_summary import QueueSummary, SummaryRefresher
from gui.queue_watch import QueueWatch
from gui.reason_delegate import ReasonDelegate
from gui.settings_dialog import SettingsDialog
from gui.status_bar import StatusSummaryBar
from gui.status_tabs import TAB_STATES, StatusTabs
from gui.tasks import TaskRunner
from gui.tray import TrayIcon, flash
from gui.worker_control import WorkerControl

log = logging.getLogger(__name__)

TICK_MS = 1000
REPAINT_MS = 250
STATE_FILE = "window.ini"
COLUMN_WIDTHS = {
    Column.POSITION: 44, Column.DOCUMENT: 250, Column.PROFILE: 96, Column.STATE: 150,
    Column.PROGRESS: 120, Column.ETA: 100, Column.ATTEMPTS: 76, Column.TOKENS: 78,
    Column.DURATION: 88,
}
CELL_PADDING = 22  # a cell's margins, in pixels
SORT_ARROW = 34  # a header's margins and its sort arrow
STATE_ICON = 22
MAX_FITTED = 220
SEARCH_WIDTH = 280
SEARCH_MIN_WIDTH = 170
# At first start the reason column gets at least this much (a stale job's button and its
# words), taken from the document column down to its minimum.
REASON_ROOM = 300
DOCUMENT_MIN = 180
translate = QCoreApplication.translate


def fitted_column_widths(metrics: QFontMetrics, model: JobsModel) -> dict[Column, int]:
    """The first-start widths, widened where the language's words need it ("Zusammenfassung",
    "Unterbrochen, gerade eben"); a saved header layout replaces them."""
    def width(*texts: str, extra: int = CELL_PADDING) -> int:
        return max(metrics.horizontalAdvance(t) for t in texts) + extra

    widths = dict(COLUMN_WIDTHS)
    for column in Column:  # the title and the sort arrow
        title = str(model.headerData(column, Qt.Orientation.Horizontal))
        widths[column] = max(widths.get(column, 0), width(title, extra=SORT_ARROW))
    # A stale job's age can be longer; it is elided then (the detail pane gives it in full).
    stale = fmt.fill(translate("JobsModel", "%1, %2"), fmt.state_label(JobState.STALE),
                     fmt.ago(0))
    states = [fmt.state_label(s) for s in JobState]
    # A job in a provider batch: "batch 12 · in progress 120/500" (batch_texts words it).
    in_batch = fmt.fill(translate("BatchTexts", "batch %1 · %2 %3/%4"), 12,
                        translate("BatchTexts", "in progress"), 120, 500)
    widths[Column.STATE] = max(widths[Column.STATE], min(
        MAX_FITTED, width(stale, translate("JobsModel", "Queued, will retry"),
                          translate("JobsModel", "Done, cut off"), in_batch, *states,
                          extra=CELL_PADDING + STATE_ICON)))
    widths[Column.PROFILE] = max(widths[Column.PROFILE], min(
        MAX_FITTED, width(*(core_texts.profile_name(p.name) for p in BUILTIN_PROFILES))))
    widths.pop(Column.ERROR, None)  # the last column stretches
    return widths


def room_for_reasons(widths: dict[Column, int], table_width: int) -> dict[Column, int]:
    """The widths with the document column narrowed (not below DOCUMENT_MIN) so the reason
    column, which takes what is left, has REASON_ROOM: a stale job's reason at 1280 px."""
    left = table_width - sum(widths.values())
    if left >= REASON_ROOM:
        return widths
    document = max(DOCUMENT_MIN, widths[Column.DOCUMENT] - (REASON_ROOM - left))
    return {**widths, Column.DOCUMENT: min(widths[Column.DOCUMENT], document)}


def local_paths(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> list[str]:
    """The local files and folders carried by a drag (web URLs and text are ignored)."""
    mime = event.mimeData()
    if mime is None or not mime.hasUrls():
        return []
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile() and url.toLocalFile()]


def accept_as_copy(event: QDropEvent | QDragEnterEvent | QDragMoveEvent) -> bool:
    """Accept a drag as a copy, never a move: some file managers take an accepted move as
    leave to delete the originals. False (not accepted) if the source does not offer a copy."""
    if not event.possibleActions() & Qt.DropAction.CopyAction:
        return False
    event.setDropAction(Qt.DropAction.CopyAction)
    event.accept()
    return True


class MainWindow(QMainWindow):
    close_requested = Signal()

    def __init__(self, engine: Engine, runner: TaskRunner, home: Path) -> None:
        super().__init__()
        self.engine = engine
        self.runner = runner
        self.home = home
        self.clock = engine.clock
        self.worker_control: WorkerControl | None = None
        self.closing = False
        self.last_summary = QueueSummary()
        self.last_add_summary: AddSummary | None = None
        self.add_report_dialog: AddReportDialog | None = None
        self._etas_shown: tuple[dict[int, float], float] | None = None
        self.settings_dialog: SettingsDialog | None = None
        self._last_dir = str(Path.home())

        self.setWindowTitle(self.tr("Paceline"))
        self.setWindowIcon(app_icon())
        self.setObjectName("mainWindow")
        self.setAcceptDrops(True)

        self.model = JobsModel(self.clock, engine, runner, self)
        self.proxy = JobFilter(self)
        self.proxy.setSourceModel(self.model)
        self.summary = SummaryRefresher(engine, runner, self,
                                        active_jobs=self.model.active_in_order)
        self.summary.updated.connect(self._summary_updated)

        self._build_table()
        self.job_actions = JobActions(engine, runner, self.selected_jobs, self.notify, self)
        self.job_actions.raise_output_limit = self.raise_output_limit
        self._build_window_actions()
        self._build_central()
        # Watch folders: a dock under the jobs and the detail pane (View → Folders).
        self.folders_pane = FoldersPane(engine, runner, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.folders_pane)
        self.folders_pane.hide()  # shown when there are folders, or asked for
        # Provider batches: a tab beside the folders, hidden until the queue has a batch.
        self.batches_pane = BatchesPane(engine, runner, self.job_actions, self)
        self.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, self.batches_pane)
        self.tabifyDockWidget(self.folders_pane, self.batches_pane)
        self.batches_pane.hide()
        self.batches_pane.filter_changed.connect(self._batch_filter_changed)
        self.job_actions.show_problem = lambda headline, detail: self.add_banner.set_message(
            "error", headline, detail, closable=True)
        self._build_menus()
        self._build_toolbar()
        self.status = StatusSummaryBar(self)
        self.setStatusBar(self.status)
        self.drop_overlay = DropOverlay(self)
        self.watch = QueueWatch(lambda: self.engine.settings.notifications, self)
        self.watch.queue_emptied.connect(self._queue_emptied)
        self.tray = TrayIcon(self.job_actions.start_pause, self.quit_action, self)
        self.tray.show_requested.connect(self.bring_to_front)
        self.tray.toggle_requested.connect(self.toggle_visible)
        self._told_about_tray = False

        self._ticker = QTimer(self)
        self._ticker.setInterval(TICK_MS)
        self._ticker.timeout.connect(self._tick)
        self._detail_timer = self._single_shot(250, self.detail.refresh)
        self._actions_timer = self._single_shot(0, self._update_actions)
        self._selection_timer = self._single_shot(0, self._selection_changed)
        self._unsubscribe = engine.bus.subscribe(self.on_event)
        self.resize(1280, 800)

    def _single_shot(self, ms: int, slot: object) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(True)
        timer.setInterval(ms)
        timer.timeout.connect(slot)
        return timer

    # ------------------------------------------------------------------ building

    def _build_table(self) -> None:
        view = QTableView(self)
        view.setObjectName("jobsTable")
        view.setModel(self.proxy)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.setSortingEnabled(True)
        view.sortByColumn(Column.POSITION, Qt.SortOrder.AscendingOrder)
        view.setShowGrid(False)
        view.setAlternatingRowColors(True)
        view.setWordWrap(False)
        view.setMouseTracking(True)  # hover look of the Re-trigger buttons
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._context_menu)
        view.verticalHeader().hide()
        view.verticalHeader().setDefaultSectionSize(view.fontMetrics().height() + 14)
        header = view.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionsMovable(True)
        header.setHighlightSections(False)
        header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.fitted_widths = fitted_column_widths(view.fontMetrics(), self.model)
        for column, width in self.fitted_widths.items():
            view.setColumnWidth(column, width)
        view.setItemDelegate(CellDelegate(view))
        self.progress_delegate = ProgressDelegate(view)
        view.setItemDelegateForColumn(Column.PROGRESS, self.progress_delegate)
        self.reason_delegate = ReasonDelegate(view)
        self.reason_delegate.retrigger_requested.connect(
            lambda job_id: self.job_actions.do_retrigger([job_id]))
        view.setItemDelegateForColumn(Column.ERROR, self.reason_delegate)
        view.selectionModel().selectionChanged.connect(lambda *_: self._selection_timer.start())
        view.activated.connect(lambda _index: self.show_result())
        self.table = view
        # Ranks and ETAs shift with every job the worker claims; repainting the whole table
        # for each (dozens a second with the offline analyzer) would keep the loop busy, so
        # those repaints are gathered, a few a second. Changed rows repaint at once anyway.
        self._repaint_timer = QTimer(self)
        self._repaint_timer.setSingleShot(True)
        self._repaint_timer.setInterval(REPAINT_MS)
        self._repaint_timer.timeout.connect(self._repaint_table)
        self.model.derived_changed.connect(self._repaint_soon)
        self.model.dataChanged.connect(lambda *_: self._actions_timer.start())

    def _build_window_actions(self) -> None:
        palette = self.palette()

        def make(icon: str, text: str, shortcut: str | QKeySequence.StandardKey, tip: str,
                 slot: object) -> QAction:
            picture = line_icon(icon, palette) if icon else app_icon()
            return make_action(self, picture, icon, text, shortcut, tip, slot)  # type: ignore[arg-type]

        self.add_files_action = make("add-file", self.tr("Add &files…"),
                                     QKeySequence.StandardKey.Open,
                                     self.tr("Add documents to the queue"), self.add_files_dialog)
        self.add_folder_action = make("add-folder", self.tr("Add f&older…"), "Ctrl+Shift+O",
                                      self.tr("Add every supported document in a folder and "
                                              "its subfolders"), self.add_folder_dialog)
        self.settings_action = make("settings", self.tr("&Settings…"), "Ctrl+,",
                                    self.tr("Provider, API key, pacing, queue and profiles"),
                                    self.open_settings)
        self.quit_action = make("close", self.tr("&Quit"), QKeySequence.StandardKey.Quit,
                                self.tr("Stop the worker and close Paceline"),
                                self.close_requested.emit)
        self.close_window_action = make("", self.tr("&Close window"),
                                        QKeySequence.StandardKey.Close,
                                        self.tr("Close the window (Paceline keeps running in "
                                                "the tray if the settings say so)"), self.close)
        self.close_window_action.setIcon(QIcon())
        self.find_action = make("search", self.tr("&Find"), QKeySequence.StandardKey.Find,
                                self.tr("Search the jobs"), self.focus_search)
        self.show_result_action = make("info", self.tr("Show &result"), "",
                                       self.tr("Show the selected job's result"),
                                       self.show_result)
        self.about_action = make("", self.tr("&About Paceline"), "", "", self.about)
        self.tab_actions = []
        for n in range(len(TAB_STATES)):
            action = QAction(self)
            action.setShortcut(QKeySequence(f"Ctrl+{n + 1}"))
            action.triggered.connect(lambda _c=False, i=n: self.tabs.setCurrentIndex(i))
            self.addAction(action)
            self.tab_actions.append(action)

    def _build_central(self) -> None:
        central = QWidget(self)
        central.setObjectName("central")
        self.queue_banner = QueueBanner(self.clock, central)
        self.queue_banner.retry_now_requested.connect(self.job_actions.do_retry_now)
        self.queue_banner.resume_requested.connect(self.job_actions.toggle_pause)
        self.queue_banner.settings_requested.connect(self.open_settings)
        self.worker_banner = Banner(central)
        self.worker_banner.setObjectName("workerBanner")
        self.add_banner = Banner(central)
        self.add_banner.setObjectName("addBanner")
        self.settings_banner = Banner(central)
        self.settings_banner.setObjectName("settingsBanner")

        self.tabs = StatusTabs(central)
        self.tabs.states_changed.connect(self._states_changed)
        self.search = QLineEdit(central)
        self.search.setObjectName("search")
        self.search.setPlaceholderText(self.tr("Search documents, profiles and errors"))
        self.search.setClearButtonEnabled(True)
        self.search.setAcceptDrops(False)  # a drop anywhere adds documents
        self.search.addAction(line_icon("search", self.palette()),
                              QLineEdit.ActionPosition.LeadingPosition)
        self.search.setFixedWidth(SEARCH_WIDTH)  # narrower when the tabs need the room
        self.search.textChanged.connect(self.proxy.set_search)
        tab_row = QHBoxLayout()
        tab_row.setContentsMargins(0, 0, 0, 0)
        tab_row.addWidget(self.tabs, 1, Qt.AlignmentFlag.AlignBottom)
        tab_row.addWidget(self.search)

        self.detail = DetailPane(self.engine, self.runner, self.clock, central)
        self.detail.retrigger_requested.connect(self.job_actions.do_retrigger)
        self.detail.rerun_larger_requested.connect(self.job_actions.do_rerun_larger)
        self.detail.export_requested.connect(self.job_actions.do_export)
        self.splitter = QSplitter(Qt.Orientation.Vertical, central)
        self.splitter.setObjectName("splitter")
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        layout = QVBoxLayout(central)
        layout.setContentsMargins(8, 6, 8, 0)
        layout.setSpacing(6)
        for banner in (self.settings_banner, self.worker_banner, self.queue_banner,
                       self.add_banner):
            layout.addWidget(banner)
        layout.addLayout(tab_row)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _build_menus(self) -> None:
        a = self.job_actions
        bar = self.menuBar()
        file_menu = bar.addMenu(self.tr("&File"))
        file_menu.addActions([self.add_files_action, self.add_folder_action])
        file_menu.addSeparator()
        file_menu.addAction(a.export)
        file_menu.addSeparator()
        file_menu.addActions([self.close_window_action, self.quit_action])

        queue_menu = bar.addMenu(self.tr("&Queue"))
        queue_menu.addActions([a.start_pause, a.retry_now])
        queue_menu.addSeparator()
        queue_menu.addAction(a.retrigger_all_stale)
        queue_menu.addMenu(a.retry_failed_menu)
        queue_menu.addAction(a.clear_finished)
        queue_menu.addSeparator()
        queue_menu.addAction(self.settings_action)

        job_menu = bar.addMenu(self.tr("&Job"))
        job_menu.addActions([a.open_document, self.show_result_action, a.copy_error])
        job_menu.addSeparator()
        job_menu.addActions([a.retrigger, a.rerun_larger, a.cancel, a.remove])
        job_menu.addSeparator()
        job_menu.addAction(a.send_batch)
        job_menu.addMenu(a.move_menu)
        job_menu.setToolTipsVisible(True)  # a disabled "Send as batch" says why

        view_menu = bar.addMenu(self.tr("&View"))
        view_menu.addAction(self.find_action)
        folders_action = self.folders_pane.toggleViewAction()
        folders_action.setText(self.tr("&Folders"))
        folders_action.setShortcut(QKeySequence("Ctrl+Shift+F"))
        view_menu.addAction(folders_action)
        batches_action = self.batches_pane.toggleViewAction()
        batches_action.setText(self.tr("&Batches"))
        batches_action.setShortcut(QKeySequence("Ctrl+Shift+B"))
        view_menu.addAction(batches_action)

        help_menu = bar.addMenu(self.tr("&Help"))
        help_menu.addAction(self.about_action)

    def _build_toolbar(self) -> None:
        a = self.job_actions
        toolbar = AdaptiveToolBar(self.tr("Main"), self)
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setIconSize(QSize(20, 20))
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addActions([self.add_files_action, self.add_folder_action])
        toolbar.addSeparator()
        toolbar.addActions([a.start_pause, a.retry_now])
        toolbar.addSeparator()
        toolbar.addActions([a.retrigger, a.cancel])
        toolbar.addSeparator()
        toolbar.addAction(a.retrigger_all_stale)
        retry_button = QToolButton(toolbar)
        retry_button.setDefaultAction(a.retry_failed)
        retry_button.setMenu(a.retry_failed_menu)
        retry_button.setPopupMode(QToolButton.ToolButtonPopupMode.MenuButtonPopup)
        retry_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addWidget(retry_button)
        toolbar.addAction(a.clear_finished)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        toolbar.addWidget(spacer)
        toolbar.addAction(self.settings_action)
        self.addToolBar(toolbar)
        self.toolbar = toolbar
        # Narrow windows (and longer German words) cost the least used buttons their words.
        toolbar.set_word_priority([
            a.clear_finished, a.retrigger_all_stale, retry_button, a.cancel, a.retrigger,
            a.retry_now, self.add_folder_action, self.settings_action, a.start_pause,
            self.add_files_action,
        ])

    # ------------------------------------------------------------------ start-up

    async def load(self) -> None:
        """Read the jobs and the queue's state (before the window is shown, or while it is)."""
        # The rows and the counts are two reads: until both are in, the table, the tabs and
        # the status bar are not repainted, so rows saying Done never sit beside "Done (0)".
        held = (self.centralWidget(), self.status)
        for widget in held:
            widget.setUpdatesEnabled(False)
        try:
            await self.model.load()
            await self.summary.refresh_now()
        finally:
            for widget in held:
                widget.setUpdatesEnabled(True)
        meta = self.engine.queue_meta
        self.queue_banner.set_paused(meta.paused, meta.pause_reason, meta.pause_kind)
        self.job_actions.set_paused(meta.paused)
        await self.job_actions.refresh_failed_kinds()
        await self.folders_pane.load()
        await self.batches_pane.load()
        for batch in self.batches_pane.batches.values():
            self.model.set_batch(batch)
        self._show_settings_warnings()
        self._ticker.start()

    def _show_settings_warnings(self) -> None:
        # Values in settings.json that were unusable fell back to their defaults: say which,
        # once, until the person closes it; the file is left for them to fix.
        warnings = self.engine.settings_warnings
        if not warnings:
            return
        self.settings_banner.set_message(
            "warning",
            self.tr("Some saved settings could not be used: Paceline uses their defaults. "
                    "Fix them in Settings."),
            "\n".join(warnings),
            [(self.tr("Settings…"), self.open_settings)],
            closable=True,
        )

    def detach(self) -> None:
        """Stop listening to the engine (before it closes)."""
        self._ticker.stop()
        self._unsubscribe()
        self.folders_pane.detach()
        self.tray.hide()

    # ------------------------------------------------------------------ events from the core

    def on_event(self, event: Event) -> None:
        if self.closing:
            return
        self.model.on_event(event)
        if isinstance(event, BatchChanged):
            # Its jobs' cells, the pane's row, and the counts of jobs waiting in batches.
            self.model.set_batch(event.batch)
            self.batches_pane.update_batch(event.batch)
            self.summary.mark_dirty()
            return
        if isinstance(event, QueueStateChanged):
            self.queue_banner.set_queue_state(event)
            self.job_actions.set_paused(event.paused)
            if event.paused != self.last_summary.paused:
                self.summary.mark_dirty()
            return
        if isinstance(event, JobProgress):
            return
        self.summary.mark_dirty()
        if isinstance(event, JobAdded) or (
                isinstance(event, JobChanged) and event.job.state in ACTIVE_STATES):
            self.watch.note_activity(self.summary.reads_started + 1)
            if isinstance(event, JobChanged) and event.job.state == JobState.QUEUED \
                    and event.job.error_kind:
                self.queue_banner.set_last_error(event.job.error_kind)  # handed back to retry
        if not self._actions_timer.isActive():  # a drop sends 10,000 events in a row
            self._actions_timer.start()
        if isinstance(event, JobChanged | JobRemoved):
            job_id = event.job.id if isinstance(event, JobChanged) else event.job_id
            if job_id in self.detail.job_ids:
                self._detail_timer.start()

    def _summary_updated(self, summary: QueueSummary) -> None:
        failed_changed = summary.counts.get("failed") != self.last_summary.counts.get("failed")
        self.last_summary = summary
        self.tabs.set_counts(summary.counts)
        self._fit_search()
        self.status.show_summary(summary, self.engine.settings)
        # A paused queue has no ETA: its jobs wait for the person, not for the provider.
        etas = ({} if summary.paused else summary.per_job, summary.measured_at)
        if etas != self._etas_shown:  # unchanged for a while with a long queue (throttled)
            self._etas_shown = etas
            self.model.set_etas(*etas)
        self.queue_banner.set_queue_full(summary.counts.get("queued", 0),
                                         self.engine.settings.max_queue)
        if self.engine.worker is None and self.worker_control is not None \
                and self.worker_control.locked_message:
            # Monitoring another worker: its wait comes from the store.
            wait = None
            if summary.wait_left > 0:
                wait = WaitInfo(self.clock.now() + summary.wait_left, summary.wait_kind,
                                summary.wait_reason)
            self.queue_banner.set_wait(wait)
        self.job_actions.update_enabled(summary.counts)
        self.watch.update(summary)
        self.tray.set_tooltip(self.watch.tooltip())
        if failed_changed:
            self.runner.start(self.job_actions.refresh_failed_kinds(),
                              self.tr("Reading the failed jobs"))

    def _tick(self) -> None:
        control = self.worker_control
        busy = control.busy if control is not None else False
        self.queue_banner.set_busy(busy)
        if control is not None:
            control.check_pending()
        if self.last_summary.active or (control is not None and control.locked_message):
            self.summary.mark_dirty()  # the ETA drifts while jobs run
        self._repaint_table()
        self.batches_pane.tick()

    def _repaint_soon(self) -> None:
        if not self._repaint_timer.isActive():
            self._repaint_timer.start()

    def _repaint_table(self) -> None:
        # Time-derived cells (ETA, elapsed, rank, age) are computed when painted.
        self.table.viewport().update()

    # ------------------------------------------------------------------ selection

    def selected_jobs(self) -> list[Job]:
        model = self.table.selectionModel()
        if model is None:
            return []
        rows = sorted({self.proxy.mapToSource(index).row() for index in model.selectedRows()})
        return [self.model.job_at(r) for r in rows if 0 <= r < self.model.rowCount()]

    def select_job(self, job_id: int) -> bool:
        row = self.model.row_of(job_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():
            return False
        self.table.selectRow(index.row())
        self.table.scrollTo(index)
        return True

    def _selection_changed(self) -> None:
        self.detail.show_jobs([j.id for j in self.selected_jobs()])
        self._update_actions()

    def _update_actions(self) -> None:
        self.job_actions.update_enabled(self.last_summary.counts)
        self.show_result_action.setEnabled(len(self.selected_jobs()) == 1)

    def _batch_filter_changed(self, batch_id: object) -> None:
        """The Batches pane shows one batch's jobs: on the All tab, as they are in any state."""
        if batch_id is not None and self.tabs.states() is not None:
            self.tabs.setCurrentIndex(self.tabs.index_of(None))
        self.proxy.set_batch(batch_id if isinstance(batch_id, int) else None)

    def _states_changed(self, states: object) -> None:
        self.proxy.set_states(states)  # type: ignore[arg-type]

    def show_result(self) -> None:
        self.detail.tabs.setCurrentIndex(0)
        self.detail.result_view.setFocus()

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _context_menu(self, pos: object) -> None:
        a = self.job_actions
        menu = QMenu(self)
        menu.addActions([a.open_document, self.show_result_action, a.copy_error])
        menu.addSeparator()
        menu.addActions([a.retrigger, a.rerun_larger, a.cancel, a.remove])
        menu.addSeparator()
        menu.addActions([a.move_top, a.move_up, a.move_down, a.move_bottom])
        menu.addSeparator()
        menu.addActions([a.send_batch, a.export])
        menu.setToolTipsVisible(True)  # a disabled "Send as batch" says why
        menu.addSeparator()
        menu.addAction(a.retrigger_all_stale)
        menu.addMenu(a.retry_failed_menu)
        menu.addAction(a.clear_finished)
        self.context_menu = menu
        menu.popup(self.table.viewport().mapToGlobal(pos))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ adding documents

    def add_paths(self, paths: Sequence[str | Path]) -> asyncio.Task[None] | None:
        if not paths:
            return None
        self.statusBar().showMessage(self.tr("Adding %n item(s)…", "", len(paths)))
        return self.runner.start(self._add(list(paths)), self.tr("Adding documents"))

    async def _add(self, paths: list[str | Path]) -> None:
        try:
            outcome = await self.engine.add_paths(paths)
        except ValueError as exc:  # e.g. the default profile was deleted from the settings
            self.add_banner.set_message("error", self.tr("Nothing was added."), str(exc),
                                        closable=True)
            return
        summary = summarize(outcome.report)
        self.last_add_summary = summary
        buttons = [(self.tr("Details…"), lambda: self.show_add_details(summary))]
        # The banner stays until the person closes it (or the next add replaces it): hiding
        # itself would pull the table up under the pointer.
        self.add_banner.set_message(summary.level, summary.text, summary.detail, buttons,
                                    closable=True, buttons_key=(summary.level, id(summary)))
        self.statusBar().showMessage(summary.text, 5000)

    def show_add_details(self, summary: AddSummary) -> AddReportDialog:
        """The whole report of an add: every path with what became of it, to read or copy."""
        if self.add_report_dialog is not None:
            self.add_report_dialog.close()
            self.add_report_dialog.deleteLater()
        dialog = AddReportDialog(summary, self)
        self.add_report_dialog = dialog
        dialog.open()
        return dialog

    def file_filter(self) -> str:
        patterns = " ".join(f"*{s}" for s in sorted(supported_suffixes()))
        return ";;".join((fmt.fill(self.tr("Documents (%1)"), patterns),
                          self.tr("All files (*)")))

    def add_files_dialog(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, self.tr("Add documents"), self._last_dir,
                                                self.file_filter())
        if files:
            self._last_dir = str(Path(files[0]).parent)
            self.add_paths(files)

    def add_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Add a folder"), self._last_dir)
        if folder:
            self._last_dir = folder
            self.add_paths([folder])

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        paths = local_paths(event)
        if paths and accept_as_copy(event):
            self.drop_overlay.show_for(len(paths))
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if not (local_paths(event) and accept_as_copy(event)):
            event.ignore()

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:
        self.drop_overlay.hide()
        event.accept()

    def dropEvent(self, event: QDropEvent) -> None:
        self.drop_overlay.hide()
        paths = local_paths(event)
        if not paths or not accept_as_copy(event):
            event.ignore()
            return
        self.add_paths(paths)

    # ------------------------------------------------------------------ settings and worker

    def open_settings(self) -> SettingsDialog:
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            return self.settings_dialog
        dialog = SettingsDialog(self.home, self.runner, self)
        dialog.saved.connect(self._settings_saved)
        dialog.open()  # window-modal without a nested event loop (the worker keeps running)
        self.settings_dialog = dialog
        return dialog

    def _settings_saved(self, settings: Settings) -> None:
        self.runner.start(self.apply_settings(settings), self.tr("Applying the settings"))

    async def apply_settings(self, settings: Settings) -> None:
        self.engine.settings = settings  # queue limit, price, profile: at once
        if self.worker_control is None:
            await self.engine.apply_settings(settings)
            applied = True
        else:
            applied = await self.worker_control.apply_settings(settings)
        self.notify(self.tr("Settings saved.") if applied else self.tr(
            "Settings saved. The analyzer switches when the running job finishes."))
        self.status.show_summary(self.last_summary, settings)
        self.summary.mark_dirty()

    async def raise_output_limit(self) -> tuple[int, int] | None:
        """Double the output limit (max_output_tokens) and apply it; (old, new), or None.

        Saved the way the settings dialog saves (validated, written to settings.json, then
        applied to the engine and the worker), so the next call and the dialog both use it.
        """
        saved = settings_mod.load_saved(self.home)
        # The limit in use is the one that cut the answer; double that, not a stale file's.
        old = self.engine.settings.max_output_tokens
        values = replace(saved, max_output_tokens=max(1, old) * 2)
        try:
            effective = settings_mod.apply_env(values)
            settings_mod.save(self.home, values)
        except (SettingsError, OSError) as exc:
            self.show_error(self.tr("Raising the output limit"), exc)
            return None
        dialog = self.settings_dialog
        if dialog is not None:
            # An open dialog saves what it loaded: it must not put the old limit back.
            dialog.original = replace(dialog.original,
                                      max_output_tokens=values.max_output_tokens)
        await self.apply_settings(effective)
        return old, values.max_output_tokens

    def update_worker_state(self) -> None:
        control = self.worker_control
        if control is None:
            return
        if control.locked_message:
            # Who holds the queue, from the lock's note (the core's message is English).
            holder = self.engine.worker_holder() or {}
            self.worker_banner.set_message(
                "info", self.tr("This window is monitoring: another worker runs the queue."),
                fmt.fill(self.tr("%1 Jobs you add here are processed by it. When it stops, "
                                 "click Take over."), core_texts.holder_text(holder)),
                [(self.tr("Take over"), self.take_over)])
        elif control.start_error:
            self.worker_banner.set_message(
                "error", self.tr("The worker cannot start with the current settings."),
                control.start_error, [(self.tr("Open Settings…"), self.open_settings)])
        else:
            self.worker_banner.hide()
        self.job_actions.retry_now.setEnabled(control.running)

    def take_over(self) -> asyncio.Task[bool] | None:
        if self.worker_control is None:
            return None
        return self.runner.start(self.worker_control.start(), self.tr("Starting the worker"))

    # ------------------------------------------------------------------ messages

    def notify(self, message: str) -> None:
        self.statusBar().showMessage(message, 6000)

    def show_error(self, what: str, error: BaseException) -> None:
        """A task failed: say what, and what to do, without stopping the window."""
        self.add_banner.set_message(
            "error", fmt.fill(self.tr("%1 failed."), what),
            fmt.fill(self.tr("%1 The details are in the log file in %2."), str(error),
                     str(self.home / "logs")), closable=True)

    def about(self) -> None:
        QMessageBox.about(self, self.tr("About Paceline"), fmt.fill(self.tr(
            "Paceline %1\n\nA queue runner for document analysis through rate-limited "
            "language-model APIs.\n\nData folder: %2"), __version__, str(self.home)))

    # ------------------------------------------------------------------ window state

    def _state_store(self) -> QSettings:
        return QSettings(str(self.home / STATE_FILE), QSettings.Format.IniFormat)

    def save_state(self) -> None:
        state = self._state_store()
        state.setValue("geometry", self.saveGeometry())
        state.setValue("windowState", self.saveState())
        state.setValue("header", self.table.horizontalHeader().saveState())
        state.setValue("splitter", self.splitter.saveState())
        state.setValue("tab", self.tabs.currentIndex())
        state.sync()

    def restore_state(self) -> None:
        state = self._state_store()
        for key, restore in (
            ("geometry", self.restoreGeometry),
            ("windowState", self.restoreState),
            ("header", self.table.horizontalHeader().restoreState),
            ("splitter", self.splitter.restoreState),
        ):
            value = state.value(key)
            if isinstance(value, QByteArray) and not value.isEmpty():
                restore(value)
        self._fit_columns(first_start=not state.contains("header"))
        if not state.contains("splitter"):
            self.splitter.setSizes([self.height() * 3 // 5, self.height() * 2 // 5])
        if not state.contains("windowState"):
            # the pane's first height: a few folders, the jobs keep most of the window
            self.resizeDocks([self.folders_pane, self.batches_pane], [190, 190],
                             Qt.Orientation.Vertical)
            if self.folders_pane.folders:
                self.folders_pane.show()  # a first start with watch folders (from the CLI)
        if any(batch.open for batch in self.batches_pane.batches.values()):
            self.batches_pane.appear()  # a batch at work is shown, whatever the last layout hid
        try:
            tab = int(state.value("tab", 0))
        except (TypeError, ValueError):
            tab = 0
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)

    def _fit_columns(self, *, first_start: bool) -> None:
        """Words of this language fit their columns: a layout saved in a shorter language
        (English "Summary" in a column now showing "Zusammenfassung") is widened; at first
        start the reason column gets its room from the document column."""
        view = self.table
        if first_start:
            style = view.style()
            scroll_bar = style.pixelMetric(style.PixelMetric.PM_ScrollBarExtent)
            margins = self.centralWidget().layout().contentsMargins()
            width = (self.width() - margins.left() - margins.right()
                     - 2 * view.frameWidth() - scroll_bar)
            for column, fitted in room_for_reasons(self.fitted_widths, width).items():
                view.setColumnWidth(column, fitted)
            return
        for column in (Column.PROFILE, Column.STATE):
            if not view.isColumnHidden(column) \
                    and view.columnWidth(column) < self.fitted_widths[column]:
                view.setColumnWidth(column, self.fitted_widths[column])

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_search()

    def _fit_search(self) -> None:
        """Give the search field what the tabs leave (the tabs' words grow with the counts
        and the language); below its minimum the tabs get their scroll arrows instead."""
        central = self.centralWidget()
        if central is None:
            return
        margins = central.layout().contentsMargins()
        room = (central.width() - margins.left() - margins.right()
                - self.tabs.sizeHint().width() - 12)
        width = max(SEARCH_MIN_WIDTH, min(SEARCH_WIDTH, room))
        if width != self.search.width():
            self.search.setFixedWidth(width)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.PaletteChange and hasattr(self, "job_actions"):
            self.job_actions.refresh_icons()
            palette = self.palette()
            for action in (self.add_files_action, self.add_folder_action, self.settings_action,
                           self.quit_action, self.find_action, self.show_result_action):
                name = action.property("iconName")
                if name:
                    action.setIcon(line_icon(str(name), palette))
        super().changeEvent(event)

    # ------------------------------------------------------------------ tray and closing

    def keeps_running_in_tray(self) -> bool:
        return self.engine.settings.close_to_tray and self.tray.available

    def bring_to_front(self) -> None:
        """Show the window in front (from the tray, or for paths sent by a second launch)."""
        if self.isMinimized():
            self.showNormal()
        else:
            self.show()
        self.raise_()
        self.activateWindow()

    def toggle_visible(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.bring_to_front()

    def _queue_emptied(self, title: str, message: str) -> None:
        if not self.tray.notify(title, message):
            self.statusBar().showMessage(fmt.fill(self.tr("%1: %2"), title, message), 15000)
            flash(self)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.closing:
            event.accept()
            return
        if self.keeps_running_in_tray():
            event.ignore()
            self.save_state()
            self.hide()
            if not self._told_about_tray and self.engine.settings.notifications:
                self._told_about_tray = True
                self.tray.notify(self.tr("Paceline is still running"), self.tr(
                    "The queue goes on in the background. Click the tray icon to open the "
                    "window; choose Quit in its menu to stop Paceline."))
            return
        # The application shuts the worker and the database down first, then closes us.
        event.ignore()
        self.close_requested.emit()
