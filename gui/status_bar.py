"""The status bar: queue ETA, done and failed totals, tokens and cost, and the analyzer in use."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from core import effective_config, providers
from core.settings import Settings
from gui import batch_texts, core_texts
from gui import formatting as fmt
from gui.queue_summary import QueueSummary


class StatusSummaryBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self.eta_label = QLabel(self)
        self.totals_label = QLabel(self)
        self.tokens_label = QLabel(self)
        self.engine_label = QLabel(self)
        for label in (self.eta_label, self.totals_label, self.tokens_label, self.engine_label):
            label.setContentsMargins(8, 0, 8, 0)
            self.addPermanentWidget(label)
        self.show_summary(QueueSummary(), Settings())

    def show_summary(self, summary: QueueSummary, settings: Settings) -> None:
        counts = summary.counts
        if summary.active == 0:
            self.eta_label.setText(self.tr("Queue empty"))
        elif summary.paused:
            self.eta_label.setText(self.tr("Paused: %n job(s) waiting", "", summary.active))
        elif summary.eta_total is None:
            self.eta_label.setText(self.tr("ETA unknown"))
        else:
            self.eta_label.setText(fmt.fill(self.tr("ETA %1 for %n job(s)", "", summary.active),
                                            fmt.duration(summary.eta_total)))
        if summary.in_batches:  # the provider holds these: hours, not minutes, away
            self.eta_label.setText(fmt.fill(self.tr("%1 · %2"), self.eta_label.text(),
                                            batch_texts.waiting_text(summary.in_batches,
                                                                     len(summary.batches))))
        self.totals_label.setText(fmt.fill(
            self.tr("%1 done · %2 failed · %3 stale"),
            fmt.integer(counts.get("done", 0)), fmt.integer(counts.get("failed", 0)),
            fmt.integer(counts.get("stale", 0))))
        tokens = self.tr("%1 tokens").replace("%1", fmt.integer(summary.tokens))
        if settings.price_per_1k_tokens > 0:
            tokens = fmt.fill(self.tr("%1 · cost %2"), tokens, fmt.money(summary.cost))
        self.tokens_label.setText(tokens)
        tip = fmt.fill(self.tr("Price per 1,000 tokens: %1 (set in Settings)"),
                       fmt.money(settings.price_per_1k_tokens))
        if summary.batch_tokens:
            tip = fmt.fill(self.tr("%1\n%2 of the tokens went through batches, at half the "
                                   "price"), tip, fmt.integer(summary.batch_tokens))
        self.tokens_label.setToolTip(tip)
        self.engine_label.setText(self.engine_text(settings))

    def engine_text(self, settings: Settings) -> str:
        """Where calls go, in the words the Settings dialog uses (core/effective_config.py)."""
        try:
            target = effective_config.endpoint(settings)
        except providers.UnknownPreset:
            return fmt.fill(self.tr("Unknown service %1: choose one in Settings"),
                            settings.preset)
        if target.offline:
            return core_texts.endpoint_text(target)
        return fmt.fill(self.tr("%1, %2 pacing"), core_texts.endpoint_text(target),
                        self.tr("adaptive") if settings.pacing == "adaptive" else self.tr("fixed"))
