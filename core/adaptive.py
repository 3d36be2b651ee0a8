"""Adaptive pacing: use a provider's quota almost fully without being throttled.

Two GCRA limiters (requests and tokens, each with a burst of about one second of capacity)
decide when the next call may start. Their rates come from the provider's ``x-ratelimit-*``
headers when it sends them (OpenAI, vLLM gateways); otherwise the request rate is probed the way
botocore's adaptive retry mode does it: start low, multiply by 0.7 on a throttle, ramp back on a
cubic curve. botocore's cubic uses fixed constants in calls per second, which at LLM rates (a few
calls a second or less) probes above the limit every few seconds; here the cubic's time scale is
stretched with the rate so a probe costs at most about one throttled call per few hundred.

Several calls may be in flight: rate x latency by Little's law, sized and cut as
:mod:`core.inflight` explains; the worker still starts jobs in queue order because waiters are
served first come, first served. Token costs are estimated as :mod:`core.token_estimate` says,
and a tokens limit is learned from headers or, failing those, from throttles that name tokens.
Calls cost hundreds of tokens, so a per-minute tokens window holds a whole number of them: the
pace sends as many whole calls a minute as fit (by the announced limit, or without headers the
most a refused window was seen to hold), with the margin taken in time, not in calls: they are
spread over a little more than the minute. Behind a LiteLLM proxy, whose window must hold
each running call's booking of its max_tokens, a copy of the key's window
(:mod:`core.litellm_window`) holds back a call LiteLLM would refuse.
"""

from __future__ import annotations

import asyncio
import bisect
import math
import re
from collections import deque
from collections.abc import Mapping

from core.clock import Clock
from core.errors import JobError
from core.inflight import InFlightWindow
from core.litellm_window import LiteLLMWindow
from core.pacing import TIME_EPSILON, Backoff, Pacer, _secs
from core.ratelimit_headers import RateLimits, parse_rate_limits
from core.token_estimate import TokenEstimate

BURST_S = 1.0  # burst allowance of each limiter, in seconds of its rate
TARGET_SHARE = 0.97  # of a limit the provider announced: the rest absorbs timing jitter
BETA = 0.7  # the rate is multiplied by this on a throttle (as botocore)
START_RATE = 1 / 3  # calls per second before anything is known: 20 a minute
MIN_RATE = 1 / 60  # never slower than one call a minute from the rate alone
SLOW_START_DOUBLING_S = 10.0  # before the first throttle the rate doubles this often
MEASURE_S = 10.0  # window of the measured send rate
MEASURE_CALLS = 20  # ... or of this many calls, whichever is longer
HISTORY_S = 120.0  # how far back call starts are kept to estimate a limit after a throttle

# After a throttle: the cubic climbs back from 0.7 x W to the plateau (PLATEAU x W) in
# RECOVERY time, then probes above it, gaining PROBE_GAIN x W after PROBE time. Both are at
# least so many seconds and so many calls at rate W, so that the throttles a probe costs
# stay well under 1% of the calls however slow or fast the provider is.
PLATEAU = 0.97
RECOVERY_S, RECOVERY_CALLS = 5.0, 15.0
PROBE_S, PROBE_CALLS = 240.0, 300.0
PROBE_GAIN = 0.06
PROBE_COST_SHARE = 25.0  # probe no more often than 25 x the Retry-After a throttle costs
MAX_PROBE_S = 900.0  # ... but at least every quarter of an hour, to find a raised limit

# error kinds that mean "too many requests" (see core.analyzers.provider_errors)
THROTTLE_KINDS = frozenset({"rate_limited", "throttled", "rate_limit"})
# A throttle is answered by the rate alone; this many throttles in a row with no success
# between them mean the rate is not the problem, and the usual backoff starts.
BACKOFF_AFTER_THROTTLES = 3
REFUSED_HOLD_S = 2.0  # the first hold after that many refusals in a row; it doubles
MAX_HOLD_S = 60.0  # longest wait for a quota the server says is used up
# Words in a 429's message that say which limit was hit (OpenAI: "... on tokens per min (TPM)";
# LiteLLM: "... max parallel request limit reached", "... tpm limit ...").
CONCURRENCY_WORDS = ("parallel", "concurren", "simultaneous", "at once")
TOKEN_WORDS = ("token", "tpm")
LIMIT_TYPES = {"requests": "requests", "tokens": "tokens", "max_parallel_requests": "concurrency"}
# Without an announced limit, calls are allowed this many at once: enough for 600 calls a
# minute at 15 s each; the rate limiter, not this cap, decides when each starts.
DEFAULT_CAP = 256
# Whole calls that fit in a per-minute tokens window are spread over this much more than the
# minute (see _whole_calls_rate).
WINDOW_SLACK_S = 0.5
MAX_WINDOW_SLACK_S = 4.0  # ... doubled by each refusal at that pace (calls differ in size)
SLACK_CALM_S = 240.0  # ... and halved again after this long without a tokens refusal
# Without headers, the whole calls a tokens window holds are learned from refusals; after
# the probe's quiet time one call more a minute is tried, and kept once it went this long
# without a refusal (a window that cannot hold it refuses it within a minute).
CONFIRM_CALL_S = 120.0  # (no longer than HISTORY_S: the calls sent are counted)
WINDOW_EDGE_S = 0.05  # a call reaches the server a little after it starts
# A LiteLLM proxy counts its limits in windows of this length (LITELLM_RATE_LIMIT_WINDOW_SIZE).
GATEWAY_WINDOW_S = 60.0
# LiteLLM's 429 says what its window had left: "... Current limit: 6000, Remaining: 796. ..."
GATEWAY_REMAINING = re.compile(r"\bRemaining: (\d+)")


