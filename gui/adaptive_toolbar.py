"""A toolbar that drops the words of its less important buttons before anything overflows.

At full width every button shows its icon and its words. When the window is too narrow (or a
language with longer words is used), buttons lose their words one at a time, least important
first, keeping the icon and a tooltip. Only when the icons alone do not fit does Qt's overflow
menu (») appear.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import QToolBar, QToolButton, QWidget

WORDS = Qt.ToolButtonStyle.ToolButtonTextBesideIcon
ICON = Qt.ToolButtonStyle.ToolButtonIconOnly


class AdaptiveToolBar(QToolBar):
    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.setToolButtonStyle(WORDS)
        self._order: list[QAction | QToolButton] = []  # the first loses its words first
        self._fitting = False
        self._refit = QTimer(self)  # gathers changes of words into one fit
        self._refit.setSingleShot(True)
        self._refit.setInterval(0)
        self._refit.timeout.connect(self.fit)

    def set_word_priority(self, least_important_first: Sequence[QAction | QToolButton]) -> None:
        """Which buttons give up their words first when space runs out."""
        self._order = list(least_important_first)
        for item in self._order:
            action = item if isinstance(item, QAction) else item.defaultAction()
            if action is not None:
                # Its words change with the state ("Pause queue" <-> "Resume queue").
                action.changed.connect(self._refit.start)
        self.fit()

    def icon_only(self) -> list[QToolButton]:
        """The buttons currently showing only their icon."""
        return [b for b in (self._button(i) for i in self._order)
                if b is not None and b.toolButtonStyle() == ICON]

    def _button(self, item: QAction | QToolButton) -> QToolButton | None:
        if isinstance(item, QToolButton):
            return item
        widget = self.widgetForAction(item)
        return widget if isinstance(widget, QToolButton) else None

    def _needed_width(self) -> int:
        layout = self.layout()
        layout.invalidate()
        return layout.sizeHint().width()

    def fit(self) -> None:
        """Give every button its words back, then take them away as far as needed."""
        if self._fitting or not self._order:
            return
        self._fitting = True
        try:
            buttons = [b for b in (self._button(i) for i in self._order) if b is not None]
            for button in buttons:
                button.setToolButtonStyle(WORDS)
            available = self.contentsRect().width()
            for button in buttons:
                if self._needed_width() <= available:
                    break
                button.setToolButtonStyle(ICON)
        finally:
            self._fitting = False

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.fit()

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.FontChange, QEvent.Type.StyleChange,
                            QEvent.Type.LanguageChange):
            self._refit.start()
