"""Pacing arithmetic under an injected clock: fixed pauses, backoff, Retry-After, the adaptive
limiters, the header parser, and the worker's call times. No test sleeps real seconds."""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Coroutine, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core import adaptive
from core.adaptive import AdaptivePacer, Gcra, RateProbe
from core.analyzers.base import CallResult
from core.engine import make_pacer
from core.errors import ErrorClass, JobError
from core.events import EventBus
from core.pacing import Backoff, FixedPacer, Pacer, Wait
from core.ratelimit_headers import parse_duration, parse_rate_limits
from core.settings import Settings
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc
from tests.virtual_time import LoopClock, VirtualLoop, keep_window_full


def no_jitter() -> Backoff:
    return Backoff(15, 300, rng=lambda: 0.0)


def retryable(
    message: str = "HTTP 503", retry_after: float | None = None, kind: str = "server_error"
) -> JobError:
    return JobError(kind, message, error_class=ErrorClass.RETRYABLE, retry_after=retry_after)


def throttle(retry_after: float | None = None) -> JobError:
    return retryable("HTTP 429", retry_after, kind="rate_limited")


def run(coro: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coro)


def headers(
    rpm: float = 120, *, remaining: float | None = None, reset: str = "1s", tpm: float | None = None
) -> dict[str, str]:
    out = {
        "X-RateLimit-Limit-Requests": str(rpm),
        "X-RateLimit-Remaining-Requests": str(rpm - 1 if remaining is None else remaining),
        "X-RateLimit-Reset-Requests": reset,
    }
    if tpm is not None:
        out["x-ratelimit-limit-tokens"] = str(tpm)
    return out


# ---------------------------------------------------------------------------- backoff


def test_backoff_doubles_from_15_s_to_the_300_s_cap() -> None:
    backoff = no_jitter()
    assert [backoff.delay() for _ in range(8)] == [15, 30, 60, 120, 240, 300, 300, 300]
    backoff.reset()
    assert backoff.delay() == 15


def test_jitter_only_shortens_the_delay_by_at_most_a_fifth() -> None:
    assert Backoff(15, 300, rng=lambda: 1.0).delay() == pytest.approx(12.0)
    delays = [Backoff(15, 300).delay() for _ in range(200)]
    assert all(12.0 <= d <= 15.0 for d in delays)


def test_backoff_survives_thousands_of_failures() -> None:
    backoff = no_jitter()
    backoff.failures = 5000
    assert backoff.delay() == 300


def test_retry_after_wins_within_its_cap() -> None:
    backoff = Backoff(15, 300, max_retry_after=900, rng=lambda: 0.0)
    assert backoff.delay(retry_after=7) == 7
    assert backoff.delay(retry_after=5000) == 900
    assert backoff.failures == 2


# ---------------------------------------------------------------------------- fixed mode


def test_fixed_mode_keeps_10_s_between_call_starts() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = FixedPacer(clock, backoff=no_jitter())
        for _ in range(4):
            await pacer.acquire()
            pacer.on_success()
        assert clock.sleeps == [10.0, 10.0, 10.0]

    run(go())


def test_the_pause_counts_from_the_previous_start() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = FixedPacer(clock, 10.0, no_jitter())
        await pacer.acquire()
        clock.advance(4.0)  # the call took 4 s
        pacer.on_success()
        await pacer.acquire()
        assert clock.sleeps == [6.0]

    run(go())


def test_fixed_mode_backs_off_15_30_60_then_the_pause_again() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = FixedPacer(clock, 10.0, no_jitter())
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        for _ in range(3):
            assert pacer.on_failure(retryable()) > 0
            await pacer.acquire()
        pacer.on_success()
        await pacer.acquire()
        assert clock.sleeps == [15.0, 30.0, 60.0, 10.0]
        held = [w for w in waits if w.kind is not None]
        assert [w.kind for w in held] == ["backoff", "backoff", "backoff", "pause"]
        assert held[0].reason == "Backing off after 1 failed call: HTTP 503"
        assert held[2].reason == "Backing off after 3 failed calls: HTTP 503"
        assert held[2].failures == 3
        assert held[3].reason == "Pausing 10 s between calls"
        assert pacer.current_wait().kind is None  # nothing held now

    run(go())


def test_retry_after_gives_exactly_the_servers_wait_and_is_capped() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = FixedPacer(clock, 10.0, Backoff(15, 300, max_retry_after=900, rng=lambda: 0.0))
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        clock.advance(5.0)
        pacer.on_failure(retryable(retry_after=7.0))
        await pacer.acquire()
        clock.advance(5.0)
        pacer.on_failure(retryable(retry_after=4000.0))
        await pacer.acquire()
        assert clock.sleeps == [7.0, 900.0]
        kinds = [(w.kind, w.reason) for w in waits if w.kind]
        assert kinds == [
            ("retry_after", "The server asked to wait 7 s"),
            ("retry_after", "The server asked to wait 15 min (capped)"),
        ]

    run(go())


def test_a_permanent_failure_ends_the_run_of_failures() -> None:
    clock = FakeClock()
    pacer = FixedPacer(clock, 10.0, no_jitter())
    pacer.in_flight = 1
    pacer.on_failure(retryable())
    pacer.in_flight = 1
    assert pacer.on_failure(JobError("bad_request", "400"), retryable=False) == 0.0
    assert pacer.backoff.failures == 0


