"""Python's cyclic garbage collection, moved to the Qt main thread.

Automatic collection runs in whichever thread happens to allocate when a threshold is crossed:
here often aiosqlite's connection thread or an ``asyncio.to_thread`` worker. When such a
collection frees a cycle holding a Qt object, Qt deletes the object outside its own thread
while the main thread may be delivering its timer events, and the process dies in
``QTimerInfoList::activateTimers`` (seen in the window's tests: one run in three). So
automatic collection is switched off and the main thread collects instead, generation by
generation with the interpreter's own thresholds, from a timer.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 500


class MainThreadGarbageCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        gc.disable()
        self._timer = QTimer(self)
        self._timer.timeout.connect(self.check)
        self._timer.start(interval_ms)

    def check(self) -> None:
        counts = gc.get_count()
        thresholds = gc.get_threshold()
        if counts[0] <= thresholds[0]:
            return
        generation = 0
        if counts[1] > thresholds[1]:
            generation = 2 if counts[2] > thresholds[2] else 1
        gc.collect(generation)

    def stop(self) -> None:
        """Collect what is left, here, and give collection back to the interpreter."""
        self._timer.stop()
        gc.collect()
        gc.enable()
