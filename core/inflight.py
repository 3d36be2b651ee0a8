"""How many calls may be in flight at once: Little's law, and what the server tolerates.

To send ``rate`` calls a second when each takes ``latency`` seconds, about ``rate x latency``
calls must be open at any moment (Little's law). Real LLM calls take 3-30 s and vary a lot, so
the window is sized from a high quantile of the recent latencies, plus a margin, and follows
them as they change. A window too small caps throughput at window / latency whatever the quota;
one too large only costs idle connections, because the rate limiter still decides when each
call starts.

Some servers limit how many calls run at once rather than (or as well as) how many start per
minute: a LiteLLM key with ``max_parallel_requests``, a local server with one slot. Their 429s
arrive while we send below the rate, and slowing down does not stop them. Then the window is
capped just below the number of calls that were open, down to 1, and probes one higher only
after many calls without such a refusal, each failed probe doubling the wait for the next, so
probing costs well under 1% of the calls.
"""

from __future__ import annotations

import math
from collections import deque

SAMPLES = 30  # recent call durations the window is sized from
QUANTILE = 0.9  # of those durations: a call this slow must not leave the limiter waiting
MARGIN = 1.15  # on top of rate x latency, for latency jitter between samples
PROBE_AFTER_CALLS = 100  # successes at a concurrency cap before trying one more call at once
MAX_PROBE_AFTER = 6400


class InFlightWindow:
    def __init__(self, cap: int) -> None:
        self.cap = max(1, cap)
        self._durations: deque[float] = deque(maxlen=SAMPLES)
        self.limit: int | None = None  # the server's concurrency, as far as we learned it
        self._probe_after = PROBE_AFTER_CALLS
        self._ok_since_cut = 0
        self._probing = False  # the limit was raised by a probe that has not proven itself

    # ------------------------------------------------------------------ latency

    def add_duration(self, seconds: float) -> None:
        self._durations.append(max(0.0, seconds))

    def mean_latency(self) -> float | None:
        if not self._durations:
            return None
        return sum(self._durations) / len(self._durations)

    def high_latency(self) -> float | None:
        """The QUANTILE of recent durations (the largest while there are few)."""
        if not self._durations:
            return None
        ordered = sorted(self._durations)
        if len(ordered) < 10:
            return ordered[-1]
        return ordered[min(len(ordered) - 1, math.ceil(QUANTILE * len(ordered)) - 1)]

    # ------------------------------------------------------------------ the window

    def size(self, rate: float) -> int:
        """Calls allowed in flight at ``rate`` calls a second."""
        latency = self.high_latency()
        if latency is None:
            return 1  # nothing measured: one call tells us how long calls take
        wanted = math.ceil(rate * latency * MARGIN - 1e-9) + 1
        if self.limit is not None:
            wanted = min(wanted, self.limit)
        return max(1, min(self.cap, wanted))

    def wants_more_than_limit(self, rate: float) -> bool:
        latency = self.high_latency()
        if latency is None or self.limit is None:
            return False
        return math.ceil(rate * latency * MARGIN - 1e-9) + 1 > self.limit

    def on_success(self, rate: float) -> None:
        if self.limit is None:
            return
        self._ok_since_cut += 1
        if self._probing and self._ok_since_cut >= PROBE_AFTER_CALLS:
            # the probe held: it is the new limit, and the next probe comes at the usual pace
            self._probing = False
            self._probe_after = PROBE_AFTER_CALLS
        if (
            not self._probing
            and self._ok_since_cut >= self._probe_after
            and self.limit < self.cap
            and self.wants_more_than_limit(rate)
        ):
            self.limit += 1
            self._probing = True
            self._ok_since_cut = 0

    def on_concurrency_refused(self, open_calls: int) -> None:
        """The server refused a call while ``open_calls`` were open (this one included)."""
        if self._probing:
            # the probe found the limit: wait twice as long before the next one
            self._probe_after = min(MAX_PROBE_AFTER, self._probe_after * 2)
            self._probing = False
        self.limit = max(1, min(open_calls - 1, self.limit if self.limit is not None else 10**9))
        self._ok_since_cut = 0
