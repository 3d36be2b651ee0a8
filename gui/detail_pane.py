"""The detail pane: the selected job's result as Markdown, its error or stale reason, its log.

The result comes from a language model, so it is untrusted: the browser loads no resource at
all (no remote images, no tracking pixels, no local files) and never follows a link by itself.
Clicking a web link opens it in the system browser, which is the person's choice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from PySide6.QtCore import QDate, QDateTime, QLocale, Qt, QTime, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QDesktopServices,
    QFont,
    QFontDatabase,
    QFontMetricsF,
    QGuiApplication,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QTabWidget,
    QTextBrowser,
    QTextEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from core.clock import Clock
from core.engine import Engine
from core.job_log import LogEntry
from core.jobs import Job
from core.states import ACTIVE_STATES, DOUBTFUL_TEXT, OUTPUT_TRUNCATED, JobState
from gui import core_texts
from gui import formatting as fmt
from gui.banner import Banner
from gui.icons import line_icon
from gui.tasks import TaskRunner

EXPORT_FORMATS = ("md", "json", "csv")
# GitHub's Markdown without raw HTML: the answer is the model's text (and the document's, which
# the model may echo), so a <a>, <img> or <span style> in it is shown as written, never rendered
# as a link or markup the Markdown does not show.
MARKDOWN_FEATURES = (QTextDocument.MarkdownFeature.MarkdownDialectGitHub
                     | QTextDocument.MarkdownFeature.MarkdownNoHTML)
LINK_SCHEMES = ("http", "https", "mailto")
# A queued or running job's log is read again this often while its Log tab is shown: a call's
# start or a throttle is written without changing the job's row, so no change event tells.
LOG_POLL_MS = 1000
LOG_TIME_FORMAT = "HH:mm:ss"


class SafeTextBrowser(QTextBrowser):
    """A Markdown view that loads no resources and follows no link on its own."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.setAcceptDrops(False)  # a drop belongs to the window: it adds documents
        self.blocked: list[QUrl] = []
        # Asked before a link opens (tests replace it); the default is a dialog naming the URL.
        self.confirm_link: Callable[[QUrl], bool] = self._ask_to_open
        self.open_url: Callable[[QUrl], bool] = QDesktopServices.openUrl
        self.anchorClicked.connect(self._open_link)
        # A link's text can say anything: the pointer shows where it really goes.
        self.highlighted.connect(self._show_target)

    def set_markdown(self, text: str) -> None:
        self.document().setMarkdown(text, MARKDOWN_FEATURES)

    def loadResource(self, kind: int, url: QUrl | str) -> object:
        # Refuse everything: http(s) would leak that the result was read (and from where),
        # file: URLs could show local files the model named.
        self.blocked.append(QUrl(url))
        return None

    def _show_target(self, url: QUrl) -> None:
        self.setToolTip(url.toString() if not url.isEmpty() else "")

    def _open_link(self, url: QUrl) -> None:
        # A model's answer can hold any link: nothing opens in one click without the person
        # seeing the whole address first, and only web and mail links open at all.
        if url.scheme() in LINK_SCHEMES and self.confirm_link(url):
            self.open_url(url)

    def _ask_to_open(self, url: QUrl) -> bool:
        answer = QMessageBox.question(
            self, self.tr("Open link"),
            fmt.fill(self.tr("The answer links to:\n\n%1\n\nOpen it in your browser?"),
                     url.toString()),
            QMessageBox.StandardButton.Open | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Open


class DetailPane(QWidget):
    retrigger_requested = Signal(list)  # job ids
    rerun_larger_requested = Signal(list)  # job ids cut off at the output limit
    export_requested = Signal(str)  # "md" | "json" | "csv", for the current selection

    def __init__(self, engine: Engine | None, runner: TaskRunner, clock: Clock,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.engine = engine
        self.clock = clock
        self.runner = runner
        self._ids: list[int] = []
        self._generation = 0
        self.shown_job: Job | None = None

        self.title = QLabel(self)
        self.title.setObjectName("detailTitle")
        title_font = QFont(self.title.font())
        title_font.setBold(True)
        title_font.setPointSizeF(title_font.pointSizeF() * 1.15)
        self.title.setFont(title_font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.meta = QLabel(self)
        self.meta.setObjectName("detailMeta")
        self.meta.setWordWrap(True)
        self.meta.setTextFormat(Qt.TextFormat.PlainText)
        self.meta.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.meta.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.export_button = QToolButton(self)
        self.export_button.setText(self.tr("Export"))
        self.export_button.setIcon(line_icon("export", self.palette()))
        self.export_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.export_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.export_button)
        for key, label in self.format_labels().items():
            action = menu.addAction(label)
            action.setData(key)
            action.triggered.connect(lambda _c=False, k=key: self.export_requested.emit(k))
        self.export_button.setMenu(menu)

        self.notice = Banner(self)

        self.result_view = SafeTextBrowser(self)
        self.result_view.setObjectName("resultView")
        self.log_page = JobLogView(self.runner, self)
        self.log_view = self.log_page.text
        self.tabs = QTabWidget(self)
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.result_view, self.tr("Result"))
        self.tabs.addTab(self.log_page, self.tr("Log"))
        self.tabs.currentChanged.connect(lambda _i: self._follow_log())

        head = QHBoxLayout()
        titles = QVBoxLayout()
        titles.setSpacing(2)
        titles.addWidget(self.title)
        titles.addWidget(self.meta)
        head.addLayout(titles, 1)
        head.addWidget(self.export_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 4)
        layout.setSpacing(6)
        layout.addLayout(head)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)
        self.show_jobs([])

    def format_labels(self) -> dict[str, str]:
        return {
            "md": self.tr("Markdown…"),
            "json": self.tr("JSON…"),
            "csv": self.tr("CSV…"),
        }

    # ------------------------------------------------------------------ showing

    @property
    def job_ids(self) -> list[int]:
        return list(self._ids)

    def show_jobs(self, ids: Sequence[int]) -> asyncio.Task[None] | None:
        """Show one job in full, or a summary of several; returns the loading task if any."""
        self._ids = list(ids)
        self._generation += 1
        self.export_button.setEnabled(bool(self._ids))
        if not self._ids:
            self.shown_job = None
            self.title.setText(self.tr("No job selected"))
            self.meta.setText(self.tr(
                "Select a job to see its result, error and log. Drop documents anywhere on "
                "the window to add them."))
            self.notice.hide()
            self.result_view.clear()
            self.log_page.show_job(None)
            return None
        if len(self._ids) > 1:
            self.shown_job = None
            self.title.setText(self.tr("%n job(s) selected", "", len(self._ids)))
            self.meta.setText(self.tr("Export saves the results of all selected jobs."))
            self.notice.hide()
            self.result_view.clear()
            self.log_page.show_job(None)
            return None
        if self.engine is None:
            return None
        return self.runner.start(self._load(self._ids[0], self._generation),
                                 self.tr("Loading the job's details"))

    def refresh(self) -> None:
        """Reload the shown job (it changed)."""
        if len(self._ids) == 1:
            self.show_jobs(self._ids)

    async def _load(self, job_id: int, generation: int) -> None:
        assert self.engine is not None
        job = await self.engine.job(job_id)
        after = self.log_page.last_id if self.log_page.job_id == job_id else 0
        log = await self.engine.job_log(job_id, after) if job is not None else []
        if generation != self._generation:
            return  # the selection moved on while we read
        if job is None:
            self.show_jobs([])
            return
        self._render(job, log)

    def _render(self, job: Job, log: Sequence[LogEntry]) -> None:
        self.shown_job = job
        self.title.setText(job.name)
        self.meta.setText(self._meta_line(job))
        self._render_notice(job)
        scroll = self.result_view.verticalScrollBar().value()
        if job.result:
            self.result_view.set_markdown(job.result)
            self.result_view.verticalScrollBar().setValue(scroll)
        else:
            self.result_view.setPlainText(self._placeholder(job))
        if self.log_page.job_id == job.id:
            self.log_page.append(log)  # what a poll has not shown yet
        else:
            self.log_page.show_job(job.id, log)
        self._follow_log()

    def _follow_log(self) -> None:
        """Read a queued or running job's log again and again while its Log tab is open."""
        job = self.shown_job
        self.log_page.follow(
            self.engine if job is not None and job.state in ACTIVE_STATES
            and self.tabs.currentWidget() is self.log_page else None
        )  # fmt: skip

    def _meta_line(self, job: Job) -> str:
        state = fmt.state_label(job.state)
        if job.state == JobState.DONE and job.error_kind == OUTPUT_TRUNCATED:
            state = self.tr("Done, cut off")  # as the table says it
        parts = [job.path, core_texts.profile_name(job.profile), state]
        if job.provider and job.provider != "offline":
            parts.append(core_texts.job_endpoint_text(job.provider, job.model, job.host))
        if job.tokens:
            parts.append(self.tr("%n token(s)", "", job.tokens))
        if job.duration_s:
            parts.append(fmt.duration(job.duration_s))
        return "  ·  ".join(parts)

    def _render_notice(self, job: Job) -> None:
        retrigger = (self.tr("Re-trigger"), lambda: self.retrigger_requested.emit([job.id]))
        if job.state == JobState.STALE:
            age = fmt.ago(max(0.0, self.clock.wall() - (job.finished_at or 0)))
            self.notice.set_message(
                "warning",
                fmt.fill(self.tr("Stale since %1: it was running when Paceline stopped."), age)
                if job.finished_at else self.tr("Stale: it was running when Paceline stopped."),
                core_texts.stale_reason(job.stale_reason), [retrigger])
        elif job.state == JobState.FAILED and job.error_kind == DOUBTFUL_TEXT:
            # Re-triggering this job is the person's word that the text is right.
            self.notice.set_message(
                "warning", self.tr("Not sent: the text read from it looks garbled."),
                job.error or "",
                [(self.tr("Send anyway"), lambda: self.retrigger_requested.emit([job.id]))])
        elif job.state == JobState.FAILED:
            self.notice.set_message(
                "error",
                fmt.fill(self.tr("Failed (%1)"), core_texts.error_kind_label(job.error_kind)),
                job.error or "", [retrigger])
        elif job.state == JobState.DONE and job.error_kind == OUTPUT_TRUNCATED:
            # Done (the answer below is what came back), but not whole: say so above it.
            self.notice.set_message(
                "warning", self.tr("This answer is incomplete."),
                core_texts.cut_off_detail(job.error),
                [(self.tr("Run again with a larger output limit"),
                  lambda: self.rerun_larger_requested.emit([job.id]))])
        elif job.state == JobState.DONE and job.doubt:
            self.notice.set_message(
                "warning", self.tr("The text read from this document looks garbled."),
                fmt.fill(self.tr("%1. The answer below may be of little use."), job.doubt), [])
        elif job.state == JobState.QUEUED and job.error:
            self.notice.set_message(
                "warning", self.tr("The last attempt failed; the job will be tried again."),
                job.error, [])
        else:
            self.notice.hide()

    def _placeholder(self, job: Job) -> str:
        if job.state == JobState.QUEUED:
            return self.tr("Waiting in the queue.")
        if job.state == JobState.RUNNING:
            if job.batch_id is not None:  # no call of its own: the provider has it
                return fmt.fill(self.tr("Sent in batch %1 to the provider's Batch API: the "
                                        "result comes back when the whole batch is done."),
                                job.batch_id)
            if job.parts_planned > 1:
                return fmt.fill(self.tr("Working on it: %1 of %2 parts done."),
                                job.parts_done, job.parts_planned)
            return self.tr("Working on it…")
        if job.state == JobState.CANCELLED:
            return self.tr("Cancelled: no result.")
        return self.tr("No result.")


