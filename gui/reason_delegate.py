"""The error/reason column: a Re-trigger button on stale and failed rows, then the reason.

A stale job's reason is a whole sentence (the tooltip and the detail pane give it); the cell
says it in a few words, and where even those do not fit beside the button (a narrow column, a
longer language) the button keeps only its icon, so the reason is read, not clipped.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractItemModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import QHelpEvent, QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QStyle,
    QStyleOptionButton,
    QStyleOptionViewItem,
    QToolTip,
)

from core import jobs
from core.jobs import Job
from core.states import JobState
from gui.cell_delegate import CellDelegate
from gui.icons import line_icon
from gui.jobs_model import Role

WITH_BUTTON = frozenset({JobState.STALE, JobState.FAILED})
ICON_SIZE = 14
GAP = 10  # between the button and the text
# Below this much room for the reason (or the reason's own width, if shorter), the button
# gives up its word.
TEXT_ROOM = 150


@dataclass(frozen=True)
class ReasonLayout:
    button: QRect
    compact: bool  # the button shows its icon only
    text_rect: QRect
    text: str  # as drawn: elided only if even the compact button leaves too little room


class ReasonDelegate(CellDelegate):
    retrigger_requested = Signal(int)  # job id

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def button_text(self) -> str:
        return self.tr("Re-trigger")

    def short_reason(self, job: Job, text: str) -> str:
        """The cell's words: a stale job's sentence shortened (the button says what to do)."""
        if job.state != JobState.STALE:
            return text
        if job.stale_reason == jobs.STALE_IN_FLIGHT:
            return self.tr("Paid call may have been charged")
        if job.stale_reason == jobs.STALE_RUNNING or not job.stale_reason:
            return self.tr("Stopped while running")
        return text

    def layout(self, option: QStyleOptionViewItem, job: Job | None,
               text: str = "") -> ReasonLayout | None:
        if not isinstance(job, Job) or job.state not in WITH_BUTTON:
            return None
        metrics = option.fontMetrics
        cell = option.rect
        words = " ".join(self.short_reason(job, text).split())
        full = metrics.horizontalAdvance(self.button_text()) + ICON_SIZE + 22
        wanted = min(TEXT_ROOM, metrics.horizontalAdvance(words)) if words else 0
        compact = cell.width() - 3 - full - GAP - 4 < wanted
        width = ICON_SIZE + 14 if compact else full
        height = min(cell.height() - 4, metrics.height() + 8)
        top = cell.top() + (cell.height() - height) // 2
        button = QRect(cell.left() + 3, top, width, height)
        text_rect = cell.adjusted(3 + width + GAP, 0, -4, 0)
        shown = metrics.elidedText(words, Qt.TextElideMode.ElideRight, max(0, text_rect.width()))
        return ReasonLayout(button, compact, text_rect, shown)

    def button_rect(self, option: QStyleOptionViewItem, job: Job | None,
                    text: str = "") -> QRect | None:
        found = self.layout(option, job, text)
        return None if found is None else found.button

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        job = index.data(Role.JOB)
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        found = self.layout(option, job, cell.text)
        if found is None:
            super().paint(painter, option, index)
            return
        button = found.button
        cell.text = ""
        widget = cell.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, widget)

        push = QStyleOptionButton()
        push.rect = button
        push.text = "" if found.compact else self.button_text()
        push.icon = line_icon("retrigger", option.palette)
        push.iconSize = QSize(ICON_SIZE, ICON_SIZE)
        push.palette = option.palette
        push.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
        if option.state & QStyle.StateFlag.State_MouseOver and widget is not None:
            cursor = widget.mapFromGlobal(widget.cursor().pos())
            if button.contains(cursor):
                push.state |= QStyle.StateFlag.State_MouseOver
        style.drawControl(QStyle.ControlElement.CE_PushButton, push, painter, widget)

        if found.text_rect.width() > 10 and found.text:
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            painter.save()
            painter.setPen(option.palette.color(role))
            painter.drawText(
                found.text_rect,
                int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft), found.text)
            painter.restore()

    def helpEvent(
        self,
        event: QHelpEvent,
        view: QAbstractItemView,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        # Over a button that shows only its icon, the tooltip names it.
        found = self.layout(option, index.data(Role.JOB), str(index.data() or ""))
        if found is not None and found.compact and found.button.contains(event.pos()):
            QToolTip.showText(event.globalPos(), self.button_text(), view)
            return True
        return super().helpEvent(event, view, option, index)

    def editorEvent(
        self,
        event: QEvent,
        model: QAbstractItemModel,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> bool:
        if event.type() in (QEvent.Type.MouseButtonRelease, QEvent.Type.MouseButtonPress):
            assert isinstance(event, QMouseEvent)
            job = index.data(Role.JOB)
            button = self.button_rect(option, job, str(index.data() or ""))
            if (
                button is not None
                and event.button() == Qt.MouseButton.LeftButton
                and button.contains(event.position().toPoint())
            ):
                if event.type() == QEvent.Type.MouseButtonRelease:
                    self.retrigger_requested.emit(job.id)
                return True
        return super().editorEvent(event, model, option, index)

    def sizeHint(
        self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
    ) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(hint.width(), max(hint.height(), option.fontMetrics.height() + 10))
