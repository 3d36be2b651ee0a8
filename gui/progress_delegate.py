"""Paints the progress column as a progress bar, in the style's own look.

Running jobs use the palette's highlight, finished ones a success tint, and jobs that stopped
(failed, stale, cancelled) a disabled bar that still shows how far they got.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize
from PySide6.QtGui import QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
)

from core.jobs import Job
from core.states import JobState
from gui import formatting as fmt
from gui.cell_delegate import CellDelegate
from gui.jobs_model import Role
from gui.palette import ACCENTS

BAR_MAX = 1000
BAR_HEIGHT = 16
STOPPED = frozenset({JobState.FAILED, JobState.STALE, JobState.CANCELLED})


class ProgressDelegate(CellDelegate):
    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        job = index.data(Role.JOB)
        view_option = QStyleOptionViewItem(option)
        self.initStyleOption(view_option, index)
        view_option.text = ""
        widget = view_option.widget
        style = widget.style() if widget is not None else QApplication.style()
        # Background and selection first, exactly as any other cell.
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, view_option, painter, widget)
        if not isinstance(job, Job):
            return
        # The model's figure: a job in a provider batch shows how far its batch is.
        progress = index.data(Role.PROGRESS)
        if not isinstance(progress, float):
            progress = job.progress
        if progress <= 0 and job.state != JobState.RUNNING:
            return  # nothing done yet: an empty bar would only add noise
        bar = QStyleOptionProgressBar()
        bar.rect = self._bar_rect(option.rect)
        bar.minimum = 0
        bar.maximum = BAR_MAX
        bar.progress = round(progress * BAR_MAX)
        bar.text = fmt.percent(progress)
        bar.textVisible = True
        bar.state = QStyle.StateFlag.State_Horizontal
        palette = QPalette(option.palette)
        if job.state in STOPPED:
            palette.setCurrentColorGroup(QPalette.ColorGroup.Disabled)  # greyed, not enabled
        else:
            bar.state |= QStyle.StateFlag.State_Enabled
        if job.state == JobState.DONE:
            # The plain accent, not the lifted one: the bar carries white text.
            palette.setColor(QPalette.ColorRole.Highlight, ACCENTS["success"])
        bar.palette = palette
        style.drawControl(QStyle.ControlElement.CE_ProgressBar, bar, painter, widget)

    @staticmethod
    def _bar_rect(cell: QRect) -> QRect:
        height = min(BAR_HEIGHT, max(4, cell.height() - 6))
        top = cell.top() + (cell.height() - height) // 2
        return QRect(cell.left() + 4, top, max(8, cell.width() - 8), height)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 90), max(hint.height(), BAR_HEIGHT + 6))
