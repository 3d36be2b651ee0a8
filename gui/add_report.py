"""What a drop (or Add files) did, in words: which files were added, which not, and why."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication

from core.store import AddReport
from gui import formatting as fmt

translate = QCoreApplication.translate


@dataclass(frozen=True)
class AddSummary:
    level: str  # "success" | "warning" | "error"
    text: str
    detail: str
    full: str  # one line per file, for the Details dialog

    @property
    def has_problems(self) -> bool:
        return self.level != "success"


def kind_label(kind: str) -> str:
    labels = {
        "queue_full": translate("AddReport", "the queue is full"),
        "unsupported": translate("AddReport", "not a supported document type"),
        "missing": translate("AddReport", "the file does not exist"),
        "empty": translate("AddReport", "the file is empty"),
        "too_large": translate("AddReport", "the file is too large"),
        "unreadable": translate("AddReport", "the file cannot be read"),
    }
    return labels.get(kind, kind)


def summarize(report: AddReport) -> AddSummary:
    added = len(report.accepted)
    duplicates = len(report.duplicates)
    rejected = len(report.rejected)
    given = added + duplicates + rejected
    if given == 0:
        return AddSummary(
            "warning",
            translate("AddReport", "No supported documents found."),
            translate("AddReport",
                      "Paceline reads text, Markdown, CSV, JSON, HTML, PDF and Word documents."),
            "",
        )
    if added == given:
        text = translate("AddReport", "Added %n document(s) to the queue.", "", added)
        level = "success"
    elif added:
        text = fmt.fill(translate("AddReport", "Added %1 of %2 documents."),
                        fmt.integer(added), fmt.integer(given))
        level = "warning"
    else:
        text = translate("AddReport", "Nothing was added.")
        level = "error" if rejected else "warning"

    reasons: list[str] = []
    if duplicates:
        reasons.append(translate(
            "AddReport", "%n already in the queue or done (same content and profile)", "",
            duplicates))
    for kind, n in Counter(k for _, k, _ in report.rejected).most_common():
        reasons.append(fmt.fill(translate("AddReport", "%1 not added: %2"), fmt.integer(n),
                                kind_label(kind)))
    detail = "; ".join(reasons)
    if any(k == "queue_full" for _, k, _ in report.rejected):
        detail += translate(
            "AddReport", ". Wait for jobs to finish, or raise the queue limit in Settings.")
    return AddSummary(level, text, detail, full_listing(report))


def full_listing(report: AddReport) -> str:
    lines = [fmt.fill(translate("AddReport", "Added (job #%1): %2"), job.id, job.path)
             for job in report.accepted]
    lines += [fmt.fill(translate("AddReport", "Already queued or done (job #%1): %2"),
                       existing, path) for path, existing in report.duplicates]
    lines += [fmt.fill(translate("AddReport", "Not added: %1 — %2"), path, message)
              for path, _kind, message in report.rejected]
    return "\n".join(lines)