def test_retry_now_ends_a_backoff_and_the_pause() -> None:
    async def go() -> None:
        clock = FakeClock(auto_advance=False)
        pacer = FixedPacer(clock, 10.0, no_jitter())
        await pacer.acquire()
        pacer.on_failure(retryable())
        waiter = asyncio.create_task(pacer.acquire())
        await asyncio.sleep(0)
        wait = pacer.current_wait()
        assert wait.kind == "backoff" and wait.seconds_left(clock.now()) == 15.0
        pacer.retry_now()
        await asyncio.wait_for(waiter, 1.0)  # no clock time passed
        assert clock.now() == 1000.0
        assert pacer.current_wait().kind is None
        assert pacer.backoff_left() == 0.0

    run(go())


def test_retry_now_with_nobody_waiting_clears_the_shown_wait() -> None:
    clock = FakeClock(auto_advance=False)
    pacer = Pacer(clock, no_jitter())
    pacer._set_wait(Wait(clock.now() + 30, "backoff", "Backing off"))
    pacer.retry_now()
    assert pacer.current_wait() == Wait()


# ---------------------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("raw", "seconds"),
    [
        ("1s", 1.0),
        ("6m0s", 360.0),
        ("12ms", 0.012),
        ("1m30.5s", 90.5),
        ("2h", 7200.0),
        ("1h2m3s", 3723.0),
        ("500us", 0.0005),
        ("0.5s", 0.5),
        (".5s", 0.5),
        ("20", 20.0),
        ("1.25", 1.25),
        (" 3s ", 3.0),
        ("0s", 0.0),
        ("17ms", 0.017),
        ("1m", 60.0),
    ],
)
def test_duration_forms(raw: str, seconds: float) -> None:
    assert parse_duration(raw) == pytest.approx(seconds)


@pytest.mark.parametrize("raw", [None, "", "abc", "5x", "1s later", "-1", "s", "1s1"])
def test_unreadable_durations_are_none(raw: str | None) -> None:
    assert parse_duration(raw) is None


def test_rate_limit_headers_in_any_case() -> None:
    limits = parse_rate_limits(
        {
            "X-RateLimit-Limit-Requests": "60",
            "x-ratelimit-remaining-requests": "59",
            "x-ratelimit-reset-requests": "1s",
            "x-ratelimit-limit-tokens": "150000",
            "x-ratelimit-remaining-tokens": "149984",
            "x-ratelimit-reset-tokens": "6m0s",
        }
    )
    assert (limits.limit_requests, limits.remaining_requests, limits.reset_requests) == (
        60,
        59,
        1.0,
    )
    assert (limits.limit_tokens, limits.remaining_tokens, limits.reset_tokens) == (
        150000,
        149984,
        360.0,
    )
    assert parse_rate_limits({"content-type": "text/plain"}).empty
    assert parse_rate_limits(None).empty
    assert parse_rate_limits({"x-ratelimit-limit-requests": "lots"}).limit_requests is None


# ---------------------------------------------------------------------------- GCRA


def test_gcra_allows_one_second_of_burst_then_spaces_calls() -> None:
    gcra = Gcra(rate=2.0)
    now = 0.0
    starts = []
    for _ in range(6):
        now = gcra.earliest(now)
        gcra.take(now)
        starts.append(now)
    assert starts == [0.0, 0.0, 0.5, 1.0, 1.5, 2.0]


def test_gcra_below_one_call_per_burst_spaces_every_call() -> None:
    gcra = Gcra(rate=0.5)
    gcra.take(0.0)
    assert gcra.earliest(0.0) == 2.0


def test_gcra_a_cost_larger_than_the_burst_waits_for_an_empty_limiter() -> None:
    gcra = Gcra(rate=100.0)  # tokens per second: burst 100
    gcra.take(0.0, 50)
    assert gcra.earliest(0.0, 500) == 0.5  # when the 50 drained
    gcra.take(0.5, 500)
    assert gcra.earliest(0.5, 100) == pytest.approx(5.5)  # 5 s of debt, minus the burst


def test_gcra_keeps_its_debt_in_calls_when_the_rate_changes() -> None:
    gcra = Gcra(rate=2.0)
    for _ in range(4):
        gcra.take(0.0)  # 2 s of debt at 2/s = 4 calls
    gcra.set_rate(0.0, 1.0)
    assert gcra.tat == 4.0


# ---------------------------------------------------------------------------- adaptive


def test_announced_limit_sets_the_rate_and_the_reason() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        pacer.on_success(headers(120))
        assert pacer.target_rate(clock.now()) == pytest.approx(0.97 * 2)
        for _ in range(5):
            await pacer.acquire()
            pacer.on_success(headers(120))
        interval = 1 / (0.97 * 2)
        # two calls fit in the one-second burst (1.94 calls); then one call per interval
        assert clock.sleeps[0] == pytest.approx(2 * interval - 1)
        assert clock.sleeps[1:] == pytest.approx([interval] * 4)
        throttle_waits = [w for w in waits if w.kind == "throttle"]
        assert throttle_waits[0].reason == (
            "Sending at 116 calls/min to stay under the provider's limit of 120/min"
        )

    run(go())


def test_without_headers_the_pacer_starts_low_and_says_it_is_probing() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), start_rate=1 / 3)
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        pacer.on_success({})
        await pacer.acquire()
        assert clock.sleeps == pytest.approx([3.0], rel=0.01)
        assert waits[0].kind == "throttle"
        assert waits[0].reason == "Sending at 20 calls/min while finding the provider's limit"

    run(go())


