"""Virtual time for pacing simulations.

The event loop's clock jumps to the next timer instead of sleeping, so minutes of pacing
against a strict provider take well under a second. Only for code that waits on asyncio
timers alone (no sockets, no threads).
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

# Virtual time: the event loop's clock jumps to the next timer instead of sleeping, so
# minutes of pacing against a strict provider take well under a second.


class VirtualSelector(selectors.DefaultSelector):
    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualLoop | None = None

    def select(self, timeout: float | None = None) -> list[Any]:
        assert timeout is not None, "the simulation deadlocked"
        if timeout > 0 and self.loop is not None:
            self.loop.virtual_time += timeout
        return super().select(0)


class VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        selector = VirtualSelector()
        super().__init__(selector)
        selector.loop = self
        self.virtual_time = 0.0

    def time(self) -> float:
        return self.virtual_time


class LoopClock:
    def now(self) -> float:
        return asyncio.get_running_loop().time()

    def wall(self) -> float:
        return 1_700_000_000.0 + self.now()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))
