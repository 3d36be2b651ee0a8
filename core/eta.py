"""ETA learned from measured calls, and the output length a call is expected to reach.

Each finished call is recorded with its size (characters sent), its duration and the output
tokens it took. The duration of one call is a least-squares line ``a + b * units`` over the
recent calls of the same engine (provider and model), so a slow model and a fast one each get
their own.

The queue's ETA plays the worker's schedule forward (:class:`QueueEta`): jobs take the free call
slots in queue order (one slot with a fixed pause, the adaptive pacer's calls in flight
otherwise), each job's calls run one after another, and call starts are spaced by the pacer's
pause (adaptive: one over its rate). So a job is done when its last answer is in, with no
pause charged after it; a job's own time is its calls' latencies however many run beside it;
and the queue's throughput comes out as ``min(rate, in flight / latency)``.
"""

from __future__ import annotations

import heapq
import itertools
import math
import statistics
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import TYPE_CHECKING

from core.documents.html_format import HTML_SUFFIXES
from core.documents.image_format import IMAGE_SUFFIXES
from core.jobs import Job
from core.part_inputs import IMAGE_UNITS
from core.states import JobState

if TYPE_CHECKING:
    from core.store import Store

# Before anything is measured: an offline analysis is fast, a remote call takes seconds.
PRIOR_SECONDS = {"offline": 0.05}
PRIOR_REMOTE_SECONDS = 20.0

# Characters of text per byte of file, for a job not read yet (its file size is all we know),
# until documents of the format have been read here (then their median, see
# CallTimes.chars_per_byte: one PDF holds a page of text in 1 MB, another 500 pages).
# Medians of (extracted characters / file bytes) over the documents of the benchmark corpus
# (benchmarks/corpus.py), measured by ``python benchmarks/eta_benchmark.py --ratios``:
# PDF 0.0036 over 93 files, DOCX 0.0055 over 66, HTML 0.37 over 108 (files that failed to
# extract left out). Text counts one character per byte: the corpus's text files are chardet's
# encoding samples, mostly multi-byte encodings (median 0.60), while the text files people
# queue are mostly UTF-8 in a Latin script, where a byte is a character.
CHARS_PER_BYTE = {".pdf": 0.0036, ".docx": 0.0055, **dict.fromkeys(HTML_SUFFIXES, 0.37)}
TEXT_CHARS_PER_BYTE = 1.0
DOCUMENTS_KEPT = 50  # documents read, per format, whose characters per byte are remembered

# Output tokens a call is expected to take before any call was measured.
DEFAULT_OUTPUT_TOKENS = 600
# The share of recent calls whose output the expected length covers: high, so the progress
# bar rarely reaches its end before the answer does.
OUTPUT_PERCENTILE = 0.8
# Characters per output token, for the size of a combining call (it sends the part answers).
CHARS_PER_TOKEN = 4
# A call already past its estimate is expected to need at least this share of it again.
OVERRUN_SHARE = 0.1


# Latency is never exactly a line of the size sent: the residual noise assumed at least, as a
# share of the mean latency, so a few samples that happen to line up are not taken as exact.
NOISE_FLOOR = 0.1


def format_of(path: str) -> str:
    """The key a document's characters per byte are learned under: its suffix."""
    return PurePath(path).suffix.lower()


