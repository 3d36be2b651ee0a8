"""In-process analyzers for worker tests: paced like a remote provider, timed by a FakeClock."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from core.analyzers.base import CallResult, Progress, split_text
from core.clock import Clock
from core.errors import JobError
from core.jobs import Profile


class ScriptedAnalyzer:
    """Splits into parts of ``part_chars``; each call takes ``latency`` on the clock.

    ``faults`` is consumed one per call: None for success, or a JobError to raise.
    ``hold`` (an asyncio.Event factory per call index) lets a test freeze a call mid-flight.
    """

    engine = "fake:model"
    paced = True
    vision = None  # reads text only
    provider = "fake"
    model = "model"

    def __init__(
        self,
        clock: Clock,
        *,
        latency: float = 2.0,
        part_chars: int = 10_000,
        faults: list[JobError | Exception | None] | None = None,
        on_call: Callable[[str], None] | None = None,
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.part_chars = part_chars
        self.faults = list(faults or [])
        self.calls: list[tuple[str, float]] = []  # (what, clock time at start)
        self.on_call = on_call
        self.gate: asyncio.Event | None = None

    def split(self, text: str) -> list[str]:
        return split_text(text, self.part_chars)


    async def _call(self, what: str) -> CallResult:
        self.calls.append((what, self.clock.now()))
        if self.on_call:
            self.on_call(what)
        if self.gate is not None:
            await self.gate.wait()
        await self.clock.sleep(self.latency)
        if self.faults:
            fault = self.faults.pop(0)
            if fault is not None:
                raise fault
        return CallResult(f"result of {what}", prompt_tokens=10, completion_tokens=5)

    async def analyze_part(
        self, text: str, profile: Profile, *, index: int, count: int, progress: Progress,
        images: Sequence[Any] = (),
    ) -> CallResult:
        progress(5)  # output tokens streamed so far
        return await self._call(f"part {index + 1}/{count}")

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult:
        return await self._call(f"combine {len(partials)}")

    async def aclose(self) -> None:
        return None