def test_the_probe_doubles_before_the_first_throttle() -> None:
    probe = RateProbe(0.0, start_rate=0.5)
    assert probe.rate(0.0) == 0.5
    assert probe.rate(adaptive.SLOW_START_DOUBLING_S) == pytest.approx(1.0)
    assert probe.rate(3 * adaptive.SLOW_START_DOUBLING_S) == pytest.approx(4.0)


def test_cubic_recovery_after_a_throttle() -> None:
    probe = RateProbe(0.0)
    probe.throttled(100.0, 2.0)
    recovery = max(adaptive.RECOVERY_S, adaptive.RECOVERY_CALLS / 2.0)
    probe_s = max(adaptive.PROBE_S, adaptive.PROBE_CALLS / 2.0)
    assert probe.rate(100.0) == pytest.approx(0.7 * 2.0)
    assert probe.recovering(100.0 + recovery / 2)
    halfway = probe.rate(100.0 + recovery / 2)
    # concave: most of the way back after half the time
    assert 0.7 * 2.0 + 0.8 * (0.97 - 0.7) * 2.0 < halfway < 0.97 * 2.0
    assert probe.rate(100.0 + recovery) == pytest.approx(0.97 * 2.0)
    assert not probe.recovering(100.0 + recovery)
    # convex and slow: still within 1% of the plateau halfway through the probe
    assert probe.rate(100.0 + recovery + probe_s / 2) < 0.98 * 2.0
    assert probe.rate(100.0 + recovery + probe_s) == pytest.approx(
        (0.97 + adaptive.PROBE_GAIN) * 2.0
    )
    samples = [probe.rate(100.0 + t / 10) for t in range(0, 3000)]
    assert samples == sorted(samples)


async def _steady(pacer: AdaptivePacer, clock: FakeClock, rate: float, seconds: float) -> None:
    """Start calls at exactly ``rate`` a second (each finishing at once) for ``seconds``."""
    for _ in range(round(rate * seconds)):
        await pacer.acquire()
        pacer.on_success({})
        clock.advance(1 / rate)


def test_a_throttle_multiplies_the_rate_by_0_7_of_the_rate_that_fit() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), start_rate=2.0)
        await _steady(pacer, clock, 2.0, 60)
        assert clock.sleeps == []  # the probe never held these calls
        await pacer.acquire()
        assert pacer.on_failure(throttle()) == 0.0  # the rate answers a throttle, no backoff
        # 121 calls got through in the last 60 s; the refused one did not fit in 61 s
        w_max = 121 / 61
        assert pacer.probe.w_max == pytest.approx(w_max)
        now = clock.now()
        assert pacer.target_rate(now) == pytest.approx(0.7 * w_max)
        assert pacer.current_wait().kind is None
        # the next call is held by the slower limiter, and says why
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        assert waits[0].kind == "throttle"
        assert waits[0].reason == (
            "Slowed to 83 calls/min after the provider answered 'too many requests'"
        )
        recovered = now + max(adaptive.RECOVERY_S, adaptive.RECOVERY_CALLS / w_max)
        assert pacer.target_rate(recovered) == pytest.approx(0.97 * w_max)

    run(go())


def test_answers_to_calls_sent_before_the_slowdown_count_once() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), start_rate=2.0, max_in_flight=8)
        await _steady(pacer, clock, 2.0, 30)
        for _ in range(3):
            await pacer.acquire()
        pacer.on_failure(throttle())
        rate = pacer.target_rate(clock.now())
        pacer.on_failure(throttle())
        pacer.on_failure(throttle())
        assert pacer.target_rate(clock.now()) == pytest.approx(rate)
        assert pacer.backoff_left() == 0.0

    run(go())


def test_throttles_that_slowing_down_does_not_cure_start_the_backoff() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), start_rate=2.0)
        await _steady(pacer, clock, 2.0, 30)
        delays = []
        for _ in range(4):
            await pacer.acquire()
            delays.append(pacer.on_failure(throttle()))
        # a used-up window refuses until it ends: short holds that double find its end
        assert delays == [0.0, 0.0, 2.0, 4.0]
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        assert waits[0].kind == "throttle"
        assert waits[0].reason == (
            "The provider refused 4 calls in a row; waiting 4 s for its limit to refill")
        # one call tests the limit; the next waits for its answer
        assert not pacer.ready_now()
        pacer.on_success({})
        assert pacer.current_wait().kind is None or pacer.ready_now()

    run(go())


def test_a_throttle_with_retry_after_waits_as_the_server_said() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        pacer.on_success(headers(600))
        await pacer.acquire()
        assert pacer.on_failure(throttle(retry_after=7.0)) == 7.0
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        assert clock.sleeps[-1] == pytest.approx(7.0)
        assert (waits[0].kind, waits[0].reason) == ("retry_after", "The server asked to wait 7 s")

    run(go())


def test_server_errors_back_off_as_in_fixed_mode() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        pacer.on_success(headers(6000))
        delays = []
        for _ in range(3):
            await pacer.acquire()
            delays.append(pacer.on_failure(retryable()))
        assert delays == [15.0, 30.0, 60.0]

    run(go())


