"""macOS "Open With": a QFileOpenEvent on the application reaches the window's path intake."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QFileOpenEvent
from PySide6.QtWidgets import QApplication

from gui.file_open_events import FileOpenForwarder


def test_a_file_open_event_is_forwarded(qapp: QApplication) -> None:
    received: list[list[str]] = []
    forwarder = FileOpenForwarder(received.append, qapp)
    try:
        QCoreApplication.sendEvent(qapp, QFileOpenEvent("/docs/report.pdf"))
        assert received == [["/docs/report.pdf"]]
    finally:
        qapp.removeEventFilter(forwarder)
        forwarder.deleteLater()