class CallTimes:
    """What recent work taught: calls of one engine, (characters sent, seconds) and output
    tokens, and the characters per byte of the documents read, per format.

    A call's duration is the line ``a + b * units`` through the mean of the recent calls. Its
    slope is the least-squares slope, drawn toward a prior (half of the mean latency fixed,
    half in proportion to the size) as far as the samples leave it uncertain: three calls of
    nearly the same size say next to nothing about how a call scales, and a slope fitted to
    them alone made a queue's ETA 17 times too long in the benchmark.
    """

    def __init__(
        self,
        engine: str,
        samples: Iterable[tuple[int, float]] = (),
        keep: int = 200,
        outputs: Iterable[int] = (),
    ):
        self.engine = engine
        self._samples: deque[tuple[int, float]] = deque(maxlen=keep)
        self._outputs: deque[int] = deque(maxlen=keep)
        # The fitted (intercept, slope) until the next sample: a queue's ETA asks for one
        # estimate per job, 10,000 of them at a time.
        self._fit: tuple[float, float] | None = None
        self._expected_output: int | None = None
        self._ratios: dict[str, deque[float]] = {}
        self._ratio_medians: dict[str, float] = {}
        for units, seconds in reversed(list(samples)):  # stored newest first
            self._samples.append((units, seconds))
        self.add_outputs(reversed(list(outputs)))  # newest first, as stored

    def add(self, units: int, seconds: float, completion_tokens: int = 0) -> None:
        self._samples.append((units, max(0.0, seconds)))
        self._fit = None
        if completion_tokens > 0:
            self.add_outputs([completion_tokens])

    def add_outputs(self, tokens: Iterable[int]) -> None:
        """Output tokens of calls measured elsewhere (the store's history), oldest first."""
        self._outputs.extend(t for t in tokens if t > 0)
        self._expected_output = None

    def add_document(self, path: str, size: int, units: int) -> None:
        """A document was read: ``units`` characters (page images counted) from ``size`` bytes."""
        if size <= 0 or units <= 0:
            return
        key = format_of(path)
        self._ratios.setdefault(key, deque(maxlen=DOCUMENTS_KEPT)).append(units / size)
        self._ratio_medians.pop(key, None)

    def chars_per_byte(self, path: str) -> float:
        """Characters per byte expected of a document not read yet: the median of the ones of
        its format read here, the corpus's figure counted as one of them."""
        key = format_of(path)
        if key not in self._ratio_medians:
            prior = CHARS_PER_BYTE.get(key, TEXT_CHARS_PER_BYTE)
            self._ratio_medians[key] = statistics.median([prior, *self._ratios.get(key, ())])
        return self._ratio_medians[key]

    @property
    def count(self) -> int:
        return len(self._samples)

    @property
    def outputs_known(self) -> int:
        return len(self._outputs)

    def expected_output_tokens(self) -> int:
        """Output tokens a call of this engine is expected to take: a high percentile of the
        recent calls, or a default before any was measured."""
        if self._expected_output is None:
            if not self._outputs:
                self._expected_output = DEFAULT_OUTPUT_TOKENS
            else:
                ranked = sorted(self._outputs)
                at = min(len(ranked) - 1, int(OUTPUT_PERCENTILE * len(ranked)))
                self._expected_output = max(1, ranked[at])
        return self._expected_output

    def estimate(self, units: int) -> float:
        if not self._samples:
            return PRIOR_SECONDS.get(self.engine, PRIOR_REMOTE_SECONDS)
        if self._fit is None:
            self._fit = self._fitted()
        intercept, slope = self._fit
        return intercept + slope * units

    def _fitted(self) -> tuple[float, float]:
        n = len(self._samples)
        mean_u = sum(u for u, _ in self._samples) / n
        mean_s = sum(s for _, s in self._samples) / n
        if mean_u <= 0:
            return mean_s, 0.0
        prior = mean_s / (2 * mean_u)  # half of the mean latency in proportion to the size
        sxx = sum((u - mean_u) ** 2 for u, _ in self._samples)
        slope = prior
        if sxx > 0:
            fitted = sum((u - mean_u) * (s - mean_s) for u, s in self._samples) / sxx
            residual = sum((s - mean_s - fitted * (u - mean_u)) ** 2 for u, s in self._samples)
            noise = max(residual / max(1, n - 2), (NOISE_FLOOR * mean_s) ** 2)
            # Precision-weighted: the fitted slope's variance is noise / sxx; the prior's
            # spread is its own size (it may well be wrong by all of itself).
            trust_fit, trust_prior = sxx / noise, 1.0 / prior**2 if prior > 0 else 0.0
            slope = (fitted * trust_fit + prior * trust_prior) / (trust_fit + trust_prior)
        # Neither negative nor more than the proportional line: a call has no negative cost.
        slope = min(max(0.0, slope), mean_s / mean_u)
        return mean_s - slope * mean_u, slope


async def learn_from_history(times: CallTimes, store: Store, model: str, jobs: int = 100) -> None:
    """Teach ``times`` the recently finished jobs, so a restart keeps what they taught: the
    model's output tokens per call (a job of several calls counts its mean) and the characters
    per byte of the documents read (any model's)."""
    done = [job for job in reversed(await store.history_page(jobs)) if job.state == JobState.DONE]
    times.add_outputs(
        job.completion_tokens // max(1, job.parts_planned)
        for job in done
        if job.model == model and job.completion_tokens > 0
    )
    for job in done:
        times.add_document(job.path, job.size, job.units)


def progress_share(tokens: int, expected: int) -> float:
    """Share of a call done after ``tokens`` output tokens, when ``expected`` are expected.

    In step with the tokens up to 90% of the expected length, then closing in on 0.99 ever
    more slowly, so an answer longer than expected neither stops the bar nor fills it: it
    never goes back and never passes 0.99 before the call is really done.
    """
    knee = 0.9 * max(1, expected)
    if tokens <= knee:
        return max(0.0, tokens / max(1, expected))
    # Same slope at the knee as below it: 0.09 left to go, shrinking by e every 0.09 * expected.
    left = 0.09 * math.exp(-(tokens - knee) / (0.09 * max(1, expected)))
    return min(0.99, 0.99 - left)