def test_token_reservation_is_corrected_from_the_reported_usage() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        pacer.on_success(headers(6000, tpm=6000))  # tokens: 97 a second at 0.97
        assert pacer.tokens is not None and pacer.tokens.rate == pytest.approx(97.0)
        t0 = clock.now()
        await pacer.acquire(cost_tokens=970)  # 10 s of tokens reserved up front
        # a lumpy cost may start one burst (1 s) before the limiter is empty
        assert pacer.tokens.earliest(t0, 97) == pytest.approx(t0 + 9.0)
        pacer.on_success(headers(6000, tpm=6000), completion_tokens=97, cost_tokens=970)
        # only 97 were used: the reservation shrinks to 1 s
        assert pacer.tokens.tat == pytest.approx(t0 + 1.0)
        await pacer.acquire(cost_tokens=291)  # 3 s worth: starts at once, a burst early
        assert clock.sleeps == []
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire(cost_tokens=291)  # the limiter is full until t0 + 4: go at t0 + 3
        assert clock.sleeps == pytest.approx([3.0])
        assert waits[0].reason == (
            "Sending at most 5820 tokens/min to stay under the provider's limit of 6000/min"
        )

    run(go())


LITELLM_STREAMED = {"x-litellm-key-tpm-limit": "6000"}  # all a streamed answer carries


def litellm_refusal(remaining: int) -> JobError:
    # LiteLLM 1.108.7's tokens 429: Retry-After is its whole window, whatever is left
    error = retryable(
        "Rate limit exceeded for api_key: 7a6e. Limit type: tokens. Current limit: 6000, "
        f"Remaining: {remaining}. Limit resets at: 2026-12-02 07:12:13 UTC",
        retry_after=60.0, kind="rate_limited",
    )
    error.headers = {"rate_limit_type": "tokens", "retry-after": "60", **LITELLM_STREAMED}
    return error


async def _litellm_call(pacer: AdaptivePacer, clock: FakeClock, seconds: float = 5.0) -> None:
    """One call of a 480-character prompt answered with 120 + 330 tokens after ``seconds``."""
    cost = pacer.token_cost(480)
    await pacer.acquire(cost)
    started = clock.now()
    clock.advance(seconds)
    pacer.on_success(LITELLM_STREAMED, cost_tokens=cost, prompt_chars=480, prompt_tokens=120,
                     completion_tokens=330, started=started)


def test_behind_litellm_a_call_costs_its_usage_and_the_max_tokens_it_holds_meanwhile() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_output_tokens=1024)
        await _litellm_call(pacer, clock)
        assert pacer.books_max_tokens and pacer.gateway is not None
        # LiteLLM books 480 / 4 + 1024 = 1144 while the call runs and the usage once it
        # ended: what it holds for nothing counts for the 5 s of the 60 s window it runs
        usage = pacer.estimate.cost(480)  # the prompt as estimated so far, and 330 out
        assert pacer.token_cost(480) == usage + math.ceil((1144 - usage) * 5 / 60)
        # an OpenAI-style limit counts usage alone
        plain = AdaptivePacer(clock, backoff=no_jitter(), max_output_tokens=1024)
        await plain.acquire(plain.token_cost(480))
        plain.on_success(headers(6000, tpm=6000), cost_tokens=plain.token_cost(480),
                         prompt_chars=480, prompt_tokens=120, completion_tokens=330)
        assert plain.token_cost(480) == plain.estimate.cost(480)

    run(go())


def test_behind_litellm_a_call_that_would_not_fit_its_window_waits_for_the_next() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_output_tokens=1024)
        t0 = clock.now()
        await _litellm_call(pacer, clock, 1.0)  # opens LiteLLM's window: 450 of 6000 in it
        for _ in range(10):  # ten more calls one after the other: 11 x 450 = 4950
            await _litellm_call(pacer, clock, 1.0)
        window = pacer.gateway
        assert window is not None and window.start == t0
        assert window.booked == pytest.approx(11 * 450)
        assert clock.now() < t0 + 58
        # the twelfth would be booked at 1144 and 4950 + 1144 > 6000: LiteLLM would refuse
        # it and ask for 60 s; it waits for the window to end instead (whole seconds: 60 s
        # after its first call, and a little for the call's way there)
        wait = pacer.next_wait(pacer.token_cost(480))
        assert wait.until == pytest.approx(t0 + 60.25)
        assert wait.reason is not None and "next tokens window" in wait.reason
        # then it opens the next window
        await _litellm_call(pacer, clock)
        assert window.start == pytest.approx(t0 + 60.25)

    run(go())


def test_behind_litellm_the_refund_of_a_call_that_ends_lets_the_next_one_go() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_output_tokens=1024)
        await _litellm_call(pacer, clock)
        for _ in range(8):
            await _litellm_call(pacer, clock)  # 9 x 450 = 4050 booked
        window = pacer.gateway
        assert window is not None
        cost = pacer.token_cost(480)
        await pacer.acquire(cost)  # running: booked at 1144, 5194
        started = clock.now()
        assert window.booked == pytest.approx(9 * 450 + 1144)
        assert pacer.next_wait(cost).reason is not None  # 5194 + 1144 does not fit
        clock.advance(5)
        pacer.on_success(LITELLM_STREAMED, cost_tokens=cost, prompt_chars=480,
                         prompt_tokens=120, completion_tokens=330, started=started)
        assert window.booked == pytest.approx(10 * 450)  # settled to its usage
        assert pacer.gateway.earliest(clock.now(), 1144) == clock.now()

    run(go())


def test_a_litellm_tokens_refusal_waits_for_its_window_not_its_60_s_retry_after() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_output_tokens=1024)
        t0 = clock.now()
        await _litellm_call(pacer, clock)  # the window opened at t0
        rate = pacer.tokens.rate if pacer.tokens is not None else None
        # someone else spends the same key: LiteLLM refuses with 796 left
        await pacer.acquire(pacer.token_cost(480))
        started = clock.now()
        clock.advance(0.05)
        delay = pacer.on_failure(litellm_refusal(796), started=started)
        assert clock.now() + delay == pytest.approx(t0 + 60.25)
        assert pacer.gateway is not None and pacer.gateway.booked == 6000 - 796
        assert pacer.next_wait(1).until == pytest.approx(t0 + 60.25)
        # the pace was not too fast: the token rate is not cut
        assert pacer.tokens is not None and pacer.tokens.rate == rate
        assert pacer.token_probe is None

    run(go())