def _best_minute(unordered: deque[tuple[float, int]]) -> float:
    """The largest total of ``(time, amount)`` events within 60 s."""
    events = sorted(unordered)
    best = total = 0.0
    first = 0
    for last in range(len(events)):
        total += events[last][1]
        while events[last][0] - events[first][0] > 60.0:
            total -= events[first][1]
            first += 1
        best = max(best, total)
    return best


class Gcra:
    """Generic cell rate algorithm: ``rate`` units a second, a burst of ``burst_s`` of them.

    ``tat`` is the theoretical arrival time: when the limiter would be empty again if nothing
    else were sent. A cost may start once it fits within the burst tolerance; a single cost
    larger than the burst waits until the limiter is empty and then goes into debt.
    """

    def __init__(self, rate: float, burst_s: float = BURST_S, *, lumpy: bool = False) -> None:
        self.rate = rate
        self.burst_s = burst_s
        self.tat = -math.inf
        # Token costs are lumpy (hundreds at a time): waiting until the limiter is empty loses
        # whatever the worker is late by, every call, so such a cost may start up to one burst
        # early; a late call is made up by the next.
        self.lumpy = lumpy
        # Whole calls spread over a window with a time margin: a head start larger than the
        # margin would put one call more in a window (see AdaptivePacer._whole_calls_rate).
        self.max_head_start = math.inf

    def earliest(self, now: float, cost: float = 1.0) -> float:
        if self.rate <= 0 or self.tat == -math.inf:
            return now
        spacing = cost / self.rate
        head_start = max(0.0, self.burst_s - spacing)
        if self.lumpy:
            head_start = max(head_start, min(self.burst_s, spacing))
        return max(now, self.tat - min(head_start, self.max_head_start))

    def take(self, now: float, cost: float = 1.0) -> None:
        if self.rate > 0:
            self.tat = max(self.tat, now) + cost / self.rate

    def correct(self, now: float, delta: float) -> None:
        """Add (or refund, if negative) ``delta`` units to what was already taken."""
        if self.rate > 0 and self.tat > now - self.burst_s:
            self.tat += delta / self.rate

    def set_rate(self, now: float, rate: float) -> None:
        """Change the rate, keeping the debt in units (not in seconds)."""
        if rate <= 0 or rate == self.rate:
            return
        if self.tat > now:
            self.tat = now + (self.tat - now) * self.rate / rate
        self.rate = rate

    def forgive(self, now: float) -> None:
        """Retry now: the next cost may start at once."""
        self.tat = min(self.tat, now)


class RateProbe:
    """The request rate to aim for when the limit is unknown or was exceeded anyway."""

    def __init__(self, now: float, start_rate: float = START_RATE) -> None:
        self.start_rate = start_rate
        self.started = now
        self.w_max: float | None = None  # the rate at the last throttle
        self.last_throttle: float | None = None
        # A probe above the plateau costs one throttle; when the server answers throttles with
        # a long Retry-After (LiteLLM: the whole minute) probes are spaced so that the waits
        # cost at most about 1/PROBE_COST_SHARE of the time.
        self.probe_s = PROBE_S

    def rate(self, now: float) -> float:
        if self.w_max is None or self.last_throttle is None:
            doublings = min(30.0, (now - self.started) / SLOW_START_DOUBLING_S)
            return self.start_rate * 2.0**doublings
        w = self.w_max
        dt = now - self.last_throttle
        plateau = PLATEAU * w
        recovery = max(RECOVERY_S, RECOVERY_CALLS / w)
        if dt < recovery:
            # concave cubic from BETA x W up to the plateau, flat as it arrives there
            return plateau - (plateau - BETA * w) * ((recovery - dt) / recovery) ** 3
        probe = max(self.probe_s, PROBE_CALLS / w)
        # convex cubic: stays near the plateau for long, then looks for more room
        return plateau + PROBE_GAIN * w * ((dt - recovery) / probe) ** 3

    def throttled(self, now: float, rate_at_throttle: float, wait_s: float = 0.0) -> None:
        self.w_max = max(MIN_RATE, rate_at_throttle)
        self.last_throttle = now
        self.probe_s = max(PROBE_S, min(MAX_PROBE_S, wait_s * PROBE_COST_SHARE))

    def recovering(self, now: float) -> bool:
        """True while the rate is still below its plateau after a throttle."""
        if self.w_max is None or self.last_throttle is None:
            return False
        return now - self.last_throttle < max(RECOVERY_S, RECOVERY_CALLS / self.w_max)

    def floor(self) -> float:
        """A rate known to be fine: used when there is no demand to measure growth by."""
        return PLATEAU * self.w_max if self.w_max is not None else self.start_rate