class JobLogView(QWidget):
    """One job's log: a line per event, local time first, newest at the bottom.

    New entries are appended (asked for by the id of the last one shown), so a selection
    being copied and a scrolled-back view stay where they are; a view at the bottom follows
    the new lines.
    """

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.job_id: int | None = None
        self.last_id = 0
        self._last_day: QDate | None = None
        self._engine: Engine | None = None
        self._polling = False

        # A QTextEdit, not a QPlainTextEdit: only its layout indents a wrapped line under the
        # message instead of under the time.
        self.text = QTextEdit(self)
        self.text.setObjectName("logView")
        self.text.setReadOnly(True)
        self.text.setAcceptRichText(False)
        self.text.setUndoRedoEnabled(False)
        self.text.setAcceptDrops(False)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.text.setPlaceholderText(self.tr("The job's events appear here as they happen."))
        self.copy_button = QToolButton(self)
        self.copy_button.setObjectName("copyLog")
        self.copy_button.setText(self.tr("Copy log"))
        self.copy_button.setToolTip(self.tr("Copy the whole log to the clipboard"))
        self.copy_button.clicked.connect(self.copy)
        self._timer = QTimer(self)
        self._timer.setInterval(LOG_POLL_MS)
        self._timer.timeout.connect(self._poll)

        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)
        self.show_job(None)

    def show_job(self, job_id: int | None, entries: Sequence[LogEntry] = ()) -> None:
        """Show another job's log (None: none) from its start."""
        self.job_id = job_id
        self.last_id = 0
        self._last_day = None
        self.text.clear()
        self.copy_button.setEnabled(False)
        if job_id is None:
            self.follow(None)
        self.append(entries)

    def append(self, entries: Sequence[LogEntry]) -> None:
        """Add the entries not shown yet (a poll and a reload may both bring one)."""
        entries = [e for e in entries if e.id > self.last_id]
        if not entries:
            return
        bar = self.text.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum()
        # A cursor of its own: the person's selection stays as it is.
        cursor = QTextCursor(self.text.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        width = QFontMetricsF(self.text.font()).horizontalAdvance(
            QLocale().toString(QTime(23, 59, 59), LOG_TIME_FORMAT) + "  ")
        for hanging, line in self._lines(entries):
            block = QTextBlockFormat()
            if hanging is not None:
                block.setLeftMargin(width)
                block.setTextIndent(-width if hanging else 0)
            if cursor.position() > 0:
                cursor.insertBlock(block)
            else:
                cursor.setBlockFormat(block)
            cursor.insertText(line)
        self.last_id = entries[-1].id
        self.copy_button.setEnabled(True)
        if at_bottom:
            bar.setValue(bar.maximum())

    def _lines(self, entries: Sequence[LogEntry]) -> list[tuple[bool | None, str]]:
        """(hanging, text) per line: True for an event (wrapped under its message), False for
        a further line of its message, None for a day."""
        locale = QLocale()
        lines: list[tuple[bool | None, str]] = []
        for entry in entries:
            when = QDateTime.fromMSecsSinceEpoch(round(entry.at * 1000)).toLocalTime()
            if when.date() != self._last_day:
                # The day once, above its first event: a line for each would be noise.
                self._last_day = when.date()
                lines.append((None, locale.toString(when.date(), QLocale.FormatType.LongFormat)))
            stamp = locale.toString(when.time(), LOG_TIME_FORMAT)
            first, *rest = entry.message.splitlines() or [""]
            lines.append((True, f"{stamp}  {first}"))
            lines.extend((False, line) for line in rest)  # a traceback's lines
        return lines

    def copy(self) -> None:
        QGuiApplication.clipboard().setText(self.text.toPlainText())

    def follow(self, engine: Engine | None) -> None:
        """Poll ``engine`` for new entries of the shown job (None: stop)."""
        self._engine = engine
        if engine is None or self.job_id is None:
            self._timer.stop()
        elif not self._timer.isActive():
            self._timer.start()

    def _poll(self) -> None:
        if self._engine is None or self.job_id is None or self._polling or not self.isVisible():
            return
        self._polling = True
        self.runner.start(self._read_new(self._engine, self.job_id),
                          self.tr("Reading the job's log"))

    async def _read_new(self, engine: Engine, job_id: int) -> None:
        try:
            entries = await engine.job_log(job_id, self.last_id)
            if job_id == self.job_id:  # still the job shown
                self.append(entries)
        finally:
            self._polling = False
