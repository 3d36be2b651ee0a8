"""Readers that misbehave on purpose, as a hostile or broken file makes native code do.

Imported by the sandbox's child (``Sandbox(preload="tests.hostile_reader")``) and by the test
process, so that both know the suffixes. Each file's content says nothing: the suffix picks the
misbehaviour.
"""

from __future__ import annotations

import ctypes
import time

from core.documents.extract import register
from core.documents.source import Source

HOSTILE_SUFFIXES = frozenset({".hang", ".crash", ".hog", ".noisy"})


def _hang(source: Source) -> str:
    while True:  # a parser caught in a loop that never yields
        time.sleep(0.01)


def _crash(source: Source) -> str:
    ctypes.string_at(0)  # a read through a null pointer: SIGSEGV, as a native parser bug
    return ""


def _hog(source: Source) -> str:
    hoard = []
    while True:  # memory grows until the limit stops it
        hoard.append(bytearray(64 * 1024 * 1024))


def _noisy(source: Source) -> str:
    import logging
    import warnings

    for page in range(50):
        warnings.warn(f"odd object on page {page}", stacklevel=1)
    logging.getLogger("somelib").warning("a library complains as well")
    return source.data.decode()


def install() -> None:
    register(frozenset({".hang"}), "hostile", _hang)
    register(frozenset({".crash"}), "hostile", _crash)
    register(frozenset({".hog"}), "hostile", _hog)
    register(frozenset({".noisy"}), "hostile", _noisy)


install()
