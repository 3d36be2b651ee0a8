"""Runs the engine's worker as an asyncio task on the window's loop; restarts and stops it.

New settings (another provider, model or pacing) need a new analyzer and pacer, which the
engine only builds while no worker runs. Stopping the worker in the middle of a paid call
would leave that job stale, so a restart waits for the job boundary: the moment the last
running job leaves ``running`` (its "done" is committed), the worker is stopped before it
starts the next call, and a job it had already claimed is handed back with its attempt
refunded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from core.engine import Engine
from core.errors import WorkerLocked
from core.events import Event, JobChanged
from core.settings import Settings
from core.states import JobState

log = logging.getLogger(__name__)

# How the log of a job handed back by a stop says why (core.worker.Worker.stop).
QUIT = "at quit"
RESTART = "to restart with new settings"


class WorkerControl:
    def __init__(
        self,
        engine: Engine,
        holder: str,
        on_change: Callable[[], None] | None = None,
        on_crash: Callable[[BaseException], None] | None = None,
    ) -> None:
        self.engine = engine
        self.holder = holder
        self.on_change = on_change or (lambda: None)
        self.on_crash = on_crash or (lambda _exc: None)
        self.locked_message: str | None = None  # set when another worker holds the queue
        self.start_error: str | None = None  # set when the worker could not be built
        self._task: asyncio.Task[None] | None = None
        self._pending: Settings | None = None
        self._restarting: asyncio.Task[None] | None = None
        self._unsubscribe = engine.bus.subscribe(self._on_event)

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def busy(self) -> bool:
        """A job is being processed by this window's worker right now."""
        worker = self.engine.worker
        return bool(worker is not None and worker.running)

    @property
    def restart_pending(self) -> bool:
        return self._pending is not None

    async def start(self) -> bool:
        """Take the queue's worker lock and run the worker; False if that is not possible."""
        if self.running:
            return True
        self.locked_message = None
        self.start_error = None
        try:
            await self.engine.start_worker(self.holder)
        except WorkerLocked as exc:
            self.locked_message = str(exc)
            self.engine.start_polling()  # still show what the other worker does
            self.on_change()
            return False
        except Exception as exc:  # bad provider settings: the window still opens
            log.warning("the worker could not start: %s", exc)
            self.engine.release_worker_lock()
            self.start_error = str(exc)
            self.engine.start_polling()
            self.on_change()
            return False
        self._task = asyncio.ensure_future(self._run())
        # The window's worker watches the watch folders too (one watcher per queue: the
        # worker lock's holder); a monitoring window leaves them to the other worker.
        await self.engine.start_watching()
        self.on_change()
        return True

    async def _run(self) -> None:
        try:
            await self.engine.run(holder=self.holder)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("the worker stopped with an error")
            self.on_crash(exc)

    async def stop(self) -> None:
        """Stop claiming; a running offline job is handed back, a paid call in flight goes stale."""
        self._pending = None
        if self._restarting is not None and not self._restarting.done():
            await asyncio.gather(self._restarting, return_exceptions=True)
        await self._stop_running(QUIT)
        self.on_change()

    def close(self) -> None:
        self._unsubscribe()

    async def apply_settings(self, settings: Settings) -> bool:
        """Use ``settings``; True if applied now, False if at the end of the running job."""
        if not self.running:
            await self.engine.apply_settings(settings)
            if self.locked_message is None and self.start_error is not None:
                await self.start()  # the new settings may fix what stopped the worker
            return True
        self._pending = settings
        if not self.busy:
            await self._restart()
            return True
        return False

    def check_pending(self) -> None:
        """Called now and then: restart if a pending restart missed its job boundary."""
        if self._pending is not None and self.running and not self.busy:
            self._schedule_restart()

    def _on_event(self, event: Event) -> None:
        if self._pending is None or not isinstance(event, JobChanged):
            return
        worker = self.engine.worker
        if worker is None or event.job.id not in worker.running:
            return
        if event.job.state != JobState.RUNNING and len(worker.running) <= 1:
            # Synchronously, inside the commit's event: the worker must not start a new call.
            worker.stop(RESTART)
            self._schedule_restart()

    def _schedule_restart(self) -> None:
        if self._restarting is None or self._restarting.done():
            self._restarting = asyncio.ensure_future(self._restart())

    async def _stop_running(self, why: str) -> None:
        worker = self.engine.worker
        if worker is not None:
            worker.stop(why)
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _restart(self) -> None:
        settings, self._pending = self._pending, None
        if settings is None:
            return
        await self._stop_running(RESTART)
        await self.engine.apply_settings(settings)
        await self.start()