def test_an_announced_tokens_window_gets_whole_calls_spread_over_the_minute() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        for _ in range(5):
            await pacer.acquire(305)
            clock.advance(3.0)
            pacer.on_success(headers(1000, tpm=6000), cost_tokens=305, prompt_chars=620,
                             prompt_tokens=155, completion_tokens=150)
        # 0.97 x 6000 a minute would be 19.1 calls of 305: a window opened by a call would
        # get a 20th, and 20 x 305 > 6000. 19 calls, spread over a little more than 60 s:
        assert pacer.tokens is not None and pacer.tokens.rate == pytest.approx(97.0)
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(19 / 60.5)
        # calls of 300 fit 20 to a window: 20 x 300 = 6000 is more than 0.97 of it
        small = AdaptivePacer(clock, backoff=no_jitter())
        await small.acquire(300)
        small.on_success(headers(1000, tpm=6000), cost_tokens=300, prompt_chars=600,
                         prompt_tokens=150, completion_tokens=150)
        assert small.tokens is not None and small.tokens.rate == pytest.approx(97.0)
        small.next_wait(300)
        assert small.window_calls is not None
        assert small.window_calls.rate * 300 > small.tokens.rate  # the tokens limit binds

    run(go())


def test_whole_calls_are_spaced_by_count_not_by_their_tokens() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        for _ in range(5):
            await pacer.acquire(305)
            clock.advance(3.2)
            pacer.on_success(headers(1000, tpm=6000), cost_tokens=305, prompt_chars=620,
                             prompt_tokens=155, completion_tokens=150)
        # A run of short documents: spaced by their tokens they came closer together and a
        # 20th call landed in a window. Counted, the calls keep 60.5 / 19 s apart.
        starts = []
        for _ in range(20):
            await pacer.acquire(250)
            starts.append(clock.now())
            pacer.on_success(headers(1000, tpm=6000), cost_tokens=250, prompt_chars=620,
                             prompt_tokens=155, completion_tokens=150, started=starts[-1])
        assert starts[-1] - starts[0] == pytest.approx(60.5)
        # A call late by 2 s is not made up by an early one: 20 calls still span over 60 s.
        clock.advance(60.5 / 19 + 2.0)
        late = clock.now()
        await pacer.acquire(305)
        assert clock.now() == late
        await pacer.acquire(305)
        assert clock.now() - late == pytest.approx(60.5 / 19)
        # Faster calls would get a burst's head start: no more than half the margin in time.
        assert pacer.window_calls is not None and pacer.window_calls.max_head_start == 0.25
        calls = Gcra(2.0)
        calls.max_head_start = 0.25
        calls.take(0.0)
        assert calls.earliest(0.0) == pytest.approx(0.25)  # not 0.0: spacing 0.5, burst 1 s

    run(go())


def test_a_refusal_at_the_whole_calls_pace_spreads_the_calls_wider() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        for _ in range(5):
            await pacer.acquire(305)
            clock.advance(3.2)
            pacer.on_success(headers(1000, tpm=6000), cost_tokens=305, prompt_chars=620,
                             prompt_tokens=155, completion_tokens=150)
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(19 / 60.5)
        # a 20th call landed in a window after all (a call late, the next early)
        await pacer.acquire(305)
        error = retryable("Rate limit reached for tokens per minute", kind="rate_limited")
        pacer.on_failure(error, started=clock.now())
        clock.advance(10.0)  # past the dip
        pacer.next_wait(305)
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(19 / 61.0)
        # with no refusal for a few minutes they come closer again
        clock.advance(adaptive.SLACK_CALM_S)
        pacer.next_wait(305)
        assert pacer.window_calls.rate == pytest.approx(19 / 60.5)

    run(go())


def tokens_refusal() -> JobError:
    return retryable("Rate limit reached for tokens per minute", kind="rate_limited")


async def _calls_at_pace(
    pacer: AdaptivePacer, clock: FakeClock, seconds: float, calls: int = 0
) -> int:
    """Calls of 305 tokens without headers, one after another as the pacer lets them go:
    for ``seconds``, or ``calls`` of them."""
    end, count = clock.now() + seconds, 0
    while clock.now() < end or count < calls:
        await pacer.acquire(305)
        started = clock.now()
        clock.advance(0.5)
        pacer.on_success(None, cost_tokens=305, prompt_chars=620, prompt_tokens=155,
                         completion_tokens=150, started=started)
        count += 1
    return count


async def _refused(pacer: AdaptivePacer, clock: FakeClock) -> None:
    await pacer.acquire(305)
    clock.advance(0.01)  # the worker reads the start a little after acquire
    started = clock.now()
    clock.advance(0.05)
    pacer.on_failure(tokens_refusal(), started=started)


async def _learned_19(pacer: AdaptivePacer, clock: FakeClock) -> None:
    """No headers: a window of 6000 tokens takes 19 calls of 305, then refuses the 20th."""
    t0 = clock.now()
    await _calls_at_pace(pacer, clock, 0.0, calls=19)
    assert clock.now() - t0 < 60.0  # all in the window the first call opened
    await _refused(pacer, clock)


