"""What ``paceline-cli run`` shows while it works.

On a terminal, one live line drawn by ``rich``: this run's jobs finished of its total, the
current job and its progress, the queue's ETA and the current wait (pause, backoff,
throttling), with a line above it for every job that finishes. Anywhere else (a pipe, a file,
CI) only the plain line per finished job, without control codes, so a log stays readable and
a script can follow it line by line.

Everything comes from the engine: its events (JobChanged, JobProgress) as they happen, and
``Engine.status()`` (the same numbers as ``paceline-cli status``) once a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sys
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
)
from rich.text import Text

from core.events import Event, JobChanged, JobProgress
from core.jobs import Job
from core.states import FINISHED_STATES, JobState

if TYPE_CHECKING:
    from core.engine import Engine
    from core.worker import Worker

log = logging.getLogger(__name__)

FRAME_S = 0.25  # how often the live line is drawn (its countdowns move by the second)
STATUS_EVERY_S = 1.0  # how often the queue's status is read for it (counts, ETA, waits)

WAIT_LABELS = {
    "pause": "pause between calls",
    "backoff": "backoff",
    "retry_after": "the server asked to wait",
    "throttle": "throttled",
    "unreachable": "server unreachable, trying again",
}
# Waits whose reason says more than the label (why it backs off, which limit throttles).
EXPLAINED_WAITS = frozenset({"backoff", "retry_after", "throttle", "unreachable"})
STATE_STYLES = {"done": "green", "failed": "red", "stale": "yellow", "cancelled": "dim"}


def fmt_seconds(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    if seconds < 3600:
        return f"{seconds // 60} min {seconds % 60} s"
    return f"{seconds // 3600} h {seconds % 3600 // 60} min"


def _printable(text: str | None) -> str:
    """One line without control characters: a file name or a server's message may hold
    newlines or escape codes, which must not reach a log or move a terminal's cursor."""
    return " ".join("".join(c if c.isprintable() else " " for c in text or "").split())


def finished_line(job: Job) -> str:
    """The plain line for a job this run finished."""
    head = f"{job.state:<6} #{job.id} {_printable(job.name)}"
    if job.state == JobState.DONE:
        parts = job.parts_planned or job.parts_done
        text = head + (f"  {parts} part{'s' if parts != 1 else ''}" if parts else "")
        text += f"  {job.tokens:,} tokens  {job.duration_s:.1f} s"
        if job.error_kind:  # done, but cut off at the output limit
            text += f"  {job.error_kind}: {_printable(job.error)}"
        return text
    if job.state == JobState.STALE:
        return f"{head}  {_printable(job.stale_reason)}"
    if job.error_kind or job.error:
        return f"{head}  {job.error_kind or 'error'}: {_printable(job.error)}"
    return head


def wait_text(status: dict[str, Any], seconds_left: float) -> str:
    """The queue's pause or wait as the live line says it, or "" when it does not wait."""
    if status.get("paused"):
        return f"paused: {_printable(status.get('pause_reason')) or 'paused'}"
    kind = status.get("wait_kind")
    if not kind or seconds_left <= 0:
        return ""
    # Counted down as clocks do: 0.4 s left still shows as 1 s.
    text = f"{WAIT_LABELS.get(kind, kind)}: {fmt_seconds(math.ceil(seconds_left))} left"
    reason = _printable(status.get("wait_reason"))
    if kind in EXPLAINED_WAITS and reason:
        text += f" ({reason})"
    return text


class RunTally:
    """The jobs one run finished, and the progress of those it runs, from the engine's events.

    A job counts once it ends (done, failed, cancelled, stale) at or after ``started`` (wall
    time), the moment this run's worker took the queue: the database's older jobs are not
    this run's.
    """

    def __init__(self, engine: Engine, started: float, on_finished: Callable[[Job], None]):
        self.started = started
        self.finished: list[Job] = []
        # Jobs that ended and have not started again: the worker still holds them for a moment.
        self.ended: set[int] = set()
        # job id -> (parts done, parts planned, share of the current part)
        self.progress: dict[int, tuple[int, int, float]] = {}
        self._seen: set[tuple[int, float]] = set()
        self._on_finished = on_finished
        self._unsubscribe = engine.bus.subscribe(self._on_event)

    def close(self) -> None:
        self._unsubscribe()

    def count(self, state: JobState) -> int:
        return sum(1 for job in self.finished if job.state == state)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, JobProgress):
            self.progress[event.job_id] = (
                event.parts_done, event.parts_planned, event.part_fraction
            )
            return
        if not isinstance(event, JobChanged):
            return
        job = event.job
        if job.state not in FINISHED_STATES or job.finished_at is None:
            self.ended.discard(job.id)  # queued or running again (re-triggered)
            return
        key = (job.id, job.finished_at)
        if job.finished_at < self.started or key in self._seen:
            return
        self._seen.add(key)
        self.finished.append(job)
        self.ended.add(job.id)
        self.progress.pop(job.id, None)
        self._on_finished(job)


class _DescribeColumn(ProgressColumn):
    """A column that asks for its text at each frame, so countdowns move between reads."""

    def __init__(self, describe: Callable[[], Text]) -> None:
        super().__init__()
        self._describe = describe

    def render(self, task: Task) -> Text:
        return self._describe()


