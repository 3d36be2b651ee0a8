"""The visible drop target: covers the window while files are dragged over it."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPaintEvent, QPalette, QPen
from PySide6.QtWidgets import QWidget

from gui.icons import line_icon


class DropOverlay(QWidget):
    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        # It only draws: the window underneath keeps receiving the drag events.
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setObjectName("dropOverlay")
        self._count = 0
        parent.installEventFilter(self)
        self.hide()

    @property
    def count(self) -> int:
        return self._count

    def show_for(self, count: int) -> None:
        """Show the target for a drag of ``count`` files or folders."""
        self._count = count
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.raise_()
        self.show()
        self.update()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize:
            self.setGeometry(self.parentWidget().rect())
        return False

    def headline(self) -> str:
        return self.tr("Drop to add %n item(s) to the queue", "", self._count)

    def hint(self) -> str:
        return self.tr("Folders are searched for supported documents, including subfolders.")

    def paintEvent(self, event: QPaintEvent) -> None:
        palette = self.palette()
        highlight = palette.color(QPalette.ColorRole.Highlight)
        veil = QColor(palette.color(QPalette.ColorRole.Base))
        veil.setAlpha(238)
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.fillRect(self.rect(), veil)
        frame = QRectF(self.rect()).adjusted(14, 14, -14, -14)
        pen = QPen(highlight, 3, Qt.PenStyle.DashLine)
        pen.setDashPattern([4, 3])
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(frame, 14, 14)

        icon_size = 64
        centre = frame.center()
        icon = line_icon("drop", palette, highlight).pixmap(icon_size, icon_size)
        painter.drawPixmap(int(centre.x() - icon_size / 2), int(centre.y() - icon_size - 12), icon)

        title_font = QFont(self.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        painter.setFont(title_font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        text_rect = QRectF(frame.left(), centre.y(), frame.width(), 40)
        painter.drawText(text_rect, int(Qt.AlignmentFlag.AlignCenter), self.headline())
        painter.setFont(self.font())
        painter.setPen(palette.color(QPalette.ColorRole.PlaceholderText))
        hint_rect = QRectF(frame.left() + 20, centre.y() + 40, frame.width() - 40, 40)
        painter.drawText(hint_rect, int(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                                        | Qt.TextFlag.TextWordWrap), self.hint())
        painter.end()
