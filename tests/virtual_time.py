"""Virtual time for pacing simulations.

The event loop's clock jumps to the next timer instead of sleeping, so minutes of pacing
against a strict provider take well under a second. Only for code that waits on asyncio
timers alone (no sockets, no threads).
"""

from __future__ import annotations

import asyncio
import contextlib
import selectors
from collections.abc import Callable, Coroutine
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


async def keep_window_full(
    window: Callable[[], int],
    job: Callable[[], Coroutine[Any, Any, None]],
    until: float,
    *,
    claim_s: float = 0.0,
) -> None:
    """Start ``job()`` whenever fewer than ``window()`` run, as the worker's loop does, until
    the loop's clock reaches ``until``; ``claim_s`` stands for the claim's commit."""
    loop = asyncio.get_running_loop()
    wake = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()
    while loop.time() < until:
        if len(tasks) < window():
            task = asyncio.create_task(job())
            tasks.add(task)
            task.add_done_callback(lambda t: (tasks.discard(t), wake.set()))
            if claim_s:
                await asyncio.sleep(claim_s)
            continue
        wake.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(wake.wait(), 1.0)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
