"""Paceline's window: PySide6 widgets on a qasync event loop, adapting the core's events.

Only this package imports Qt; ``core`` stays Qt-free.
"""

from gui.platform_check import explain_missing_libraries

# A system library Qt needs and cannot find: say which ones, with the install command. Every
# Qt module the window uses is loaded here, so no missing library shows up later instead.
with explain_missing_libraries():
    from PySide6 import QtCore, QtGui, QtNetwork, QtSvg, QtWidgets  # noqa: F401

    from gui import qt_workarounds

# Before any widget exists: PySide6 6.12.0 on Python 3.11 would otherwise abort within minutes.
qt_workarounds.install()