class AdaptivePacer(Pacer):
    """Request and token limiters whose rates follow the provider's headers or a probe."""

    def __init__(
        self,
        clock: Clock,
        *,
        backoff: Backoff | None = None,
        max_in_flight: int = DEFAULT_CAP,
        start_rate: float = START_RATE,
        target_share: float = TARGET_SHARE,
        max_output_tokens: int = 1024,
    ) -> None:
        super().__init__(clock, backoff or Backoff())
        now = clock.now()
        self.cap = max(1, max_in_flight)
        self.window = InFlightWindow(self.cap)
        self.estimate = TokenEstimate(max_output_tokens)
        self.target_share = target_share
        self.probe = RateProbe(now, start_rate)
        self.requests = Gcra(start_rate)
        # Only once a tokens limit is known: from headers, or learned from token throttles.
        self.tokens: Gcra | None = None
        # Calls (not tokens) a tokens window holds, spread over a little more than its
        # minute: only while the whole calls that fit in it are known (see _whole_calls_rate).
        self.window_calls: Gcra | None = None
        self.token_probe: RateProbe | None = None
        self._window_slack_s = WINDOW_SLACK_S
        self._slack_since = now  # when the slack last changed
        # Without headers: the whole calls a minute a tokens window was seen to hold (see
        # _learn_whole_calls), and since when.
        self._learned_calls: int | None = None
        self._learned_at = now
        self._learned_best = 0  # the most calls a minute that went unrefused
        self.limit_rpm: float | None = None
        self.limit_tpm: float | None = None
        # The tokens limit is a LiteLLM proxy's, which books max_tokens while a call runs
        # (see _charge); then its window is copied, and its bookings: (start, window, booking)
        self.books_max_tokens = False
        self.gateway: LiteLLMWindow | None = None
        self._bookings: list[tuple[float, float, int]] = []
        # acquire() is told a call's cost only; the worker asks token_cost() just before it
        self._priced: dict[int, int] = {}  # cost -> prompt characters
        self._starts: deque[float] = deque()  # call starts of the last HISTORY_S seconds
        self._token_starts: deque[tuple[float, int]] = deque()  # (start, tokens reserved)
        self._token_used: deque[tuple[float, int]] = deque()  # (answer, tokens it reported)
        # The calls open and the request rate at the last throttle: a throttle at the same
        # number of open calls after the rate was cut means the server counts calls at once.
        self._last_throttle: tuple[int, float] | None = None
        self._throttles: deque[float] = deque()  # when throttled answers came back
        self._open_calls: deque[float] = deque()  # starts of calls still running (FIFO)
        self._hold_until = 0.0
        self._hold_reason = ""
        self._throttles_in_a_row = 0
        self._pending_old = 0  # calls started before the last decrease, not finished yet
        self._sending_since: float | None = None  # the first call's start
        # A call started after the last slow-down succeeded: the next throttle is a new event.
        # Until then refusals are one event (a used-up window refuses until it ends, and
        # answers to calls sent before arrive for a whole latency): slowing down once is
        # enough, and the backoff handles the rest.
        self._slowed_at: float | None = None
        # After refusals in a row, one call tests whether the limit has refilled: a burst
        # into a window that is still used up would only collect more 429s.
        self._test_call_open = False
        self._counted_refusal: float | None = None  # when the last refusal in a row counted
        self._success_since_throttle = True
        # One waiter at a time computes its start: jobs start in the order they asked.
        self._turn = asyncio.Lock()

    # ------------------------------------------------------------------ rates

    def _forget(self, now: float) -> None:
        for times in (self._starts, self._throttles):
            while times and times[0] < now - HISTORY_S:
                times.popleft()
        for pairs in (self._token_starts, self._token_used):
            while pairs and pairs[0][0] < now - HISTORY_S:
                pairs.popleft()

    @property
    def latency(self) -> float | None:
        """Mean seconds per successful call, over the recent ones."""
        return self.window.mean_latency()

    def token_cost(self, prompt_chars: int) -> int:
        expected = self.estimate.cost(prompt_chars)
        cost = self._charge(prompt_chars, expected, self.latency or 0.0)
        self._priced[cost] = prompt_chars
        if len(self._priced) > 64:  # only the calls about to start matter
            del self._priced[next(iter(self._priced))]
        return cost

    def _gateway_booking(self, cost_tokens: int) -> int:
        prompt_chars = self._priced.get(cost_tokens)
        if prompt_chars is None:  # priced elsewhere: its prompt is about what the cost says
            prompt_chars = round(
                max(0, cost_tokens - self.estimate.expected_output())
                * self.estimate.chars_per_token
            )
        return self.estimate.gateway_booking(prompt_chars)

    def _charge(self, prompt_chars: int, used: int, seconds: float) -> int:
        """What a call of ``used`` tokens taking ``seconds`` costs against the tokens limit.

        Usage, except behind a LiteLLM proxy: it books a call at prompt/4 + max_tokens while
        the call runs and settles to the usage when it ends, and its window must hold the
        booking when the call is admitted. So a running call holds room it will not use, for
        the share of the window it runs: charged on top of its usage, so the pace is one its
        window can hold (the copy of that window, LiteLLMWindow, holds back what still would
        not fit; without either, 0.56-0.72 of what its booking allows was used, each refusal
        costing a Retry-After of the whole window).
        """
        if not self.books_max_tokens or used <= 0:
            return used
        held = max(0, self.estimate.gateway_booking(prompt_chars) - used)
        return used + math.ceil(held * min(1.0, max(0.0, seconds) / GATEWAY_WINDOW_S))

    def measured_token_rate(self, now: float) -> float:
        """Tokens reserved per second lately (see measured_rate)."""
        self._forget(now)
        span = MEASURE_S  # or MEASURE_CALLS calls' worth, as for the request rate
        if len(self._token_starts) > MEASURE_CALLS:
            span = max(span, min(60.0, now - self._token_starts[-MEASURE_CALLS][0]))
        recent = [(t, c) for t, c in self._token_starts if t >= now - span]
        if not recent:
            return 0.0
        return sum(c for _, c in recent) / min(span, max(1.0, now - recent[0][0]))

    def measured_rate(self, now: float) -> float:
        """Calls started per second over the last MEASURE_S seconds, or over the last
        MEASURE_CALLS calls if that is longer (up to a minute): at 30 calls a minute ten
        seconds hold five calls, too few to judge a rate by."""
        self._forget(now)
        span = MEASURE_S
        if len(self._starts) > MEASURE_CALLS:
            span = max(span, min(60.0, now - self._starts[-MEASURE_CALLS]))
        recent = len(self._starts) - bisect.bisect_left(self._starts, now - span)
        if not recent:
            return 0.0
        first = self._starts[len(self._starts) - recent]
        return recent / min(span, max(1.0, now - first))

    def accepted_last_minute(self, now: float) -> int:
        """Calls started in the last minute that were not refused."""
        self._forget(now)
        started = len(self._starts) - bisect.bisect_left(self._starts, now - 60.0)
        refused = len(self._throttles) - bisect.bisect_left(self._throttles, now - 60.0)
        return max(0, started - refused)

    def estimated_limit(self, now: float) -> float | None:
        """The provider's rate, judged from the calls that led to a throttle.

        A limiter with a burst of B seconds refuses a call only when, for some earlier moment
        t, more than rate x (now - t + B) calls got through since t. So the largest
        accepted(t..now) / (now - t + B) over the recent calls is a tight upper estimate of
        its rate; it does not depend on how fast we were climbing when the refusal came.
        """
        self._forget(now)
        best: float | None = None
        throttled = len(self._throttles)
        t_index = 0
        for i, start in enumerate(self._starts):
            while t_index < throttled and self._throttles[t_index] < start:
                t_index += 1
            accepted = (len(self._starts) - i) - (throttled - t_index)
            # + 1: the refused call is the one that did not fit, so this bounds the rate from
            # above; PLATEAU keeps the rate we return to safely under it.
            estimate = (accepted + 1.0) / (now - start + BURST_S)
            if best is None or estimate > best:
                best = estimate
        return best

    def target_rate(self, now: float) -> float:
        """Calls per second the request limiter allows now."""
        probe = self.probe.rate(now)
        if self.limit_rpm is not None:
            ceiling = self.target_share * self.limit_rpm / 60.0
            if self.probe.w_max is None or probe >= ceiling:
                # the announced limit rules; a throttle long recovered from is forgotten
                self.probe.w_max = None
                return max(MIN_RATE, ceiling)
            return max(MIN_RATE, min(probe, ceiling))
        # Grow only with demand (botocore: at most twice the measured rate), so a quiet
        # hour does not turn into a burst far above anything ever tried.
        demand = max(self.probe.floor(), 2.0 * self.measured_rate(now))
        return max(MIN_RATE, min(probe, demand))

    def _refresh(self, now: float) -> float:
        rate = self.target_rate(now)
        self.requests.set_rate(now, rate)
        if now - self._slack_since >= SLACK_CALM_S and self._window_slack_s > WINDOW_SLACK_S:
            # the refusals that widened it are long past: spread the calls closer again
            self._window_slack_s = max(WINDOW_SLACK_S, self._window_slack_s / 2.0)
            self._slack_since = now
        if self.tokens is not None and self.token_probe is not None:
            self.tokens.set_rate(now, self._token_target(now))
        calls = self._whole_calls_rate(now)
        if calls is None:
            self.window_calls = None
        else:
            if self.window_calls is None:
                self.window_calls = Gcra(calls)
            self.window_calls.set_rate(now, calls)
            # a call that starts early after a late one must not eat the margin in time
            self.window_calls.max_head_start = self._window_slack_s / 2.0
        return rate

    def _token_target(self, now: float) -> float:
        """Tokens per second allowed now, when the limit was learned from throttles."""
        assert self.token_probe is not None
        if self.limit_tpm is None:
            calls = self._whole_calls_now(now)
            if calls is not None and self._token_used:
                # the calls limiter spreads them; this holds back calls larger than lately
                largest = max(used for _, used in list(self._token_used)[-MEASURE_CALLS:])
                return max(1.0, calls * largest / 60.0)
        rate = self.token_probe.rate(now)
        if self.limit_tpm is not None:
            rate = min(rate, self._announced_token_rate())
        return max(1.0, rate)

    def _announced_token_rate(self) -> float:
        """Tokens per second to send at under the tokens limit the server announced:
        TARGET_SHARE of it (the calls limiter sends no more whole calls than fit in it)."""
        assert self.limit_tpm is not None
        return self.target_share * self.limit_tpm / 60.0

    def _calls_that_fit(self, tokens: float) -> int | None:
        """How many calls of the recent sizes surely fit in ``tokens``: of the mean size, with
        room for one of them to be the largest (documents differ in length)."""
        recent = [used for _, used in list(self._token_used)[-MEASURE_CALLS:]]
        if not recent:
            return None
        mean = sum(recent) / len(recent)
        fit = math.floor((tokens - (max(recent) - mean)) / mean)
        return fit if fit >= 1 else None

    def _per_call(self) -> float:
        """Tokens a recent call used, on average."""
        recent = [used for _, used in list(self._token_used)[-MEASURE_CALLS:]]
        return sum(recent) / len(recent) if recent else 0.0

    def _whole_calls_rate(self, now: float) -> float | None:
        """Calls per second that send the whole calls a tokens window holds each minute,
        spread so that no window of a minute opened by one of them can hold one more.

        A per-minute window that opens with a call holds every call that starts within the
        next 60 s: at 19.1 calls of 305 tokens a minute nearly every window gets a 20th, and
        20 x 305 is over 6000 (measured: a refusal a minute at 0.97 of 6000). 19 calls must
        span a little more than the minute: WINDOW_SLACK_S, for a call that starts a little
        early after a late one, and more after each refusal at this pace. The calls are
        counted, not their tokens: spaced by tokens, a run of short documents came closer
        together and put a 20th call in a window. None: no such count is known, or the
        limit is a LiteLLM proxy's (the copy of its window says what fits).
        """
        if self.gateway is not None:
            return None
        if self.limit_tpm is not None:
            calls = self._calls_that_fit(self.limit_tpm)
        else:
            calls = self._whole_calls_now(now) if self._token_used else None
        if calls is None:
            return None
        return calls / (60.0 + self._window_slack_s)

    def _whole_calls_bind(self, now: float) -> bool:
        """The calls limiter is slower than the tokens limit allows: it sets the pace."""
        calls = self._whole_calls_rate(now)
        if calls is None or self.limit_tpm is None:
            return calls is not None
        return calls * self._per_call() < self.target_share * self.limit_tpm / 60.0

    def _whole_calls_now(self, now: float) -> int | None:
        """Whole calls a minute to send at under a tokens limit learned from refusals.

        The most a window was seen to hold, not a share of it: the margin is in time (the
        calls are spread over a little more than the minute), so that a window holds them
        all. After a quiet while one call more is tried; a window that cannot hold it refuses
        it within a minute (see _learn_whole_calls), and it is kept once it went
        CONFIRM_CALL_S without a refusal, sent at that pace. A count below one that went
        unrefused before is tried again sooner.
        """
        calls = self._learned_calls
        if calls is None or self.token_probe is None:
            return calls
        # as the probe of a rate: one refusal per PROBE_CALLS calls at most, however soon
        # after slow start the count was learned
        climb = CONFIRM_CALL_S if calls < self._learned_best else max(
            self.token_probe.probe_s, PROBE_CALLS * 60.0 / calls)
        waited = now - self._learned_at
        if waited < climb:
            return calls
        if waited >= climb + CONFIRM_CALL_S:
            self._forget(now)
            since = now - CONFIRM_CALL_S
            sent = len(self._starts) - bisect.bisect_left(self._starts, since)
            refused = len(self._throttles) - bisect.bisect_left(self._throttles, since)
            if refused == 0 and sent >= 0.9 * (calls + 1) * CONFIRM_CALL_S / 60.0:
                # sent at one call more for a few windows, none refused: it fits
                self._learned_calls = calls = calls + 1
                self._learned_best = max(self._learned_best, calls)
                self._learned_at = now
                return calls
        return calls + 1

    def _learn_whole_calls(self, now: float, started: float | None) -> None:
        """A tokens refusal without an announced limit: how many whole calls a window holds.

        The refused call's window began at most a minute before it, so it held at most the
        calls accepted in that minute: with fewer than the pace sends, that many fit (and
        never fewer than BETA of the pace, as a window shared with someone else may hold few
        of ours). With as many or more, the count fits and the calls came too close (one
        late, the next early): they are spread wider instead. Trying one call more, a
        refusal says it did not fit: back one call.
        """
        # Its own start: the latest at or before the one the worker read just after acquire
        # (a little later: counted as one before it, every refusal looked like a timing one).
        own = bisect.bisect_right(
            self._starts, (started if started is not None else now) + TIME_EPSILON) - 1
        at = self._starts[own] if own >= 0 else now
        since = at - 60.0 - WINDOW_EDGE_S
        sent = max(0, own - bisect.bisect_left(self._starts, since))  # calls started before it
        refused = sum(1 for t in self._throttles if since <= t < at)
        held = max(0, sent - refused)
        trying = self._whole_calls_now(now)
        if trying is None or self._learned_calls is None:
            calls = self._learned_best = max(1, held)
        elif trying > self._learned_calls:
            # one call more did not fit: back to the count that did, and not tried again soon
            calls = self._learned_calls
            self._learned_best = min(self._learned_best, calls)
        elif held >= trying:
            calls = self._learned_calls
            self._window_slack_s = min(MAX_WINDOW_SLACK_S, 2.0 * self._window_slack_s)
            self._slack_since = now
        else:
            calls = max(1, min(trying - 1, held), math.floor(BETA * trying))
        self._learned_calls = calls
        self._learned_best = max(self._learned_best, calls)
        self._learned_at = now

    @property
    def max_in_flight(self) -> int:
        return self.window.size(self.target_rate(self.clock.now()))

    def eta_pacing(self) -> tuple[float, int]:
        rate = self.target_rate(self.clock.now())
        return (1.0 / rate if rate > 0 else 0.0), self.max_in_flight

    # ------------------------------------------------------------------ waiting

    async def acquire(self, cost_tokens: int = 0) -> None:
        async with self._turn:
            await super().acquire(cost_tokens)

    def _next_start(self, now: float, cost_tokens: int) -> tuple[float, str | None, str | None]:
        until, kind, reason = super()._next_start(now, cost_tokens)
        rate = self._refresh(now)
        candidates: list[tuple[float, str | None, str | None]] = [(until, kind, reason)]
        if self._hold_until > now:
            candidates.append((self._hold_until, "throttle", self._hold_reason))
        if self._test_call_open:
            # After refusals in a row one call goes first; the rest follow its answer (the
            # wait is re-judged when it comes, see _test_call_answered).
            candidates.append((now + (self.latency or 5.0), "throttle",
                               "Waiting for one call to get through before sending more"))
        at = self.requests.earliest(now)
        if at > now + TIME_EPSILON:
            candidates.append((at, "throttle", self._rate_reason(now, rate)))
        if self.tokens is not None and cost_tokens > 0:
            at = self.tokens.earliest(now, cost_tokens)
            if at > now + TIME_EPSILON:
                candidates.append((at, "throttle", self._token_reason()))
        if self.window_calls is not None and cost_tokens > 0:
            at = self.window_calls.earliest(now)
            if at > now + TIME_EPSILON:
                candidates.append((at, "throttle", self._window_calls_reason()))
        if self.gateway is not None and cost_tokens > 0:
            at = self.gateway.earliest(now, self._gateway_booking(cost_tokens))
            if at > now + TIME_EPSILON:
                candidates.append((at, "throttle", (
                    "Waiting for the LiteLLM key's next tokens window: this call's booking "
                    "(its prompt and max_tokens) does not fit in what is left of this one")))
        return max(candidates, key=lambda c: c[0])

    def _rate_reason(self, now: float, rate: float) -> str:
        per_min = rate * 60.0
        if self.probe.recovering(now):
            return (
                f"Slowed to {per_min:.0f} calls/min after the provider answered 'too many requests'"
            )
        if self.limit_rpm is not None:
            return (
                f"Sending at {per_min:.0f} calls/min to stay under the provider's limit "
                f"of {self.limit_rpm:.0f}/min"
            )
        if self.probe.w_max is None:
            return f"Sending at {per_min:.0f} calls/min while finding the provider's limit"
        return f"Sending at {per_min:.0f} calls/min to stay under the provider's limit"

    def _token_reason(self) -> str:
        assert self.tokens is not None
        per_min = self.tokens.rate * 60
        if self.limit_tpm is None:
            return (
                f"Sending at most {per_min:.0f} tokens/min after the provider answered "
                "'too many tokens'"
            )
        return (
            f"Sending at most {per_min:.0f} tokens/min to stay under the "
            f"provider's limit of {self.limit_tpm:.0f}/min"
        )

    def _window_calls_reason(self) -> str:
        assert self.window_calls is not None
        calls = self.window_calls.rate * (60.0 + self._window_slack_s)
        limit = (f"the provider's limit of {self.limit_tpm:.0f} tokens/min"
                 if self.limit_tpm is not None else "the provider's tokens limit")
        return f"Sending {calls:.0f} calls a minute: as many as fit in {limit}"

    def _started(self, now: float, cost_tokens: int) -> None:
        if self._throttles_in_a_row >= BACKOFF_AFTER_THROTTLES:
            self._test_call_open = True
        self._refresh(now)
        self.requests.take(now)
        if self.tokens is not None and cost_tokens > 0:
            self.tokens.take(now, cost_tokens)
        if self.window_calls is not None and cost_tokens > 0:
            self.window_calls.take(now)
        if self.gateway is not None and cost_tokens > 0:
            booking = self._gateway_booking(cost_tokens)
            self._bookings.append((now, self.gateway.book(now, booking), booking))
        if cost_tokens > 0:
            self._token_starts.append((now, cost_tokens))
        if self._sending_since is None:
            self._sending_since = now
        self._starts.append(now)
        self._open_calls.append(now)

    def _forgive_pause(self) -> None:
        now = self.clock.now()
        self.requests.forgive(now)
        if self.tokens is not None:
            self.tokens.forgive(now)
        if self.window_calls is not None:
            self.window_calls.forgive(now)
        self._hold_until = 0.0

    # ------------------------------------------------------------------ outcomes

    def _finished(self, started: float | None) -> float | None:
        """Bookkeeping shared by every outcome; returns the call's duration if known."""
        if self._test_call_open:
            self._test_call_open = False
            self._wake.set()  # the calls held behind the test call look again
        now = self.clock.now()
        if self._pending_old > 0:
            self._pending_old -= 1
        if not self._open_calls:
            return None if started is None else now - started
        if started is not None:
            # The caller knows when its call started: take exactly that start off the list.
            # (the latest start at or before the one the caller read just after acquire)
            at = bisect.bisect_right(self._open_calls, started + TIME_EPSILON) - 1
            del self._open_calls[max(0, at)]
            return now - started
        # Otherwise calls are matched to starts first in, first out: single durations may be
        # off when calls overtake each other, but their sum (and so the mean) is exact.
        return now - self._open_calls.popleft()

    def _settle_booking(self, started: float | None, used: int) -> None:
        """Our copy of LiteLLM's window: the call's booking becomes its usage (0: refused)."""
        if not self._bookings:
            return
        at = 0  # without a start: first in, first out
        if started is not None:
            starts = [start for start, _, _ in self._bookings]
            at = max(0, bisect.bisect_right(starts, started + TIME_EPSILON) - 1)
        _, window, booking = self._bookings.pop(at)
        if self.gateway is not None:
            self.gateway.settle(self.clock.now(), window, booking, used)
            if used < booking:
                self._wake.set()  # room came back: a call held for the next window may fit

    def _sent_before_slowdown(self, started: float | None) -> bool:
        """An answer to a call sent before the last slow-down: no news about the new rate."""
        if started is not None:
            return self._slowed_at is not None and started < self._slowed_at
        return self._pending_old > 0

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
        super().on_success(headers, cost_tokens=cost_tokens)
        now = self.clock.now()
        call_start = started
        duration = self._finished(started)
        if duration is not None:
            self.window.add_duration(duration)
        self.window.on_success(self.target_rate(now))
        self._throttles_in_a_row = 0
        started = now - duration if duration is not None else now
        if self._slowed_at is None or started >= self._slowed_at:
            self._success_since_throttle = True
        copying = self.gateway is not None
        self._apply_limits(now, parse_rate_limits(headers))
        self.estimate.learn(prompt_chars, prompt_tokens, completion_tokens)
        if self.gateway is not None and not copying:
            # The first answer says the limit is LiteLLM's: its window opened with our first
            # call and holds this one's usage and the bookings of the calls still running.
            self.gateway.start = self._sending_since
            self.gateway.booked = prompt_tokens + completion_tokens + len(
                self._open_calls) * self.estimate.gateway_booking(prompt_chars)
        self._settle_booking(call_start, prompt_tokens + completion_tokens)
        used = self._charge(prompt_chars, prompt_tokens + completion_tokens, duration or 0.0)
        if used > 0:
            # by start: when the server counted it, which is what its windows are made of
            self._token_used.append((started if started is not None else now, used))
        if used > 0 and cost_tokens > 0:
            # the reservation was an estimate: charge what the provider reported instead
            if self.tokens is not None:
                self.tokens.correct(now, used - cost_tokens)
            for i in range(len(self._token_starts) - 1, -1, -1):
                start, reserved = self._token_starts[i]
                if reserved == cost_tokens:
                    self._token_starts[i] = (start, used)
                    break

    def release_unused(self) -> None:
        super().release_unused()
        # The slot's call never ran (or was abandoned): it must not count as a latency sample.
        if self._open_calls:
            self._open_calls.pop()

    def on_failure(
        self, error: JobError | None, *, retryable: bool = True, started: float | None = None
    ) -> float:
        open_calls = self.in_flight  # this call included: it is still counted here
        self.in_flight = max(0, self.in_flight - 1)
        now = self.clock.now()
        answers_an_old_call = self._sent_before_slowdown(started)
        self._finished(started)
        # refused or failed: LiteLLM keeps none of it booked (it refunds a failed call's booking)
        self._settle_booking(started, 0)
        limits = RateLimits()
        if error is not None:
            limits = parse_rate_limits(getattr(error, "headers", None))
            self._apply_limits(now, limits)
        if not retryable:
            self.backoff.reset()
            return 0.0
        if error is None or error.kind not in THROTTLE_KINDS:
            return self._back_off(error)  # a server error or a timeout: the usual backoff
        self._throttles.append(now)
        what = self._throttled_on(error, limits, open_calls, now)
        if what == "tokens" and self.gateway is not None:
            return self._gateway_refused(now, error)
        if not answers_an_old_call and self._success_since_throttle:
            # A new throttle event (not one more answer to calls sent before the last
            # decrease): slow down on the limit it was about.
            wait = error.retry_after or 0.0
            if what == "concurrency":
                self.window.on_concurrency_refused(open_calls)
            elif what == "tokens":
                self._slow_tokens(now, wait, started)
            else:
                self._slow_requests(now, wait)
            self._last_throttle = (open_calls, self.target_rate(now))
            self._refresh(now)
            self._pending_old = self.in_flight
            self._success_since_throttle = False
            self._slowed_at = now
            self._wake.set()
        if not answers_an_old_call and (
            started is None or self._counted_refusal is None or started > self._counted_refusal
        ):
            # One count per round: calls that were already on their way when the last
            # refusal was counted bring no news, and must not double the hold again.
            self._throttles_in_a_row += 1
            self._counted_refusal = now
        if what == "concurrency" and self._throttles_in_a_row < BACKOFF_AFTER_THROTTLES:
            # A slot frees when one of our own calls ends, and the window now waits for
            # that; the server's Retry-After (LiteLLM: its whole minute) would idle the queue.
            return 0.0
        if error.retry_after is not None:
            return self._back_off(error)
        if self._throttles_in_a_row >= BACKOFF_AFTER_THROTTLES:
            # Slowing down did not stop the refusals: a per-minute window is used up and
            # refuses everything until it ends, usually within seconds. A short hold that
            # doubles finds its end; the 15 s backoff for failures would idle the queue.
            hold = min(self.backoff.cap, REFUSED_HOLD_S * 2.0 ** (
                self._throttles_in_a_row - BACKOFF_AFTER_THROTTLES))
            self._hold_until = max(self._hold_until, now + hold)
            self._hold_reason = (
                f"The provider refused {self._throttles_in_a_row} calls in a row; waiting "
                f"{_secs(hold)} for its limit to refill"
            )
            return hold
        return 0.0

    def _gateway_refused(self, now: float, error: JobError) -> float:
        """LiteLLM refused a call for tokens though our copy of its window said it fits.

        Its Retry-After is always its whole window, whatever is left of it: the copy, told
        what LiteLLM said was left, knows better when the next window opens. The rate stays:
        the pace was not too fast, this window was fuller than the copy knew.
        """
        assert self.gateway is not None
        said = GATEWAY_REMAINING.search(error.message)
        self.gateway.refused(now, float(said.group(1)) if said else None)
        hold = max(0.0, self.gateway.next_window() - now)
        if now + hold > self._hold_until:
            self._hold_until = now + hold
            self._hold_reason = (
                f"The LiteLLM key's tokens window is full; waiting {_secs(hold)} for the next one"
            )
        self._wake.set()
        return hold

    def _throttled_on(
        self, error: JobError, limits: RateLimits, open_calls: int, now: float
    ) -> str:
        """Which limit a 429 was about: "concurrency", "tokens" or "requests"."""
        said = {k.lower(): v for k, v in error.headers.items()}.get("rate_limit_type", "")
        named = LIMIT_TYPES.get(said.strip().lower())  # LiteLLM names the limit it applied
        if named is not None:
            return named
        text = error.message.lower()
        if any(word in text for word in CONCURRENCY_WORDS):
            return "concurrency"
        if any(word in text for word in TOKEN_WORDS) or (
            limits.remaining_tokens is not None and limits.remaining_tokens < 1
        ):
            return "tokens"
        if limits.remaining_requests is not None and limits.remaining_requests >= 2 and (
            limits.remaining_tokens is None or limits.remaining_tokens >= self.estimate.cost(0)
        ):
            return "concurrency"  # quota left, and still refused: calls at once are counted
        if (
            self._last_throttle is not None
            and open_calls >= 2
            and open_calls >= self._last_throttle[0]
            and self.target_rate(now) < self._last_throttle[1]
        ):
            return "concurrency"  # slowing down did not help at this many calls at once
        return "requests"

    def _slow_requests(self, now: float, wait_s: float = 0.0) -> None:
        # BETA times the provider's rate as well as we can judge it, and never more than
        # we were actually sending at.
        measured = self.measured_rate(now)
        current = self.target_rate(now)
        sent_at = min(current, measured) if measured > 0 else current
        estimate = self.estimated_limit(now) or sent_at
        if self._sending_since is not None and now - self._sending_since >= 60.0:
            # A per-minute window (LiteLLM) lets a burst through and then refuses everything
            # until the minute ends, which fools the estimate above; what it accepted in the
            # last minute bounds its limit from above, and is the limit once we sent above it
            # for a whole minute.
            estimate = min(estimate, max(self.accepted_last_minute(now) / 60.0, MIN_RATE))
        self.probe.throttled(now, min(sent_at, estimate), wait_s)

    def _slow_tokens(
        self, now: float, wait_s: float = 0.0, started: float | None = None
    ) -> None:
        if self.limit_tpm is None and self._token_used:
            # (first: the count being tried is the one before the probe below is reset)
            self._learn_whole_calls(now, started)
        measured = self.measured_token_rate(now)
        self._forget(now)
        # The tokens the server let through in its best recent minute (by the usage answers
        # reported): a per-minute window allowed at least that, and a refusal says it does
        # not allow much more. The last minute alone may hold waits and refusals.
        accepted = _best_minute(self._token_used) / 60.0
        if self._sending_since is not None and now - self._sending_since >= 60.0 and accepted:
            measured = min(measured, accepted) if measured > 0 else accepted
        if measured <= 0:
            self._slow_requests(now, wait_s)  # no token use to judge by: slow the calls
            return
        if self.limit_tpm is not None:
            # The server said its limit, and we paced under it: the refusal is about where
            # calls fell in its window, not about the limit. Dip and come back to the pace
            # the limit allows; cutting to 0.97 of the 0.97 we sent at would cost 3% for the
            # quarter of an hour a probe takes to climb back (measured: 0.94 of the limit).
            measured = max(measured, self.limit_tpm / 60.0)
            if self._whole_calls_bind(now):  # at the whole-calls pace: spread them wider
                self._window_slack_s = min(MAX_WINDOW_SLACK_S, 2.0 * self._window_slack_s)
                self._slack_since = now
        if self.token_probe is None:
            self.token_probe = RateProbe(now, measured)
        self.token_probe.throttled(now, measured, wait_s)
        if self._token_used:
            # The probe's pace counts calls, not tokens: PROBE_CALLS calls' worth of tokens.
            per_call = sum(used for _, used in self._token_used) / len(self._token_used)
            probe = self.token_probe
            probe.probe_s = max(probe.probe_s, PROBE_CALLS * per_call / max(measured, 1e-9))
        if self.tokens is None:
            # learned from refusals, with no margin to spare: no head start
            self.tokens = Gcra(self._token_target(now))

    def _apply_limits(self, now: float, limits: RateLimits) -> None:
        if limits.empty:
            return
        if limits.limit_requests and limits.limit_requests > 0:
            self.limit_rpm = limits.limit_requests
        if limits.limit_tokens and limits.limit_tokens > 0:
            self.limit_tpm = limits.limit_tokens
            self.books_max_tokens = bool(limits.books_max_tokens)
            if not self.books_max_tokens:
                self.gateway = None
            elif self.gateway is None:
                self.gateway = LiteLLMWindow(limits.limit_tokens, GATEWAY_WINDOW_S)
            else:
                self.gateway.limit = limits.limit_tokens
            rate = self._announced_token_rate()
            if self.tokens is None:
                self.tokens = Gcra(rate, lumpy=True)
            else:
                self.tokens.set_rate(now, rate)
                self.tokens.lumpy = True  # an announced limit leaves its 3% margin
        self._refresh(now)
        # A quota the server says is used up (someone else shares it, or our view drifted):
        # hold until it refills rather than collect a 429.
        # "reset" is when the quota is full again; one more call fits after one interval.
        one_call = 60.0 / self.limit_rpm if self.limit_rpm else MAX_HOLD_S
        for remaining, reset, what, enough in (
            (limits.remaining_requests, limits.reset_requests, "request", one_call),
            (limits.remaining_tokens, limits.reset_tokens, "token", MAX_HOLD_S),
            # A daily quota is no rate to pace at, only a wall: once it is spent nothing gets
            # through until it refills, however long that takes (Groq: a day's share).
            (limits.day_remaining_requests, limits.day_reset_requests, "daily request",
             math.inf),
            (limits.day_remaining_tokens, limits.day_reset_tokens, "daily token", math.inf),
        ):
            if remaining is not None and remaining < 1 and reset:
                hold = min(reset, enough, MAX_HOLD_S) if enough != math.inf else reset
                if now + hold > self._hold_until:
                    self._hold_until = now + hold
                    self._hold_reason = (
                        f"The provider's {what} quota is used up for now; "
                        f"waiting {_secs(hold)} for it to refill"
                    )
