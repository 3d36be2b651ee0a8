"""The tray icon: progress in its tooltip, Start/Pause, Show and Quit in its menu, and the
one summary notification when the queue empties.

Without a system tray (some desktops, the offscreen platform of the tests) there is no icon:
closing the window then quits, and the summary goes to the window's status bar and the task
bar's attention signal instead of a notification bubble.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon, QWidget

from gui.icons import app_icon

MESSAGE_MS = 8000


class TrayIcon(QObject):
    show_requested = Signal()
    toggle_requested = Signal()  # a click on the icon: show the window, or hide it

    def __init__(self, start_pause: QAction, quit_action: QAction,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.show_action = QAction(app_icon(), self.tr("&Show Paceline"), self)
        self.show_action.triggered.connect(lambda _checked=False: self.show_requested.emit())
        self.menu = QMenu(parent)
        self.menu.setObjectName("trayMenu")
        self.menu.addAction(self.show_action)
        self.menu.addSeparator()
        self.menu.addAction(start_pause)
        self.menu.addSeparator()
        self.menu.addAction(quit_action)
        self.icon: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            icon = QSystemTrayIcon(app_icon(), self)
            icon.setContextMenu(self.menu)
            icon.activated.connect(self._activated)
            icon.show()
            self.icon = icon
        self._tooltip = ""
        self.set_tooltip(self.tr("Paceline"))

    @property
    def available(self) -> bool:
        return self.icon is not None

    @property
    def tooltip(self) -> str:
        return self._tooltip

    def set_tooltip(self, text: str) -> None:
        if text != self._tooltip:
            self._tooltip = text
            if self.icon is not None:
                self.icon.setToolTip(text)

    def notify(self, title: str, message: str) -> bool:
        """Show a notification bubble; False when there is no tray to show it."""
        if self.icon is None or not QSystemTrayIcon.supportsMessages():
            return False
        self.icon.showMessage(title, message, app_icon(), MESSAGE_MS)
        return True

    def hide(self) -> None:
        if self.icon is not None:
            self.icon.hide()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger,
                      QSystemTrayIcon.ActivationReason.DoubleClick):
            self.toggle_requested.emit()


def flash(window: QWidget) -> None:
    """Ask the task bar for attention (no tray to notify through)."""
    QApplication.alert(window, 0)