def estimated_units(job: Job, times: CallTimes) -> int:
    """Characters a job sends: measured once it was read, else guessed from its file size."""
    if job.units:
        return job.units
    if format_of(job.path) in IMAGE_SUFFIXES:
        return IMAGE_UNITS
    return max(1, round(job.size * times.chars_per_byte(job.path)))


@dataclass(frozen=True)
class JobPlan:
    """The sizes (characters) of the calls a job still needs, in order."""

    calls: tuple[int, ...]

    @property
    def calls_left(self) -> int:
        return len(self.calls)


def plan_for(job: Job, part_chars: int, times: CallTimes) -> JobPlan:
    units = estimated_units(job, times)
    output_tokens = times.expected_output_tokens()
    parts = job.parts_planned - 1 if job.parts_planned > 1 else 0  # without the combining call
    if not parts:
        parts = max(1, -(-units // max(1, part_chars)))
    per_part = max(1, units // parts)
    sizes = [per_part] * parts
    if parts > 1:
        # The combining call sends the part answers, much smaller than a part.
        sizes.append(max(1, min(part_chars, parts * output_tokens * CHARS_PER_TOKEN)))
    return JobPlan(tuple(sizes[min(job.parts_done, len(sizes)) :]))


@dataclass
class _Active:
    """A job holding a call slot in the simulation: the durations of its calls still to start."""

    job_id: int
    durations: deque[float] = field(default_factory=deque)


@dataclass(frozen=True)
class EtaInputs:
    """Everything the queue's ETA needs besides the jobs.

    ``call_elapsed`` holds the seconds since the call in flight of a running job started;
    ``wait_left`` the seconds before the next call may start (a pause's rest, a backoff).
    """

    times: CallTimes
    pause_s: float
    paced: bool
    part_chars: int
    wait_left: float = 0.0
    call_elapsed: dict[int, float] | None = None
    parallel: int = 1


class QueueEta:
    """The worker's schedule played forward: when each job will be done, from now.

    Jobs are fed in the order the worker claims them (running ones first), a slice at a time if
    need be; :meth:`finish` plays out the rest.
    """

    def __init__(self, inputs: EtaInputs) -> None:
        self.times = inputs.times
        self.part_chars = inputs.part_chars
        self.spacing = inputs.pause_s if inputs.paced else 0.0  # least seconds between starts
        self.slots = max(1, inputs.parallel) if inputs.paced else 1  # calls in flight at most
        self.next_start = inputs.wait_left  # when the pacer lets the next call start
        self.call_elapsed = inputs.call_elapsed or {}
        self.etas: dict[int, float] = {}
        self._events: list[tuple[float, int, _Active]] = []  # (time a job wants its next call)
        self._order = itertools.count()
        self._holding = 0  # jobs holding a slot
        self._free_at: list[float] = []  # when slots freed by finished jobs came free
        self._waiting: deque[Job] = deque()

    def feed(self, jobs: Sequence[Job]) -> None:
        for job in jobs:
            if job.state in (JobState.QUEUED, JobState.RUNNING):
                self._waiting.append(job)
        while self._waiting:
            if self._holding < self.slots:
                at = heapq.heappop(self._free_at) if self._free_at else 0.0
                self._admit(self._waiting.popleft(), at)
            elif not self._step():
                break

    def finish(self) -> tuple[dict[int, float], float]:
        """Per-job seconds until each job is done, and the queue's total."""
        while self._step():
            pass
        total = max(self.etas.values(), default=0.0)
        return self.etas, total

    def _admit(self, job: Job, at: float) -> None:
        plan = plan_for(job, self.part_chars, self.times)
        active = _Active(job.id, deque(self.times.estimate(u) for u in plan.calls))
        self._holding += 1
        elapsed = self.call_elapsed.get(job.id) if job.state == JobState.RUNNING else None
        if elapsed is not None and active.durations:
            # Its call is in flight: it ends after the rest of its expected latency.
            latency = active.durations.popleft()
            at += max(latency - elapsed, latency * OVERRUN_SHARE)
        heapq.heappush(self._events, (at, next(self._order), active))

    def _step(self) -> bool:
        """Play the next event: a job's next call starts, or its last answer is in."""
        if not self._events:
            return False
        at, _, active = heapq.heappop(self._events)
        if not active.durations:
            self.etas[active.job_id] = at
            self._holding -= 1
            heapq.heappush(self._free_at, at)
            return True
        start = max(at, self.next_start)
        self.next_start = start + self.spacing
        end = start + active.durations.popleft()
        heapq.heappush(self._events, (end, next(self._order), active))
        return True


def queue_eta(jobs: Sequence[Job], inputs: EtaInputs) -> tuple[dict[int, float], float]:
    """Per-job seconds until each job is done, in queue order, and the queue's total.

    ``jobs`` are the running and queued jobs in the order they will run.
    """
    eta = QueueEta(inputs)
    eta.feed(jobs)
    return eta.finish()
