"""Paceline's window: PySide6 widgets on a qasync event loop, adapting the core's events.

Only this package imports Qt; ``core`` stays Qt-free.
"""

from gui import qt_workarounds

# Before any widget exists: PySide6 6.12.0 on Python 3.11 would otherwise abort within minutes.
qt_workarounds.install()
