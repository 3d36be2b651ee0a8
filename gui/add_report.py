"""What a drop (or Add files, Open with, a second launch) did, in words: which files were added,
which not, and why; the whole report in a dialog that can be resized and copied."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QObject, QSize
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.documents import NO_DOCUMENTS
from core.jobs import AddReport
from gui import core_texts
from gui import formatting as fmt


@dataclass(frozen=True)
class AddSummary:
    level: str  # "success" | "warning" | "error"
    text: str
    detail: str
    report: AddReport | None = None

    @property
    def has_problems(self) -> bool:
        return self.level != "success"

    @functools.cached_property
    def full(self) -> str:
        """One line per file, for the Details dialog: written only when asked for (a drop of
        10,000 files would otherwise format 10,000 lines nobody reads)."""
        return "" if self.report is None else AddReportWriter().full_listing(self.report)


class AddReportWriter(QObject):
    """A QObject only so that its strings, plural forms included, are found by lupdate."""

    def kind_label(self, kind: str) -> str:
        labels = {
            "queue_full": self.tr("the queue is full"),
            "unsupported": self.tr("not a supported document type"),
            "missing": self.tr("the file does not exist"),
            "empty": self.tr("the file is empty"),
            "too_large": self.tr("the file is too large"),
            "unreadable": self.tr("the file cannot be read"),
            NO_DOCUMENTS: self.tr(
                "a folder with no supported documents (PDF, DOCX, HTML, text, images)"),
        }
        return labels.get(kind) or core_texts.error_kind_label(kind)

    def summarize(self, report: AddReport) -> AddSummary:
        added = len(report.accepted)
        duplicates = len(report.duplicates)
        rejected = len(report.rejected)
        given = added + duplicates + rejected
        if given == 0:
            return AddSummary(
                "warning",
                self.tr("No supported documents found."),
                self.tr("Paceline reads text, Markdown, CSV, JSON, HTML, PDF and Word "
                        "documents."),
            )
        if added == given:
            text = self.tr("Added %n document(s) to the queue.", "", added)
            level = "success"
        elif added:
            text = fmt.fill(self.tr("Added %1 of %2 documents."), fmt.integer(added),
                            fmt.integer(given))
            level = "warning"
        else:
            text = self.tr("Nothing was added.")
            level = "error" if rejected else "warning"

        reasons: list[str] = []
        if duplicates:
            reasons.append(self.tr(
                "%n already in the queue or done (same content and profile)", "", duplicates))
        for kind, n in Counter(k for _, k, _ in report.rejected).most_common():
            reasons.append(fmt.fill(self.tr("%1 not added: %2"), fmt.integer(n),
                                    self.kind_label(kind)))
        detail = "; ".join(reasons)
        if any(k == "queue_full" for _, k, _ in report.rejected):
            detail = fmt.fill(self.tr(
                "%1. Wait for jobs to finish, or raise the queue limit in Settings."), detail)
        return AddSummary(level, text, detail, report)

    def full_listing(self, report: AddReport) -> str:
        added = self.tr("Added (job #%1): %2")
        duplicate = self.tr("Already queued or done (job #%1): %2")
        refused = self.tr("Not added: %1 — %2")
        # The reason by its kind, in the window's language (core's message is English).
        lines = [fmt.fill(added, job.id, job.path) for job in report.accepted]
        lines += [fmt.fill(duplicate, existing, path) for path, existing in report.duplicates]
        lines += [fmt.fill(refused, path, self.kind_label(kind))
                  for path, kind, _message in report.rejected]
        return "\n".join(lines)

    def copied_text(self, summary: AddSummary) -> str:
        """The whole report as the Copy button puts it on the clipboard."""
        head = [summary.text] + ([summary.detail] if summary.detail else [])
        return "\n".join([*head, "", summary.full]).rstrip() + "\n"


class AddReportDialog(QDialog):
    """The whole report: a summary, then one line per path in a list that never wraps a path
    mid-word (it scrolls sideways instead), and a button that copies all of it."""

    def __init__(self, summary: AddSummary, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = summary
        self.setObjectName("addReportDialog")
        self.setWindowTitle(self.tr("Added documents"))
        self.setSizeGripEnabled(True)
        layout = QVBoxLayout(self)
        self.headline = QLabel(summary.text, self)
        self.headline.setObjectName("addReportHeadline")
        font = self.headline.font()
        font.setBold(True)
        self.headline.setFont(font)
        layout.addWidget(self.headline)
        self.detail = QLabel(summary.detail, self)
        self.detail.setWordWrap(True)  # sentences wrap; the paths below do not
        self.detail.setVisible(bool(summary.detail))
        layout.addWidget(self.detail)
        self.listing = QPlainTextEdit(self)
        self.listing.setObjectName("addReportListing")
        self.listing.setReadOnly(True)
        self.listing.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.listing.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.listing.setPlainText(summary.full)
        layout.addWidget(self.listing, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copy_button = QPushButton(self.tr("&Copy report"), self)
        self.copy_button.setToolTip(self.tr("Copy the summary and every line to the clipboard"))
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_report)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

        self.resize(self._first_size())

    def _first_size(self) -> QSize:
        # Wide enough for the paths in full where the screen allows; resizable either way.
        metrics = self.listing.fontMetrics()
        widest = max((metrics.horizontalAdvance(line)
                      for line in self.summary.full.splitlines()[:500]), default=0)
        screen = self.screen() or QGuiApplication.primaryScreen()
        limit = screen.availableGeometry().width() * 9 // 10 if screen is not None else 1200
        return QSize(max(560, min(limit, widest + 60)), 420)

    def copy_report(self) -> None:
        QGuiApplication.clipboard().setText(AddReportWriter().copied_text(self.summary))


def summarize(report: AddReport) -> AddSummary:
    return AddReportWriter().summarize(report)
