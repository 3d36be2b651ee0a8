"""Injected time: the worker and the pacer only ever ask a Clock, so tests never sleep."""

from __future__ import annotations

import asyncio
import time
from typing import Protocol


def clock_time(wall: float) -> str:
    """A wall time as a person reads it in a log line or a reason: 12:03:04 (local time)."""
    return time.strftime("%H:%M:%S", time.localtime(wall))


class Clock(Protocol):
    def now(self) -> float:
        """Seconds on a monotonic scale."""

    def wall(self) -> float:
        """Seconds since the epoch, for timestamps stored with jobs."""

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def wall(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
