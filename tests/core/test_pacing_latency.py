"""Adaptive pacing at real LLM latencies (3-30 s) against servers that limit in other ways.

Virtual time: a quarter of an hour against each server takes well under a second. The servers
here limit as real gateways do, not as Paceline's own GCRA: a fixed per-minute window (as
LiteLLM's per-key limits), a token bucket holding a minute of quota (as OpenAI describes its
limits), a limit on calls at once (a LiteLLM key with ``max_parallel_requests``, a local server
with one slot), and a tokens-per-minute window. The real-time benchmark against real servers is
``benchmarks/pacing_benchmark.py``; these keep the algorithm honest on every run.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from core.adaptive import AdaptivePacer
from core.errors import ErrorClass, JobError
from core.pacing import Backoff
from tests.virtual_time import LoopClock, VirtualLoop, keep_window_full


@dataclass
class Answer:
    ok: bool
    headers: Mapping[str, str] = field(default_factory=dict)
    retry_after: float | None = None
    message: str = "HTTP 429: rate limit exceeded"


class FixedWindow:
    """``limit`` units per clock minute; the count starts again at each minute (LiteLLM)."""

    def __init__(self, limit: float, window_s: float = 60.0) -> None:
        self.limit = limit
        self.window_s = window_s
        self.window = -1
        self.used = 0.0

    def try_take(self, now: float, cost: float = 1.0) -> bool:
        window = int(now // self.window_s)
        if window != self.window:
            self.window, self.used = window, 0.0
        if self.used + cost > self.limit:
            return False
        self.used += cost
        return True

    def remaining(self) -> float:
        return max(0.0, self.limit - self.used)

    def reset_in(self, now: float) -> float:
        return (self.window + 1) * self.window_s - now


class TokenBucket:
    """A bucket of ``per_minute`` units that refills continuously (OpenAI's description)."""

    def __init__(self, per_minute: float) -> None:
        self.capacity = per_minute
        self.rate = per_minute / 60.0
        self.level = per_minute
        self.at = 0.0

    def try_take(self, now: float, cost: float = 1.0) -> bool:
        self.level = min(self.capacity, self.level + (now - self.at) * self.rate)
        self.at = now
        if self.level < cost:
            return False
        self.level -= cost
        return True

    def remaining(self) -> float:
        return self.level

    def reset_in(self, now: float) -> float:
        return (self.capacity - self.level) / self.rate


@dataclass
class Server:
    requests: FixedWindow | TokenBucket | None = None
    tokens: FixedWindow | None = None
    max_at_once: int | None = None
    headers: bool = False
    retry_after_window: bool = False  # each 429 says: wait the whole window (LiteLLM)
    open_calls: int = 0
    log: list[tuple[float, bool]] = field(default_factory=list)

    def call(self, now: float, tokens: int) -> Answer:
        answer = self._decide(now, tokens)
        self.log.append((now, answer.ok))
        if answer.ok:
            self.open_calls += 1
        return answer

    def _decide(self, now: float, tokens: int) -> Answer:
        if self.max_at_once is not None and self.open_calls >= self.max_at_once:
            return Answer(False, message="HTTP 429: max parallel request limit reached")
        if self.requests is not None and not self.requests.try_take(now):
            return self._refused(now, "requests")
        if self.tokens is not None and not self.tokens.try_take(now, tokens):
            return self._refused(now, "tokens per minute")
        return Answer(True, self._headers(now))

    def _refused(self, now: float, what: str) -> Answer:
        wait = 60.0 if self.retry_after_window else None
        return Answer(False, self._headers(now), wait, f"HTTP 429: limit on {what} reached")

    def _headers(self, now: float) -> dict[str, str]:
        if not self.headers:
            return {}
        out: dict[str, str] = {}
        if self.requests is not None:
            per_min = self.requests.limit if isinstance(self.requests, FixedWindow) else (
                self.requests.capacity
            )
            out["x-ratelimit-limit-requests"] = f"{per_min:g}"
            out["x-ratelimit-remaining-requests"] = f"{int(self.requests.remaining())}"
        if self.tokens is not None:
            out["x-ratelimit-limit-tokens"] = f"{self.tokens.limit:g}"
            out["x-ratelimit-remaining-tokens"] = f"{int(self.tokens.remaining())}"
        return out


@dataclass
class Outcome:
    accepted_per_min: float
    refused_share: float
    refused: int


async def _simulate(
    server: Server, latency: tuple[float, float], minutes: float, warm_min: float,
    *, prompt_chars: int = 900, completion: int = 100, seed: int = 3,
) -> Outcome:
    rng = random.Random(seed)
    clock = LoopClock()
    pacer = AdaptivePacer(clock, backoff=Backoff(15, 300, rng=rng.random))
    prompt_tokens = prompt_chars // 4

    async def job() -> None:  # as the worker does: wait for the pacer, call, record
        cost = pacer.token_cost(prompt_chars)
        await pacer.acquire(cost)
        started = clock.now()
        answer = server.call(started, prompt_tokens + completion)
        if answer.ok:
            await asyncio.sleep(rng.uniform(*latency))
            server.open_calls -= 1
            pacer.on_success(
                answer.headers, cost_tokens=cost, prompt_chars=prompt_chars,
                prompt_tokens=prompt_tokens, completion_tokens=completion, started=started,
            )
        else:
            await asyncio.sleep(0.05)
            error = JobError("rate_limited", answer.message, error_class=ErrorClass.RETRYABLE,
                             retry_after=answer.retry_after)
            error.headers = dict(answer.headers)
            pacer.on_failure(error, started=started)

    await keep_window_full(lambda: pacer.max_in_flight, job, minutes * 60, claim_s=0.01)
    steady = [ok for t, ok in server.log if t >= warm_min * 60]
    accepted = sum(steady)
    return Outcome(accepted / (minutes - warm_min), (len(steady) - accepted) / len(steady),
                   len(steady) - accepted)


def simulate(server: Server, latency: tuple[float, float], minutes: float = 20,
             warm_min: float = 5, **kwargs: int) -> Outcome:
    loop = VirtualLoop()
    try:
        return loop.run_until_complete(_simulate(server, latency, minutes, warm_min, **kwargs))
    finally:
        loop.close()


LATENCIES = {"1s": (0.7, 1.3), "5s": (3.0, 8.0), "15s": (5.0, 25.0)}


@pytest.mark.parametrize("headers", [True, False], ids=["headers", "no-headers"])
@pytest.mark.parametrize(
    ("limiter", "rpm", "latency"),
    [
        ("window", 30, "15s"),
        ("window", 120, "5s"),
        ("window", 600, "15s"),
        ("bucket", 120, "5s"),
        ("bucket", 600, "1s"),
        ("bucket", 240, "15s"),
    ],
)
def test_a_requests_limit_is_used_at_95_percent_with_under_1_percent_throttled(
    limiter: str, rpm: float, latency: str, headers: bool
) -> None:
    requests = FixedWindow(rpm) if limiter == "window" else TokenBucket(rpm)
    outcome = simulate(Server(requests=requests, headers=headers), LATENCIES[latency])
    assert outcome.accepted_per_min / rpm >= 0.95, outcome
    assert outcome.refused_share < 0.01, outcome


def test_a_window_answered_with_full_window_retry_after_is_paced_evenly() -> None:
    # LiteLLM: every 429 says "retry after 60 s". Evenly paced, we rarely see one.
    server = Server(requests=FixedWindow(30), retry_after_window=True)
    outcome = simulate(server, LATENCIES["5s"], minutes=30, warm_min=5)
    assert outcome.accepted_per_min / 30 >= 0.90, outcome
    assert outcome.refused <= 25 / 5, outcome  # at most one per five minutes


@pytest.mark.parametrize("headers", [True, False], ids=["headers", "no-headers"])
def test_a_tokens_limit_is_learned_and_used(headers: bool) -> None:
    # 6,000 tokens a minute, about 325 a call: the binding limit is ~18 calls a minute
    server = Server(requests=FixedWindow(1000), tokens=FixedWindow(6000), headers=headers)
    outcome = simulate(server, LATENCIES["5s"], minutes=30, warm_min=8)
    per_call = 900 // 4 + 100
    share = outcome.accepted_per_min * per_call / 6000
    assert share >= 0.95, outcome
    # Calls of 325 tokens fit 18 to a window of 6000: at 97% the 19th sometimes lands in one.
    assert outcome.refused_share < 0.015, outcome


def test_a_server_that_takes_one_call_at_a_time_gets_one_call_at_a_time() -> None:
    server = Server(max_at_once=1)
    outcome = simulate(server, (7.0, 9.0), minutes=30, warm_min=5)
    assert outcome.accepted_per_min >= 0.95 * 60 / 8, outcome  # one call after the other
    assert outcome.refused_share < 0.02, outcome
