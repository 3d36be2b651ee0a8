"""The error/reason column: a Re-trigger button on stale and failed rows, then the reason."""

from __future__ import annotations

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
from PySide6.QtGui import QMouseEvent, QPainter, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionButton,
    QStyleOptionViewItem,
)

from core.jobs import Job
from core.states import JobState
from gui.icons import line_icon
from gui.jobs_model import Role

WITH_BUTTON = frozenset({JobState.STALE, JobState.FAILED})
ICON_SIZE = 14


class ReasonDelegate(QStyledItemDelegate):
    retrigger_requested = Signal(int)  # job id

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)

    def button_text(self) -> str:
        return self.tr("Re-trigger")

    def button_rect(self, option: QStyleOptionViewItem, job: Job | None) -> QRect | None:
        if not isinstance(job, Job) or job.state not in WITH_BUTTON:
            return None
        metrics = option.fontMetrics
        width = metrics.horizontalAdvance(self.button_text()) + ICON_SIZE + 22
        height = min(option.rect.height() - 4, metrics.height() + 8)
        top = option.rect.top() + (option.rect.height() - height) // 2
        return QRect(option.rect.left() + 3, top, width, height)

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        job = index.data(Role.JOB)
        button = self.button_rect(option, job)
        if button is None:
            super().paint(painter, option, index)
            return
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)
        text = cell.text
        cell.text = ""
        widget = cell.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, cell, painter, widget)

        push = QStyleOptionButton()
        push.rect = button
        push.text = self.button_text()
        push.icon = line_icon("retrigger", option.palette)
        push.iconSize = QSize(ICON_SIZE, ICON_SIZE)
        push.palette = option.palette
        push.state = QStyle.StateFlag.State_Enabled | QStyle.StateFlag.State_Raised
        if option.state & QStyle.StateFlag.State_MouseOver and widget is not None:
            cursor = widget.mapFromGlobal(widget.cursor().pos())
            if button.contains(cursor):
                push.state |= QStyle.StateFlag.State_MouseOver
        style.drawControl(QStyle.ControlElement.CE_PushButton, push, painter, widget)

        text_rect = option.rect.adjusted(button.width() + 10, 0, -4, 0)
        if text_rect.width() > 10 and text:
            selected = bool(option.state & QStyle.StateFlag.State_Selected)
            role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
            painter.save()
            painter.setPen(option.palette.color(role))
            elided = option.fontMetrics.elidedText(
                " ".join(text.split()), Qt.TextElideMode.ElideRight, text_rect.width())
            painter.drawText(
                text_rect, int(Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft),
                elided)
            painter.restore()

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
            button = self.button_rect(option, job)
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
