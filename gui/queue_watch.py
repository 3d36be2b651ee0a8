"""A busy spell of the queue, from the first job queued to the queue running empty.

It words the tray's tooltip ("Paceline — 3 of 10 done, ETA 2 min") and decides when the
queue has emptied, for the one summary notification of a spell ("42 done, 3 failed"), never
one per job.

The figures are differences of the stored counts (done, failed, cancelled) against a baseline
taken while the queue was idle, so they include jobs the window never loaded and jobs finished
by another process. A summary read that started before the latest activity may still show an
idle queue (a job added and finished between two reads); it is not taken as the end of a
spell: ``SummaryRefresher`` numbers its reads, and the spell ends only on a read that started
after the last job was queued.

Jobs waiting in a provider batch do not keep a spell going: the provider may take hours. The
spell ends when the calls are done, its notification says how many jobs the batches still hold
("5 done · 40 waiting in 1 batch"), and a batch's jobs coming back end a spell of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from gui import batch_texts
from gui import formatting as fmt
from gui.queue_summary import QueueSummary

FINISHED = ("done", "failed", "cancelled")


class QueueWatch(QObject):
    # The queue ran empty after a spell of work: (title, message), once per spell.
    queue_emptied = Signal(str, str)

    def __init__(self, notifications_on: Callable[[], bool],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.notifications_on = notifications_on
        self._baseline: dict[str, int] | None = None
        self._spell = False  # work was seen since the baseline
        self._activity_read = 0  # the first summary read that can see the latest activity
        self._in_batches = 0  # jobs in batches at the last end of a spell
        self.latest = QueueSummary()
        self.notified = 0  # notifications sent so far (for tests and the log)

    def note_activity(self, next_read: int) -> None:
        """A job was queued or started: a spell is on, at least until read ``next_read``."""
        self._spell = True
        self._activity_read = max(self._activity_read, next_read)

    def update(self, summary: QueueSummary) -> None:
        self.latest = summary
        counts = summary.counts
        if self._baseline is None:
            self._baseline = dict(counts)
        if summary.working > 0:
            self._spell = True
            return
        if summary.read_number < self._activity_read:
            return  # this read began before the latest job was queued: not the end yet
        # A batch's jobs came back (fewer wait in batches than at the last end): their own spell.
        if self._spell or summary.in_batches < self._in_batches:
            self._spell_ended(summary)
        self._in_batches = summary.in_batches
        self._baseline = dict(counts)
        self._spell = False

    def _spell_ended(self, summary: QueueSummary) -> None:
        counts = summary.counts
        done, failed = self._delta(counts, "done"), self._delta(counts, "failed")
        if not done and not failed:
            return  # only cancelled, removed or sent as a batch: nothing worth a notification
        if not self.notifications_on():
            return
        if failed:
            message = fmt.fill(self.tr("%1 done, %2 failed"), fmt.integer(done),
                               fmt.integer(failed))
        else:
            message = self.tr("%n done", "", done)
        if summary.in_batches:
            message = fmt.fill(self.tr("%1 · %2"), message, batch_texts.waiting_text(
                summary.in_batches, len(summary.batches)))
        self.notified += 1
        # With jobs still at the provider the queue is not empty: say what did end.
        title = (self.tr("The queue's calls are done") if summary.in_batches
                 else self.tr("The queue is empty"))
        self.queue_emptied.emit(title, message)

    def _delta(self, counts: dict[str, int], state: str) -> int:
        base = self._baseline or {}
        return max(0, counts.get(state, 0) - base.get(state, 0))

    # ------------------------------------------------------------------ the tooltip

    def tooltip(self) -> str:
        summary = self.latest
        active = summary.active
        if active == 0:
            return self.tr("Paceline — the queue is empty")
        if summary.paused:
            return self.tr("Paceline — paused, %n job(s) waiting", "", active)
        finished = sum(self._delta(summary.counts, state) for state in FINISHED)
        total = finished + active
        if summary.eta_total is None:
            text = fmt.fill(self.tr("Paceline — %1 of %2 done"), fmt.integer(finished),
                            fmt.integer(total))
        else:
            text = fmt.fill(self.tr("Paceline — %1 of %2 done, ETA %3"), fmt.integer(finished),
                            fmt.integer(total), fmt.duration(summary.eta_total))
        if summary.in_batches:
            text = fmt.fill(self.tr("%1 · %2"), text, batch_texts.waiting_text(
                summary.in_batches, len(summary.batches)))
        return text
