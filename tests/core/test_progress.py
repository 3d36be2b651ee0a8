"""Progress: parts done plus the current call's streamed output against the output the model's
recent calls took (not against the output limit, which made the bar sit at 2-4% and jump)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

from core.eta import DEFAULT_OUTPUT_TOKENS, CallTimes, progress_share
from core.events import EventBus, JobProgress
from core.pacing import Backoff, FixedPacer
from core.states import JobState
from core.store import Store
from core.worker import Worker
from tests.eta_queue import TimedAnalyzer
from tests.fake_clock import FakeClock
from tests.helpers import new_job, write_doc


def test_the_share_follows_the_tokens_then_closes_in_on_099_without_passing_it() -> None:
    expected = 500
    shares = [progress_share(tokens, expected) for tokens in range(0, 20 * expected)]
    assert shares[250] == 0.5 and shares[450] == 0.9  # in step with the tokens to 90%
    assert all(b >= a for a, b in itertools.pairwise(shares))  # never goes back
    assert max(shares) <= 0.99
    assert shares[expected] > 0.95  # an answer as long as expected is nearly full
    assert 0.9 < shares[2 * expected] < 0.99  # a longer one still moves, below the end
    # no jump at the knee
    assert abs(progress_share(451, expected) - progress_share(450, expected)) < 0.003


def test_expected_output_is_a_high_percentile_of_recent_calls() -> None:
    times = CallTimes("openai:m")
    assert times.expected_output_tokens() == DEFAULT_OUTPUT_TOKENS  # before any call
    for tokens in (100, 200, 300, 400, 500, 600, 700, 800, 900, 1000):
        times.add(1000, 3.0, tokens)
    assert times.expected_output_tokens() == 900  # 8 of the 10 took less
    times.add(1000, 3.0, 0)  # a call whose output was not counted teaches nothing
    assert times.outputs_known == 10


async def _queue(tmp_path: Path, paragraphs: list[int]) -> tuple[Store, FakeClock, EventBus]:
    clock = FakeClock()
    bus = EventBus()
    store = await Store.open(tmp_path / "db.sqlite3", clock, bus)
    docs = [
        new_job(write_doc(tmp_path / f"doc{i}.txt", i, n), provider="timed", model="model")
        for i, n in enumerate(paragraphs)
    ]
    await store.add_jobs(docs, max_queued=100)
    return store, clock, bus


def _worker(store: Store, clock: FakeClock, bus: EventBus, part_chars: int = 24_000) -> Worker:
    analyzer = TimedAnalyzer(clock, lambda _units, _n: 5.0, lambda _n: 400, part_chars)
    return Worker(store, analyzer, FixedPacer(clock, 10, Backoff(rng=lambda: 0.0)), clock, bus)


def test_a_call_fills_the_bar_by_the_models_usual_output(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus = await _queue(tmp_path, [4, 4])
        seen: list[JobProgress] = []
        bus.subscribe(lambda e: seen.append(e) if isinstance(e, JobProgress) else None)
        await _worker(store, clock, bus).run(until_empty=True)
        first, second = sorted({e.job_id for e in seen})
        by_job = {j: [e.part_fraction for e in seen if e.job_id == j] for j in (first, second)}
        # No history yet: 400 tokens of the default 600 expected.
        assert abs(max(by_job[first]) - 400 / DEFAULT_OUTPUT_TOKENS) < 0.01
        # The first call taught the model's output length: the next call fills the bar
        # (against an output limit of thousands of tokens it sat at a few per cent).
        assert 0.95 < max(by_job[second]) <= 0.99
        for shares in by_job.values():
            assert shares == sorted(shares) and len(shares) >= 5
        assert all(j.state == JobState.DONE for j in await store.list_jobs())
        await store.close()

    asyncio.run(go())


def test_a_jobs_progress_over_its_parts_never_goes_back(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus = await _queue(tmp_path, [12])
        seen: list[JobProgress] = []
        bus.subscribe(lambda e: seen.append(e) if isinstance(e, JobProgress) else None)
        await _worker(store, clock, bus, part_chars=600).run(until_empty=True)
        overall = [(e.parts_done + e.part_fraction) / e.parts_planned for e in seen]
        assert seen[0].parts_planned >= 4  # parts and the combining call
        assert overall == sorted(overall) and max(overall) < 1.0
        assert {e.parts_done for e in seen} == set(range(seen[0].parts_planned))
        await store.close()

    asyncio.run(go())


def test_a_new_worker_expects_the_output_length_the_store_remembers(tmp_path: Path) -> None:
    async def go() -> None:
        store, clock, bus = await _queue(tmp_path, [4])
        await _worker(store, clock, bus).run(until_empty=True)
        restarted = _worker(store, clock, bus)  # its own, empty call history
        assert restarted.times.expected_output_tokens() == DEFAULT_OUTPUT_TOKENS
        await restarted.run(until_empty=True)  # nothing queued: it reads the history, stops
        assert restarted.times.expected_output_tokens() == 400
        await store.close()

    asyncio.run(go())
