"""Pacing of remote calls: a minimum pause between call starts and backoff after failures.

The pacer decides when the next call may start and says why, so the window can draw a
countdown. Time comes from an injected :class:`~core.clock.Clock`. The offline analyzer is
not paced at all.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.clock import Clock, clock_time
from core.errors import ErrorClass, JobError


@dataclass(frozen=True)
class Wait:
    """Why the next call is held back and until when (on the clock's scale)."""

    until: float | None = None
    kind: str | None = None  # "pause" | "backoff" | "retry_after" | "throttle" | "unreachable"
    reason: str | None = None
    failures: int = 0
    since: float | None = None  # wall time the server became unreachable ("unreachable")

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.until - now) if self.until is not None else 0.0


NO_WAIT = Wait()

# Clock readings closer than this count as equal (float rounding of now + delay).
TIME_EPSILON = 1e-9
# While the server is unreachable the next call is a probe: 2, 4, 8 s, then every 15 s, so
# work resumes within about 20 s of the server's return (a refused connection costs nothing).
OUTAGE_FIRST_S = 2.0
OUTAGE_CAP_S = 15.0


def _secs(seconds: float) -> str:
    """A duration for people: "7 s", "0.4 s", "2 min 30 s"."""
    if seconds >= 60:
        minutes, rest = divmod(round(seconds), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    if seconds < 10 and seconds != int(seconds):
        return f"{max(seconds, 0.1):.1f} s"  # never "0.0 s" for a wait that is real
    return f"{seconds:.0f} s"


class Backoff:
    """Exponential backoff with jitter after consecutive retryable failures.

    The n-th consecutive failure waits ``min(cap, base * 2**(n-1))``, reduced by up to
    ``jitter`` of itself at random so many clients do not retry in lock-step. A server's
    Retry-After wins, within ``max_retry_after``.
    """

    def __init__(
        self,
        base: float = 15.0,
        cap: float = 300.0,
        *,
        jitter: float = 0.2,
        max_retry_after: float = 900.0,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.base = base
        self.cap = cap
        self.jitter = jitter
        self.max_retry_after = max_retry_after
        self.rng = rng
        self.failures = 0

    def delay(self, retry_after: float | None = None) -> float:
        """Record one more failure and return how long to wait before the next call."""
        self.failures += 1
        if retry_after is not None and retry_after >= 0:
            return min(retry_after, self.max_retry_after)
        # The exponent is bounded: after ~1000 failures 2**n no longer fits in a float.
        raw = min(self.cap, self.base * 2.0 ** min(self.failures - 1, 64))
        return raw * (1.0 - self.jitter * self.rng())

    def reset(self) -> None:
        self.failures = 0


class Pacer:
    """The common part of every pacer: waits, reasons, retry-now and listeners."""

    def __init__(self, clock: Clock, backoff: Backoff) -> None:
        self.clock = clock
        self.backoff = backoff
        self._backoff_until = 0.0
        self._backoff_kind: str | None = None
        self._backoff_reason: str | None = None
        self._unreachable_since: float | None = None  # wall time of the first refused call
        self._outage_failures = 0
        self._wait = NO_WAIT
        self._wake = asyncio.Event()
        self._listeners: list[Callable[[Wait], None]] = []
        self._waiting = 0
        self.in_flight = 0

    # -- for people
    def current_wait(self) -> Wait:
        return self._wait

    def subscribe(self, listener: Callable[[Wait], None]) -> None:
        self._listeners.append(listener)

    def _set_wait(self, wait: Wait) -> None:
        if wait != self._wait:
            self._wait = wait
            for listener in list(self._listeners):
                listener(wait)

    def retry_now(self) -> None:
        """End the current wait: backoff and pause are forgiven for the next call."""
        self._backoff_until = 0.0
        self._forgive_pause()
        self._wake.set()
        if self._waiting == 0:
            # Nobody is held right now: clear what a person sees at once.
            self._set_wait(NO_WAIT)

    def _forgive_pause(self) -> None:
        pass

    @property
    def max_in_flight(self) -> int:
        return 1

    def eta_pacing(self) -> tuple[float, int]:
        """(least seconds between call starts, calls in flight) for the ETA."""
        return 0.0, self.max_in_flight

    # -- for the worker
    def ready_now(self, cost_tokens: int = 0) -> bool:
        now = self.clock.now()
        return self._next_start(now, cost_tokens)[0] <= now + TIME_EPSILON

    def next_wait(self, cost_tokens: int = 0) -> Wait:
        """What holds a call back if it asks now (NO_WAIT: it may start at once)."""
        now = self.clock.now()
        until, kind, reason = self._next_start(now, cost_tokens)
        if until <= now + TIME_EPSILON:
            return NO_WAIT
        return Wait(until, kind, reason, self._failures_for(kind), self._since_for(kind))

    async def acquire(self, cost_tokens: int = 0) -> None:
        """Wait until a call may start, then count it as started."""
        await self.wait_ready(cost_tokens)
        self.in_flight += 1
        self._started(self.clock.now(), cost_tokens)

    async def wait_ready(self, cost_tokens: int = 0) -> None:
        """Wait until a call may start, showing why we wait, without taking the call."""
        self._waiting += 1
        try:
            while True:
                now = self.clock.now()
                until, kind, reason = self._next_start(now, cost_tokens)
                # A hair of tolerance: now + (until - now) can round to just below until.
                if until <= now + TIME_EPSILON:
                    break
                self._set_wait(Wait(until, kind, reason, self._failures_for(kind),
                                    self._since_for(kind)))
                self._wake.clear()
                sleeper = asyncio.ensure_future(self.clock.sleep(until - now))
                waker = asyncio.ensure_future(self._wake.wait())
                try:
                    await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    for task in (sleeper, waker):
                        if not task.done():
                            task.cancel()
        except asyncio.CancelledError:
            # The waiting job was stopped: a countdown nobody waits for must not linger.
            self._set_wait(NO_WAIT)
            raise
        finally:
            self._waiting -= 1
        self._set_wait(NO_WAIT)

    def _failures_for(self, kind: str | None) -> int:
        return self._outage_failures if kind == "unreachable" else self.backoff.failures

    def _since_for(self, kind: str | None) -> float | None:
        return self._unreachable_since if kind == "unreachable" else None

    def _next_start(self, now: float, cost_tokens: int) -> tuple[float, str | None, str | None]:
        if self._backoff_until > now:
            return self._backoff_until, self._backoff_kind, self._backoff_reason
        return now, None, None

    def _started(self, now: float, cost_tokens: int) -> None:
        pass

    def token_cost(self, prompt_chars: int) -> int:
        """Tokens to reserve for a call carrying ``prompt_chars`` (0: tokens are not paced)."""
        return 0

    def on_success(
        self,
        headers: Mapping[str, str] | None = None,
        *,
        cost_tokens: int = 0,
        prompt_chars: int = 0,
        prompt_tokens: int = 0,
        completion_tokens: int = 0,
        started: float | None = None,
    ) -> None:
        self.in_flight = max(0, self.in_flight - 1)
        self.backoff.reset()
        self._reachable()

    def _reachable(self) -> None:
        """The server answered (well or not): an outage, if any, is over."""
        self._unreachable_since = None
        self._outage_failures = 0

    def on_failure(
        self, error: JobError | None, *, retryable: bool = True, started: float | None = None
    ) -> float:
        """Record a failed call that started at ``started`` (the clock's reading just after
        :meth:`acquire`, if known); return the backoff delay it caused (0 if none)."""
        self.in_flight = max(0, self.in_flight - 1)
        if error is None or error.error_class != ErrorClass.UNREACHABLE:
            self._reachable()
        if not retryable:
            # The server answered (a bad request, a bad key): that ends a run of failed
            # calls, and the next job must not inherit a long backoff from it.
            self.backoff.reset()
            return 0.0
        return self._back_off(error)

    def _back_off(self, error: JobError | None) -> float:
        """Start the backoff (or the server's Retry-After) for one more failed call."""
        if error is not None and error.error_class == ErrorClass.UNREACHABLE:
            return self._probe_later(error)
        retry_after = error.retry_after if error is not None else None
        if retry_after is not None and retry_after < 0:
            retry_after = None
        delay = self.backoff.delay(retry_after)
        self._backoff_until = self.clock.now() + delay
        if retry_after is not None:
            self._backoff_kind = "retry_after"
            capped = " (capped)" if delay < retry_after else ""
            self._backoff_reason = f"The server asked to wait {_secs(delay)}{capped}"
        else:
            n = self.backoff.failures
            self._backoff_kind = "backoff"
            what = error.message if error is not None else "a failed call"
            self._backoff_reason = (
                f"Backing off after {n} failed call{'s' if n != 1 else ''}: {what}"
            )
        return delay

    def _probe_later(self, error: JobError) -> float:
        """The server cannot be reached: wait a little, then try again (a probe).

        Not the usual backoff: that doubles to minutes, which leaves the queue idle long after
        the server is back, and the job is not at fault.
        """
        if self._unreachable_since is None:
            self._unreachable_since = self.clock.wall()
        self._outage_failures += 1
        delay = min(OUTAGE_CAP_S, OUTAGE_FIRST_S * 2.0 ** min(self._outage_failures - 1, 16))
        delay *= 1.0 - 0.1 * self.backoff.rng()  # a fleet of clients must not probe in step
        self._backoff_until = max(self._backoff_until, self.clock.now() + delay)
        self._backoff_kind = "unreachable"
        self._backoff_reason = (
            f"The server cannot be reached since {clock_time(self._unreachable_since)} "
            f"({error.message}). Paceline tries again every {OUTAGE_CAP_S:g} s at most and "
            "counts no attempt against the jobs."
        )
        return delay

    def release_unused(self) -> None:
        """A call slot was taken but no call was made (the job was cancelled)."""
        self.in_flight = max(0, self.in_flight - 1)

    def backoff_left(self) -> float:
        return max(0.0, self._backoff_until - self.clock.now())

    def backoff_wait(self) -> Wait:
        """The backoff or Retry-After now in force (for storing it), or NO_WAIT."""
        if self._backoff_until <= self.clock.now():
            return NO_WAIT
        kind = self._backoff_kind
        return Wait(self._backoff_until, kind, self._backoff_reason, self._failures_for(kind),
                    self._since_for(kind))  # fmt: skip

    def restore(
        self,
        backoff_until_wall: float | None,
        kind: str | None,
        reason: str | None,
        failures: int,
        last_call_wall: float | None,
        since: float | None = None,
    ) -> None:
        """Start from the waits a previous worker stored (wall clock), so a restart or a
        settings change never calls earlier than a server's Retry-After or the backoff allow."""
        now, wall = self.clock.now(), self.clock.wall()
        if kind == "unreachable":
            self._unreachable_since = since or wall
            self._outage_failures = max(self._outage_failures, failures)
        else:
            self.backoff.failures = max(self.backoff.failures, failures)
        if backoff_until_wall is not None and backoff_until_wall > wall:
            self._backoff_until = now + (backoff_until_wall - wall)
            self._backoff_kind = kind or "backoff"
            self._backoff_reason = reason
        if last_call_wall is not None:
            self._restore_last_call(now - (wall - last_call_wall))

    def _restore_last_call(self, at: float) -> None:
        pass


class FixedPacer(Pacer):
    """The original module's pacing: at least ``pause_s`` between the starts of two calls."""

    def __init__(self, clock: Clock, pause_s: float = 10.0, backoff: Backoff | None = None):
        super().__init__(clock, backoff or Backoff())
        self.pause_s = pause_s
        self._last_start: float | None = None

    def _next_start(self, now: float, cost_tokens: int) -> tuple[float, str | None, str | None]:
        until, kind, reason = super()._next_start(now, cost_tokens)
        if self._last_start is not None:
            pause_end = self._last_start + self.pause_s
            if pause_end > until:
                return pause_end, "pause", f"Pausing {self.pause_s:g} s between calls"
        return until, kind, reason

    def _started(self, now: float, cost_tokens: int) -> None:
        self._last_start = now

    def eta_pacing(self) -> tuple[float, int]:
        return self.pause_s, 1

    def _forgive_pause(self) -> None:
        self._last_start = None

    def _restore_last_call(self, at: float) -> None:
        if self._last_start is None or at > self._last_start:
            self._last_start = at
