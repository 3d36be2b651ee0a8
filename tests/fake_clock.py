"""A clock for tests: injected time, so no test sleeps real seconds for a pause or a backoff."""

from __future__ import annotations

import asyncio


class FakeClock:
    """A clock for tests.

    With ``auto_advance`` (the default) a sleep moves time forward at once and is recorded,
    so a test can assert the exact pauses a worker took. Without it, sleepers wait until the
    test calls :meth:`advance`.
    """

    def __init__(self, start: float = 1000.0, *, auto_advance: bool = True) -> None:
        self._now = start
        self._wall_offset = 1_700_000_000.0
        self.auto_advance = auto_advance
        self.sleeps: list[float] = []
        self._waiters: list[tuple[float, asyncio.Future[None]]] = []

    def now(self) -> float:
        return self._now

    def wall(self) -> float:
        return self._wall_offset + self._now

    async def sleep(self, seconds: float) -> None:
        seconds = max(0.0, seconds)
        self.sleeps.append(seconds)
        if self.auto_advance:
            self._now += seconds
            self._wake()
            await asyncio.sleep(0)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((self._now + seconds, future))
        self._wake()
        await future

    def advance(self, seconds: float) -> None:
        self._now += seconds
        self._wake()

    def set(self, now: float) -> None:
        self._now = now
        self._wake()

    def _wake(self) -> None:
        still: list[tuple[float, asyncio.Future[None]]] = []
        for due, future in self._waiters:
            if future.done():
                continue
            if due <= self._now:
                future.set_result(None)
            else:
                still.append((due, future))
        self._waiters = still
