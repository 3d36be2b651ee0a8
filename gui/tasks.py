"""Run the engine's coroutines from Qt slots, and account for every task.

Qt slots are synchronous; the engine is async. A slot hands its coroutine to
:meth:`TaskRunner.start`, which keeps a reference (an unreferenced task can be garbage
collected mid-flight), reports a failure to the person instead of losing it in a log, and lets
shutdown wait for all of them so nothing is left running when the database closes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
ErrorReporter = Callable[[str, BaseException], None]


class TaskRunner:
    def __init__(self, on_error: ErrorReporter | None = None) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()
        self.on_error = on_error
        self._closing = False

    def start(self, coro: Coroutine[Any, Any, T], what: str) -> asyncio.Task[T] | None:
        """Schedule ``coro``; ``what`` says in a few words what it does, for error messages."""
        if self._closing:
            coro.close()  # the window is shutting down: nothing new starts
            return None
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(lambda t: self._finished(t, what))
        return task

    def _finished(self, task: asyncio.Task[Any], what: str) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        error = task.exception()
        if error is None:
            return
        log.error("%s failed", what, exc_info=error)
        if self.on_error is not None:
            try:
                self.on_error(what, error)
            except Exception:  # reporting must never raise into the event loop
                log.exception("reporting an error failed")

    @property
    def pending(self) -> int:
        return len(self._tasks)

    async def wait_idle(self, timeout: float | None = None) -> None:
        """Wait until every task started so far (and any they start) has finished."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while self._tasks:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            if left == 0.0:
                return
            await asyncio.wait(set(self._tasks), timeout=left)

    async def close(self, timeout: float = 5.0) -> None:
        """Refuse new work, let running work finish, cancel what outlives ``timeout``."""
        self._closing = True
        await self.wait_idle(timeout)
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(BaseException):
                await task
