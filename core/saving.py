"""Writes the worker must not lose: retried while the database cannot take them.

- ``retry_busy``: any worker write while another program holds the database locked past the
  busy timeout waits and tries again; nothing is re-sent meanwhile (no call starts until its
  start is committed).
- ``save_answer``: a paid answer that came back is kept in memory and its commit retried with
  backoff on any storage failure (busy, disk full, read-only, disk error), with the reason on
  the banner. If the worker has to stop first, the job becomes ``stale`` with the reason (or,
  if even that cannot be written, stays ``running`` for the start-up check to mark stale). It is
  never requeued automatically: its call may have been charged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from core.clock import Clock
from core.errors import LeaseRevoked, StorageError
from core.events import EventBus, QueueStateChanged
from core.jobs import Lease
from core.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

FIRST_RETRY_S = 0.5
MAX_RETRY_S = 30.0


WHY = {
    "busy": " (another program kept the database locked)",
    "disk_full": " (the disk was full)",
    "read_only": " (the database was read-only)",
    "disk_error": " (the disk reported an error)",
}


class MustStop(Exception):
    """The worker is stopping while a write could not be made."""


class Persister:
    def __init__(
        self,
        clock: Clock,
        bus: EventBus,
        stopping: Callable[[], bool],
        store: Store,
        *,
        patience_s: float = 600.0,
    ) -> None:
        self.clock = clock
        self.bus = bus
        self.stopping = stopping
        self.store = store
        # How long a paid answer is held while the disk refuses it before the worker gives up
        # and stops; a busy database is waited for as long as the worker runs.
        self.patience_s = patience_s
        self.retries = 0  # commits that had to be tried again, for tests and the log

    async def retry_busy(self, op: Callable[[], Awaitable[T]]) -> T:
        """Run ``op``; while the database is busy, wait and run it again."""
        return await self._retrying(op, lambda exc, waited: exc.kind == "busy")

    async def save_answer(self, lease: Lease, op: Callable[[], Awaitable[T]]) -> T:
        """Commit a paid answer, trying again on any storage failure until it is saved."""

        def keep_trying(exc: StorageError, waited: float) -> bool:
            return exc.kind == "busy" or waited < self.patience_s

        try:
            return await self._retrying(op, keep_trying)
        except (MustStop, StorageError, asyncio.CancelledError) as exc:
            why = WHY.get(exc.kind, "") if isinstance(exc, StorageError) else ""
            reason = (
                f"Paceline received the answer to a paid call for this job but could not save "
                f"it{why} before it had to stop; the call may have been charged. Re-trigger "
                "it to send it again."
            )
            with contextlib.suppress(StorageError, LeaseRevoked):
                await self.store.mark_stale(lease, reason)
            raise

    async def _retrying(
        self, op: Callable[[], Awaitable[T]], keep_trying: Callable[[StorageError, float], bool]
    ) -> T:
        delay = FIRST_RETRY_S
        started = self.clock.now()
        shown = False
        try:
            while True:
                try:
                    return await op()
                except StorageError as exc:
                    waited = self.clock.now() - started
                    if not keep_trying(exc, waited):
                        raise
                    if self.stopping():
                        raise MustStop(exc.message) from exc
                    self.retries += 1
                    log.warning("database write refused (%s); trying again in %.1f s",
                                exc.kind, delay)  # fmt: skip
                    self._show(exc.message, delay)
                    shown = True
                    await self.clock.sleep(delay)
                    delay = min(delay * 2, MAX_RETRY_S)
        finally:
            if shown:
                self._show(None, 0.0)

    def _show(self, reason: str | None, delay: float) -> None:
        meta = self.store.meta
        until = self.clock.now() + delay if reason else None
        self.bus.publish(
            QueueStateChanged(
                meta.paused, meta.pause_reason, meta.pause_kind, until, reason,
                "storage" if reason else None,
            )
        )  # fmt: skip