class LiveLine:
    """The terminal's live line, drawn by rich from the tally and the queue's status."""

    def __init__(self, engine: Engine, worker: Worker, started: float, out: TextIO) -> None:
        self.engine = engine
        self.worker = worker
        self.status: dict[str, Any] = {}
        self._read_at = time.monotonic()
        # Jobs in a finished state when the run began, as the first status counted them.
        self._finished_before: int | None = None
        self._read_failing = False
        console = Console(file=out)
        self.progress = Progress(
            SpinnerColumn(),
            BarColumn(bar_width=16),
            MofNCompleteColumn(),
            _DescribeColumn(self.describe),
            console=console,
            # Drawn from the event loop (below), never from rich's own thread: the line reads
            # the worker's state, which only the loop may touch.
            auto_refresh=False,
            # Messages on stderr (Ctrl-C's "stopping") go above the line when stderr is this
            # terminal too; when it is a file they must stay there.
            redirect_stderr=_is_tty(sys.stderr),
        )
        self.task = self.progress.add_task("run", total=None)
        self.tally = RunTally(engine, started, self.print_finished)

    def print_finished(self, job: Job) -> None:
        # Printing puts the line back below as last drawn: draw it with this job counted.
        self._update()
        self.progress.refresh()
        self.progress.console.print(
            Text(finished_line(job), style=STATE_STYLES.get(str(job.state), "")),
            soft_wrap=True,
        )

    def describe(self) -> Text:
        now = time.monotonic()
        text = Text(no_wrap=True, overflow="ellipsis")
        failed = self.tally.count(JobState.FAILED)
        text.append("finished")
        if failed:
            text.append(f", {failed} failed", style="red")
        current = self.current_job()
        if current:
            text.append("  ·  ")
            text.append(current, style="bold")
        if self.status:
            queued = self.status["counts"]["queued"] + self.status["counts"]["running"]
            if queued:
                eta = max(0.0, self.status["eta_seconds"] - (now - self._read_at))
                text.append("  ·  ETA " + (fmt_seconds(eta) if eta >= 1 else "under 1 s"))
            elif not current:
                text.append("  ·  queue empty", style="dim")
            left = self.status.get("wait_seconds_left") or 0.0
            wait = wait_text(self.status, left - (now - self._read_at))
            if wait:
                text.append("  ·  ")
                text.append(wait, style="yellow")
        return text

    def current_job(self) -> str:
        running = sorted(
            (r for r in self.worker.running.values() if r.lease.job_id not in self.tally.ended),
            key=lambda r: r.started,
        )
        if not running:
            return ""
        first = running[0]
        job = first.lease.job
        done, planned, fraction = self.tally.progress.get(
            job.id, (first.parts_done, first.parts_planned, 0.0)
        )
        text = f"#{job.id} {_printable(job.name)}"
        if planned:
            share = (done + min(max(fraction, 0.0), 0.999)) / planned
            text += f" {share * 100:.0f}%"
            if planned > 1:
                text += f" (part {min(done + 1, planned)} of {planned})"
        else:
            text += " reading"
        if len(running) > 1:
            text += f" +{len(running) - 1} more"
        return text

    async def read_status(self) -> None:
        try:
            self.status = await self.engine.status()
            self._read_at = time.monotonic()
            self._read_failing = False
        except Exception:  # a busy database now and then: keep the last figures
            if not self._read_failing:  # once, not every second while it lasts
                log.exception("reading the queue's status for the live line failed")
            self._read_failing = True
        self._update()

    def _update(self) -> None:
        finished = len(self.tally.finished)
        total = None
        if self.status:
            # All from one count of the states: a job that ends while the status is read is
            # either still running or already finished in it, never both or neither (the
            # events that count ``finished`` arrive a moment after the commit).
            counts = self.status["counts"]
            ended = sum(counts[str(s)] for s in FINISHED_STATES)
            if self._finished_before is None:
                self._finished_before = ended - finished
            ended_here = ended - self._finished_before
            total = max(finished, ended_here + counts["queued"] + counts["running"])
        self.progress.update(self.task, completed=finished, total=total)

    async def draw(self) -> None:
        """Redraw every frame and read the status every second, until cancelled."""
        frame = 0
        frames_per_read = max(1, round(STATUS_EVERY_S / FRAME_S))
        while True:
            if frame % frames_per_read == 0:
                await self.read_status()
            self.progress.refresh()
            frame += 1
            await asyncio.sleep(FRAME_S)


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # replaced or closed streams
        return False


def wants_live_line(out: TextIO) -> bool:
    """A live line only on a real terminal that can move its cursor: not in a pipe, a file
    or CI (even where FORCE_COLOR makes rich think it writes to a terminal), not TERM=dumb."""
    return _is_tty(out) and Console(file=out).is_interactive


@contextlib.asynccontextmanager
async def run_report(
    engine: Engine, worker: Worker, started: float, out: TextIO
) -> AsyncIterator[RunTally]:
    """Show the run's progress on ``out`` while the body runs the worker."""
    if not wants_live_line(out):

        def write(job: Job) -> None:
            out.write(finished_line(job) + "\n")
            out.flush()  # one line as each job ends, also through a pipe

        tally = RunTally(engine, started, write)
        try:
            yield tally
        finally:
            tally.close()
        return
    line = LiveLine(engine, worker, started, out)
    await line.read_status()
    drawing: asyncio.Task[None] | None = None
    with line.progress:
        try:
            drawing = asyncio.create_task(line.draw(), name="paceline-live-line")
            yield line.tally
        finally:
            if drawing is not None:
                drawing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await drawing
            await line.read_status()  # the last figures stay on the screen
            line.progress.refresh()
            line.tally.close()