def test_without_headers_a_tokens_window_is_paced_at_the_whole_calls_it_was_seen_to_hold(
) -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await _learned_19(pacer, clock)
        # 19 calls a minute, not 0.97 of them (18.4): the margin is in time, 19 calls per
        # 60.5 s, so that no window opened by one of them holds a 20th
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(19 / 60.5)
        clock.advance(60.0)  # the refusing window ends
        sent = await _calls_at_pace(pacer, clock, 121.0)
        assert sent == pytest.approx(19 * 121.0 / 60.5, abs=1)
        # the tokens limiter holds back only calls larger than the recent ones
        assert pacer.tokens is not None and pacer.tokens.rate == pytest.approx(19 * 305 / 60)

    run(go())


def test_a_refusal_at_the_learned_whole_calls_backs_off_one_call() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await _learned_19(pacer, clock)
        clock.advance(60.0)
        await _calls_at_pace(pacer, clock, 60.0)
        # The calls grew, or the limit shrank: a window refuses its 19th. The minute before
        # held 18 accepted calls, so 19 did not fit: one call fewer, not 0.7 of the pace.
        await _refused(pacer, clock)
        clock.advance(1.0)
        pacer.next_wait(305)
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(18 / 60.5)

    run(go())


def test_one_call_more_is_tried_after_a_quiet_while_and_kept_only_if_it_fits() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await _learned_19(pacer, clock)
        assert pacer.token_probe is not None
        # as long as a rate's probe waits, and PROBE_CALLS calls at least
        quiet = max(pacer.token_probe.probe_s, adaptive.PROBE_CALLS * 60 / 19)
        clock.advance(60.0)
        await _calls_at_pace(pacer, clock, quiet)
        pacer.next_wait(305)
        assert pacer.window_calls is not None
        assert pacer.window_calls.rate == pytest.approx(20 / 60.5)  # trying a 20th
        # a window cannot hold it: one refusal, and back to the 19 that fit
        await _calls_at_pace(pacer, clock, 30.0)
        await _refused(pacer, clock)
        pacer.next_wait(305)
        assert pacer.window_calls.rate == pytest.approx(19 / 60.5)

        # A server whose window does hold 20 (its limit was raised): kept after a while
        clock2 = FakeClock()
        raised = AdaptivePacer(clock2, backoff=no_jitter())
        await _learned_19(raised, clock2)
        assert raised.token_probe is not None
        clock2.advance(60.0)
        quiet = max(raised.token_probe.probe_s, adaptive.PROBE_CALLS * 60 / 19)
        await _calls_at_pace(raised, clock2, quiet + adaptive.CONFIRM_CALL_S + 5.0)
        raised.next_wait(305)
        assert raised.window_calls is not None
        assert raised.window_calls.rate == pytest.approx(20 / 60.5)
        # ... and tried one more only after another quiet while
        await _calls_at_pace(raised, clock2, adaptive.CONFIRM_CALL_S)
        raised.next_wait(305)
        assert raised.window_calls.rate == pytest.approx(20 / 60.5)

    run(go())


def test_a_tokens_refusal_under_an_announced_limit_dips_and_comes_back() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        for _ in range(25):
            await pacer.acquire(300)
            clock.advance(3.1)
            pacer.on_success(headers(1000, tpm=6000), cost_tokens=300, prompt_chars=600,
                             prompt_tokens=150, completion_tokens=150)
        await pacer.acquire(300)
        error = retryable("Rate limit reached for tokens per minute", kind="rate_limited")
        pacer.on_failure(error, started=clock.now())
        assert pacer.tokens is not None and pacer.tokens.rate < 97.0 * 0.75  # the dip
        clock.advance(10.0)  # past the recovery
        pacer.next_wait(300)  # the rates are refreshed when a call asks
        # back at 0.97 of the announced limit, not at 0.97 of the 0.97 it sent at
        assert pacer.tokens.rate == pytest.approx(97.0)

    run(go())


def test_a_used_up_quota_holds_for_one_call_interval() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        # 600 a minute: the limiter's burst would let the next call go at once, but the
        # server says nothing is left; one call's worth refills in 0.1 s (not the 5 s reset)
        pacer.on_success(headers(600, remaining=0, reset="5s"))
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        assert clock.sleeps == pytest.approx([0.1])
        assert waits[0].reason == (
            "The provider's request quota is used up for now; waiting 0.1 s for it to refill"
        )

    run(go())


def test_max_in_flight_grows_with_rate_times_latency_up_to_the_cap() -> None:
    async def go() -> None:
        clock = FakeClock()
        # 1.94 calls a second x latency x 1.15 (jitter margin), + 1, within the cap
        for latency, cap, expected in ((0.5, 8, 3), (2.0, 8, 6), (2.0, 4, 4), (10.0, 4, 4)):
            pacer = AdaptivePacer(clock, backoff=no_jitter(), max_in_flight=cap)
            assert pacer.max_in_flight == 1  # nothing measured yet
            for _ in range(30):
                await pacer.acquire()
                clock.advance(latency)
                pacer.on_success(headers(120))  # 1.94 calls a second
            assert pacer.latency == pytest.approx(latency)
            assert pacer.max_in_flight == expected, (latency, cap)

    run(go())


def test_a_slot_given_back_unused_is_no_latency_sample() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        clock.advance(30.0)
        pacer.release_unused()  # the queue was paused before the call was sent
        assert pacer.in_flight == 0
        await pacer.acquire()
        clock.advance(1.0)
        pacer.on_success(headers(120))
        assert pacer.latency == pytest.approx(1.0)

    run(go())


