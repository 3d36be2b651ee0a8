"""What a drop (or Add files) did, in words: which files were added, which not, and why."""

from __future__ import annotations

import functools
from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QObject

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


def summarize(report: AddReport) -> AddSummary:
    return AddReportWriter().summarize(report)
