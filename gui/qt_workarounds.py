"""Work around PySide6 6.12.0 dropping references to ``None`` and ``True`` on CPython < 3.12,
and register asyncio's async-generator hooks that qasync's loop leaves out.

PySide6 6.12.0 returns ``None`` from every void method (``widget.update()``,
``painter.drawRect()``, ``app.processEvents()`` ...) and ``True`` from every
``signal.emit()`` without taking a reference. On CPython 3.12+ these singletons are immortal,
so nothing happens; on 3.11 each call steals one reference and after a few thousand calls
CPython frees ``None`` and aborts ("none_dealloc: deallocating None"). A window paints, emits
and polls thousands of times a minute, so Paceline would abort within minutes. 6.11.3 is fine.

The fix here does what CPython 3.12 does by design: it makes those singletons immortal by
giving them a reference count no program can exhaust. It is applied only when a probe shows
the leak, so a fixed PySide6 (or CPython 3.12+) is left alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import sys
from collections.abc import Iterator

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import QObject, Signal

log = logging.getLogger(__name__)

# 2**40 references: a stolen reference per call would need 10**12 calls to matter.
_IMMORTAL_BOOST = 1 << 40
_PROBE_CALLS = 32
_applied = False


class _Probe(QObject):
    ping = Signal()


def _leaks() -> bool:
    """True when calling void methods or emitting signals loses references to singletons."""
    probe = _Probe()
    probe.ping.connect(lambda: None)
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    for _ in range(_PROBE_CALLS):
        probe.setObjectName("probe")  # a void method
        probe.ping.emit()
    lost_none = none_before - sys.getrefcount(None)
    lost_true = true_before - sys.getrefcount(True)
    if lost_none > 0 or lost_true > 0:
        # repay what the probe itself took before anything else can trip over it
        for obj, lost in ((None, lost_none), (True, lost_true)):
            for _ in range(max(0, lost)):
                ctypes.pythonapi.Py_IncRef(ctypes.py_object(obj))
    return lost_none >= _PROBE_CALLS // 2 or lost_true >= _PROBE_CALLS // 2


def _immortalize(obj: object) -> None:
    # ob_refcnt is the first Py_ssize_t of every CPython object (non-debug builds).
    refcnt = ctypes.c_ssize_t.from_address(id(obj))
    refcnt.value += _IMMORTAL_BOOST


def install() -> bool:
    """Apply the fix if this PySide6 and CPython need it; return whether it is active."""
    global _applied
    if _applied:
        return True
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # singletons are immortal there
    if not _leaks():
        return False
    for singleton in (None, True, False):
        _immortalize(singleton)
    _applied = True
    log.info(
        "PySide6 %s loses references to None/True on Python %d.%d; applied the workaround "
        "(use PySide6 6.11 or Python 3.12+ to avoid it)",
        pyside_version, *sys.version_info[:2],
    )
    return True


@contextlib.contextmanager
def async_generator_hooks(loop: asyncio.AbstractEventLoop) -> Iterator[None]:
    """Register the loop's async-generator hooks while the application runs.

    ``asyncio.run`` does this, qasync's loop does not: without the hooks an async generator
    left unfinished (an HTTP stream interrupted at shutdown) is finalised by the garbage
    collector outside the loop, and ``loop.shutdown_asyncgens()`` cannot close it cleanly.
    """
    old = sys.get_asyncgen_hooks()
    sys.set_asyncgen_hooks(
        firstiter=loop._asyncgen_firstiter_hook,  # type: ignore[attr-defined]
        finalizer=loop._asyncgen_finalizer_hook,  # type: ignore[attr-defined]
    )
    try:
        yield
    finally:
        sys.set_asyncgen_hooks(*old)