def test_the_engine_builds_the_pacer_the_settings_ask_for() -> None:
    clock = FakeClock()
    adaptive_pacer = make_pacer(Settings(pacing="adaptive", max_in_flight=6), clock)
    assert isinstance(adaptive_pacer, AdaptivePacer) and adaptive_pacer.cap == 6
    fixed = make_pacer(Settings(), clock)
    assert isinstance(fixed, FixedPacer) and fixed.pause_s == 10.0
    assert (fixed.backoff.base, fixed.backoff.cap) == (15.0, 300.0)


def test_waiting_calls_start_in_the_order_they_asked() -> None:
    async def go() -> None:
        clock = FakeClock(auto_advance=False)
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_in_flight=8)
        await pacer.acquire()
        pacer.on_success(headers(60))
        order: list[int] = []

        async def call(n: int) -> None:
            await pacer.acquire()
            order.append(n)

        tasks = [asyncio.create_task(call(n)) for n in range(5)]
        for _ in range(50):
            await asyncio.sleep(0)
            clock.advance(0.25)
        await asyncio.wait_for(asyncio.gather(*tasks), 1.0)
        assert order == [0, 1, 2, 3, 4]

    run(go())


def test_retry_now_ends_a_throttle_wait() -> None:
    async def go() -> None:
        clock = FakeClock(auto_advance=False)
        pacer = AdaptivePacer(clock, backoff=no_jitter(), start_rate=1 / 60)
        await pacer.acquire()
        pacer.on_success({})
        waiter = asyncio.create_task(pacer.acquire())
        await asyncio.sleep(0)
        assert pacer.current_wait().kind == "throttle"
        assert pacer.current_wait().seconds_left(clock.now()) == pytest.approx(60.0)
        pacer.retry_now()
        await asyncio.wait_for(waiter, 1.0)
        assert clock.now() == 1000.0

    run(go())


# ---------------------------------------------------------------------------- simulation


class _StrictProvider:
    """Refuses any call beyond ``rpm`` with a one-second burst (GCRA), like the benchmark."""

    def __init__(self, rpm: float, send_headers: bool) -> None:
        self.rpm = rpm
        self.gcra = Gcra(rpm / 60.0)
        self.send_headers = send_headers
        self.log: list[tuple[float, bool]] = []

    def call(self, now: float) -> tuple[bool, Mapping[str, str]]:
        ok = self.gcra.earliest(now) <= now + 1e-12
        if ok:
            self.gcra.take(now)
        self.log.append((now, ok))
        if not self.send_headers:
            return ok, {}
        debt = max(0.0, self.gcra.tat - now)
        return ok, {
            "x-ratelimit-limit-requests": str(self.rpm),
            "x-ratelimit-remaining-requests": str(int(self.rpm - debt * self.gcra.rate)),
            "x-ratelimit-reset-requests": f"{debt:.3f}s",
        }


async def _simulate(rpm: float, send_headers: bool, minutes: float) -> _StrictProvider:
    rng = random.Random(7)
    clock = LoopClock()
    pacer = AdaptivePacer(clock, backoff=no_jitter(), max_in_flight=8)
    provider = _StrictProvider(rpm, send_headers)

    async def job() -> None:  # claim, call (about 1 s), record: as the worker does
        await asyncio.sleep(0.02)
        await pacer.acquire(100)
        await asyncio.sleep(0.005 * rng.random())
        ok, answer = provider.call(clock.now())
        if ok:
            await asyncio.sleep(0.8 + 0.4 * rng.random())
            pacer.on_success(answer, completion_tokens=100, cost_tokens=100)
        else:
            pacer.on_failure(throttle())
        await asyncio.sleep(0.02)

    await keep_window_full(lambda: pacer.max_in_flight, job, minutes * 60)
    return provider


@pytest.mark.parametrize("send_headers", [True, False], ids=["headers", "no-headers"])
def test_steady_state_uses_95_percent_with_under_1_percent_throttled(
    send_headers: bool,
) -> None:
    loop = VirtualLoop()
    try:
        provider = loop.run_until_complete(_simulate(180, send_headers, minutes=15))
    finally:
        loop.close()
    warm = 4 * 60
    steady = [(t, ok) for t, ok in provider.log if t >= warm]
    accepted = sum(ok for _, ok in steady)
    per_minute = accepted / ((15 * 60 - warm) / 60)
    refused = len(steady) - accepted
    assert per_minute / 180 >= 0.95
    assert refused / len(steady) < 0.01


# ---------------------------------------------------------------------------- the worker


async def _worker_run(tmp_path: Path, analyzer: Any, pacer: Pacer, clock: Any, n: int) -> Store:
    bus = EventBus()
    store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
    docs = [new_job(write_doc(tmp_path / f"doc{i}.txt", i)) for i in range(n)]
    await store.add_jobs(docs, max_queued=100)
    worker = Worker(store, analyzer, pacer, clock, bus)
    await worker.run(until_empty=True)
    return store


def _gaps(times: list[float]) -> list[float]:
    return [round(b - a, 6) for a, b in itertools.pairwise(times)]


def test_worker_in_fixed_mode_starts_calls_exactly_10_s_apart(tmp_path: Path) -> None:
    async def go() -> None:
        clock = FakeClock()
        analyzer = ScriptedAnalyzer(clock, latency=2.0)
        store = await _worker_run(
            tmp_path, analyzer, FixedPacer(clock, 10.0, no_jitter()), clock, 4
        )
        assert _gaps([t for _, t in analyzer.calls]) == [10.0, 10.0, 10.0]
        assert [j.state for j in await store.list_jobs()] == [JobState.DONE] * 4
        await store.close()

    run(go())


