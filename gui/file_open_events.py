"""macOS hands documents to a running app (Finder's "Open With", a drop on the Dock icon) as
QFileOpenEvent on the application object, not on the command line."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QFileOpenEvent


class FileOpenForwarder(QObject):
    """Passes the file of every QFileOpenEvent to ``receive`` (a list of one path)."""

    def __init__(self, receive: Callable[[list[str]], None], parent: QObject) -> None:
        super().__init__(parent)
        self._receive = receive
        parent.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.FileOpen and isinstance(event, QFileOpenEvent):
            path = event.file() or event.url().toLocalFile()
            if path:
                self._receive([path])
                return True
        return super().eventFilter(watched, event)
