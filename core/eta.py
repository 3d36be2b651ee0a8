"""ETA learned from measured call durations.

Each call is recorded with its size (characters sent) and duration. The estimate of one call
is a least-squares line ``a + b * units`` over the recent calls of the same provider and
model, so a slow model and a fast one each get their own. Pauses and any backoff are added
by :func:`queue_eta`.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from core.jobs import Job
from core.states import JobState

# Before anything is measured: an offline analysis is fast, a remote call takes seconds.
PRIOR_SECONDS = {"offline": 0.05}
PRIOR_REMOTE_SECONDS = 20.0


class CallTimes:
    def __init__(self, engine: str, samples: Iterable[tuple[int, float]] = (), keep: int = 200):
        self.engine = engine
        self._samples: deque[tuple[int, float]] = deque(maxlen=keep)
        # The fitted (intercept, slope, mean units, mean seconds, fitted?) until the next
        # sample: a queue's ETA asks for one estimate per job, 10,000 of them at a time.
        self._fit: tuple[float, float, float, float, bool] | None = None
        for units, seconds in reversed(list(samples)):  # stored newest first
            self._samples.append((units, seconds))

    def add(self, units: int, seconds: float) -> None:
        self._samples.append((units, max(0.0, seconds)))
        self._fit = None

    @property
    def count(self) -> int:
        return len(self._samples)

    def estimate(self, units: int) -> float:
        if not self._samples:
            return PRIOR_SECONDS.get(self.engine, PRIOR_REMOTE_SECONDS)
        if self._fit is None:
            self._fit = self._fitted()
        intercept, slope, mean_u, mean_s, fitted = self._fit
        if not fitted:
            # Not enough spread to fit a slope: scale the mean by size when we can.
            if mean_u > 0:
                return max(0.0, mean_s * (units / mean_u)) if units else mean_s
            return mean_s
        return intercept + slope * units

    def _fitted(self) -> tuple[float, float, float, float, bool]:
        n = len(self._samples)
        mean_u = sum(u for u, _ in self._samples) / n
        mean_s = sum(s for _, s in self._samples) / n
        var = sum((u - mean_u) ** 2 for u, _ in self._samples)
        if n < 3 or var <= 0:
            return 0.0, 0.0, mean_u, mean_s, False
        cov = sum((u - mean_u) * (s - mean_s) for u, s in self._samples)
        slope = max(0.0, cov / var)
        intercept = max(0.0, mean_s - slope * mean_u)
        return intercept, slope, mean_u, mean_s, True


@dataclass(frozen=True)
class JobPlan:
    """How many calls a job still needs and how big each is."""

    calls_left: int
    units_per_call: int


def plan_for(job: Job, context_chars: int) -> JobPlan:
    units = job.units or job.size
    if job.parts_planned:
        parts = job.parts_planned
        calls_left = max(0, parts - job.parts_done)
        # the combining call sends the part results, which are much smaller than a part
        per_call = max(1, units // max(1, parts - 1 if parts > 1 else 1))
        return JobPlan(calls_left, per_call)
    chunks = max(1, -(-units // max(1, context_chars)))
    calls = chunks + (1 if chunks > 1 else 0)
    return JobPlan(calls, max(1, units // chunks))


def queue_eta(
    jobs: Sequence[Job],
    times: CallTimes,
    *,
    pause_s: float,
    paced: bool,
    context_chars: int,
    wait_left: float = 0.0,
    running_elapsed: dict[int, float] | None = None,
    parallel: int = 1,
) -> tuple[dict[int, float], float]:
    """Per-job seconds until each job is done, in queue order, and the queue's total.

    ``jobs`` are the running and queued jobs in the order they will run. A paced provider
    starts calls at least ``pause_s`` apart, so each call costs ``max(pause, duration)``;
    with ``parallel`` calls in flight (adaptive pacing) a call's duration is shared among them.
    """
    running_elapsed = running_elapsed or {}
    t = wait_left
    etas: dict[int, float] = {}
    for job in jobs:
        if job.state not in (JobState.QUEUED, JobState.RUNNING):
            continue
        plan = plan_for(job, context_chars)
        per_call = times.estimate(plan.units_per_call)
        step = max(pause_s, per_call / max(1, parallel)) if paced else per_call
        job_time = plan.calls_left * step
        if job.state == JobState.RUNNING:
            job_time = max(0.0, job_time - running_elapsed.get(job.id, 0.0))
            if paced and plan.calls_left:
                job_time = max(job_time, per_call * 0.1)
        t += job_time
        etas[job.id] = t
    return etas, t