def test_worker_backs_off_15_30_60_after_failures(tmp_path: Path) -> None:
    async def go() -> None:
        clock = FakeClock()
        analyzer = ScriptedAnalyzer(
            clock, latency=2.0, faults=[retryable(), retryable(), retryable(), None, None]
        )
        store = await _worker_run(
            tmp_path, analyzer, FixedPacer(clock, 10.0, no_jitter()), clock, 2
        )
        # each gap is the failed call's 2 s plus the backoff; after a success, the pause
        assert _gaps([t for _, t in analyzer.calls]) == [17.0, 32.0, 62.0, 10.0]
        jobs = await store.list_jobs()
        assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 4), (JobState.DONE, 1)]
        await store.close()

    run(go())


def test_worker_waits_exactly_the_retry_after(tmp_path: Path) -> None:
    async def go() -> None:
        clock = FakeClock()
        analyzer = ScriptedAnalyzer(
            clock, latency=5.0, faults=[retryable("HTTP 429", 7.0, "rate_limited"), None]
        )
        store = await _worker_run(
            tmp_path, analyzer, FixedPacer(clock, 10.0, no_jitter()), clock, 1
        )
        assert clock.sleeps == [5.0, 7.0, 5.0]  # call, the server's 7 s, call
        assert _gaps([t for _, t in analyzer.calls]) == [12.0]
        await store.close()

    run(go())


class _Overlapping:
    """A paced fake whose calls (after the first) wait until ``together`` are in flight."""

    engine = "fake:overlap"
    paced = True
    vision = None
    provider = "fake"
    model = "overlap"
    part_chars = 10_000

    def __init__(self, clock: FakeClock, together: int) -> None:
        self.clock = clock
        self.together = together
        self.active = 0
        self.peak = 0
        self.order: list[int] = []  # the document number each call carried, in call order
        self.all_in = asyncio.Event()

    def split(self, text: str) -> list[str]:
        return [text]


    async def analyze_part(
        self, text: str, profile: Any, *, index: int, count: int, progress: Any,
        images: Any = (),
    ) -> CallResult:
        self.order.append(int(text.rsplit("number ", 1)[1].split(".")[0]))
        self.active += 1
        self.peak = max(self.peak, self.active)
        if self.active >= self.together:
            self.all_in.set()
        if len(self.order) > 1:
            await asyncio.wait_for(self.all_in.wait(), 5.0)
        await self.clock.sleep(1.0)
        self.active -= 1
        return CallResult("ok", 10, 5, headers=headers(6000))

    async def combine(self, partials: list[str], profile: Any, *, progress: Any) -> CallResult:
        raise AssertionError("single-part documents need no combining call")

    async def aclose(self) -> None:
        return None


def test_adaptive_worker_overlaps_calls_and_keeps_queue_order(tmp_path: Path) -> None:
    async def go() -> None:
        clock = FakeClock()
        analyzer = _Overlapping(clock, together=4)
        pacer = AdaptivePacer(clock, backoff=no_jitter(), max_in_flight=4)
        store = await _worker_run(tmp_path, analyzer, pacer, clock, 5)  # type: ignore[arg-type]
        jobs = await store.list_jobs()
        assert [j.state for j in jobs] == [JobState.DONE] * 5
        # the first call measured 1 s of latency; at 97 calls/s that asks for the cap of 4
        assert analyzer.peak == 4
        assert analyzer.order == [0, 1, 2, 3, 4]  # calls start in queue order
        assert pacer.limit_rpm == 6000
        await store.close()

    run(go())


def test_a_spent_daily_quota_holds_until_it_refills_however_long() -> None:
    async def go() -> None:
        clock = FakeClock()
        pacer = AdaptivePacer(clock, backoff=no_jitter())
        await pacer.acquire()
        # Groq: x-ratelimit-*-requests count per day; none left, one back in 2 h
        pacer.on_success({"x-groq-region": "us-west-1", "x-ratelimit-limit-requests": "1000",
                          "x-ratelimit-remaining-requests": "0",
                          "x-ratelimit-reset-requests": "2h0m0s"})  # fmt: skip
        waits: list[Wait] = []
        pacer.subscribe(waits.append)
        await pacer.acquire()
        assert clock.sleeps == pytest.approx([7200.0])
        assert waits[0].reason == (
            "The provider's daily request quota is used up for now; waiting 120 min for it "
            "to refill"
        )

    run(go())


def test_settings_saved_with_the_old_default_of_4_calls_at_once_become_automatic(
    tmp_path: Path,
) -> None:
    from core.settings import AUTO_IN_FLIGHT, load_saved, save

    (tmp_path / "settings.json").write_text('{"max_in_flight": 4, "pacing": "adaptive"}')
    migrated = load_saved(tmp_path)
    assert migrated.max_in_flight == 0 and migrated.calls_at_once == AUTO_IN_FLIGHT
    save(tmp_path, replace(migrated, max_in_flight=4))  # chosen now: kept
    assert load_saved(tmp_path).max_in_flight == 4


def test_automatic_calls_at_once_stay_few_for_a_local_server_that_queues() -> None:
    from core.settings import AUTO_IN_FLIGHT, LOCAL_IN_FLIGHT

    assert Settings(preset="ollama").calls_at_once == LOCAL_IN_FLIGHT
    assert Settings(preset="custom").calls_at_once == AUTO_IN_FLIGHT  # a gateway, say
    assert Settings(preset="ollama", max_in_flight=12).calls_at_once == 12  # chosen
