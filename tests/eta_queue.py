"""A queue run in virtual time, to check the queue's ETA against the time the queue really takes.

The real worker, store (SQLite), fixed pacer and text documents; only the model is played by
:class:`TimedAnalyzer`, whose calls take a latency on an auto-advancing
:class:`~tests.fake_clock.FakeClock` (one call at a time, as a fixed pause runs them, so the
clock's jumps are the queue's real schedule) and stream their output tokens as they go. The ETA
is read through :class:`core.status.QueueStatus`, as the window and ``paceline-cli status`` read it.
Used by tests/core/test_eta.py and benchmarks/eta_benchmark.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.analyzers.base import Analyzer, CallResult, Progress, split_text
from core.events import EventBus
from core.jobs import Profile
from core.pacing import Backoff, FixedPacer
from core.status import QueueStatus
from core.store import Store
from core.worker import Worker
from tests.docgen import make_text_pdf
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc

PARAGRAPH_CHARS = 220  # about what one paragraph of tests.helpers.write_doc holds


class TimedAnalyzer:
    """Each call takes ``latency(characters sent, call number)`` seconds on the clock and
    streams ``output(call number)`` tokens evenly over it."""

    engine = "timed:model"
    paced = True
    vision = None
    provider = "timed"
    model = "model"

    def __init__(
        self,
        clock: FakeClock,
        latency: Callable[[int, int], float],
        output: Callable[[int], int],
        part_chars: int = 24_000,
    ) -> None:
        self.clock = clock
        self.latency = latency
        self.output = output
        self.part_chars = part_chars
        self.started = 0  # calls started
        self.finished = 0  # calls answered
        # Awaited when a call starts, with the number of calls answered before it.
        self.on_start: Callable[[int], Any] | None = None
        # Awaited after each tenth of a call, with the call's number and the tenths done.
        self.on_step: Callable[[int, int], Any] | None = None

    def split(self, text: str) -> list[str]:
        return split_text(text, self.part_chars)

    async def analyze_part(
        self, text: str, profile: Profile, *, index: int, count: int, progress: Progress,
        images: Sequence[Any] = (),
    ) -> CallResult:
        return await self._call(len(text), progress)

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult:
        return await self._call(len("\n\n".join(partials)), progress)

    async def _call(self, units: int, progress: Progress) -> CallResult:
        number = self.started
        self.started += 1
        if self.on_start is not None:
            await self.on_start(self.finished)
        seconds, tokens = self.latency(units, number), self.output(number)
        for step in range(1, 11):
            await self.clock.sleep(seconds / 10)
            progress(tokens * step // 10)
            if self.on_step is not None:
                await self.on_step(number, step)
        self.finished += 1
        return CallResult("w " * (2 * tokens), completion_tokens=tokens)

    async def aclose(self) -> None:
        return None


class StatusReader(QueueStatus):
    """The queue's status as the engine computes it, around a worker built here (or none: as
    another process, such as ``paceline-cli status``, sees the queue)."""

    def __init__(self, store: Store, clock: FakeClock, pacer: FixedPacer, worker: Worker | None,
                 analyzer: Analyzer) -> None:  # fmt: skip
        self.store = store
        self.clock = clock
        self.pacer = pacer
        self.worker = worker
        self.analyzer = lambda: analyzer
        self.worker_holder = lambda: None


@dataclass
class QueueRun:
    eta: float  # the queue's ETA read when the chosen number of calls had finished
    real: float  # the seconds the queue really took from then
    calls: int  # calls made in all
    sizes: list[int] = field(default_factory=list)  # characters of each document

    @property
    def error(self) -> float:
        return abs(self.eta - self.real) / self.real if self.real else 0.0


def document_sizes(rng: random.Random, jobs: int) -> list[int]:
    """A mix: half short (1-5k characters), a third medium (5-24k, one part), the rest long
    (30-110k, two to five parts and a combining call)."""
    sizes = []
    for _ in range(jobs):
        pick = rng.random()
        if pick < 0.5:
            sizes.append(rng.randint(1_000, 5_000))
        elif pick < 0.83:
            sizes.append(rng.randint(5_000, 24_000))
        else:
            sizes.append(rng.randint(30_000, 110_000))
    return sizes


def as_pdf(text_file: Path) -> Path:
    """The text file as a PDF with a text layer (lines of about 90 characters, 50 a page)."""
    words = text_file.read_text(encoding="utf-8").split()
    lines, line = [], ""
    for word in words:
        if len(line) + len(word) > 90:
            lines.append(line)
            line = ""
        line += word + " "
    lines.append(line)
    pages = ["\n".join(lines[i : i + 50]) for i in range(0, len(lines), 50)]
    pdf = make_text_pdf(text_file.with_suffix(".pdf"), pages)
    text_file.unlink()
    return pdf


async def run_queue(
    folder: Path,
    analyzer_for: Callable[[FakeClock], TimedAnalyzer],
    sizes: Sequence[int],
    *,
    pause_s: float = 10.0,
    read_after: int = 3,
    pdf_every: int = 0,
) -> QueueRun:
    """Queue one text document per size (every ``pdf_every``-th one a PDF of that text), run
    the queue to its end, and compare the ETA read when ``read_after`` calls had finished (at
    the start of the next call) with the time the queue really took from then."""
    clock = FakeClock()
    bus = EventBus()
    store = await Store.open(folder / "queue.sqlite3", clock, bus)
    try:
        paths = []
        for n, chars in enumerate(sizes):
            paragraphs = max(1, round(chars / PARAGRAPH_CHARS))
            path = write_doc(folder / f"doc{n:03d}.txt", n, paragraphs)
            if pdf_every and n % pdf_every == pdf_every - 1:
                path = as_pdf(path)
            paths.append(path)
        await store.add_jobs([new_job(p, provider="timed", model="model") for p in paths],
                             max_queued=10_000)  # fmt: skip
        analyzer = analyzer_for(clock)
        pacer = FixedPacer(clock, pause_s, Backoff(15, 300, rng=lambda: 0.0))
        worker = Worker(store, analyzer, pacer, clock, bus)
        status = StatusReader(store, clock, pacer, worker, analyzer)
        read: list[tuple[float, float]] = []  # (ETA, clock time it was read at)

        async def on_start(finished: int) -> None:
            if finished == read_after and not read:
                _, total = await status.eta()
                read.append((total, clock.now()))

        analyzer.on_start = on_start
        await worker.run(until_empty=True)
        if not read:
            raise ValueError(f"the queue made fewer than {read_after + 1} calls")
        eta, at = read[0]
        return QueueRun(eta, clock.now() - at, analyzer.started, list(sizes))
    finally:
        await store.close()
