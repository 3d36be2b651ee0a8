"""Provider faults end to end: the engine and worker against the real HTTP fake provider.

tests/core/test_openai_provider.py checks that the analyzer classifies each fault; here each
fault goes through the whole worker, and the test checks what happens to the job and the queue:
a retryable fault is retried once after its backoff and the job ends done with the answer of
the second call; a stop-the-queue fault pauses the queue and burns no job; a permanent fault
fails only its job. Then the backoff schedule under a storm of failures: the server's own
arrival times prove that the worker never loops tightly.

Time is a FakeClock in-process (pauses and backoff cost no real seconds); the subprocess storm
uses a tiny backoff from settings.json instead. The calls themselves are real HTTP.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.cli import JOBS_FAILED
from core.engine import Engine
from core.jobs import Job
from core.settings import Settings
from core.states import JobState
from tests.fake_clock import FakeClock
from tests.helpers import ROOT, run_cli
from tests.reliability.tagged_provider import TaggedProvider, tag_of

KEY = "pk-faults-test-81e6"
BASE, CAP, JITTER = 15.0, 300.0, 0.2  # the default backoff: base, cap, largest jitter share


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[TaggedProvider]:
    with TaggedProvider(now=clock.now) as fake:  # arrival times on the fake clock
        yield fake


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", KEY)


def _settings(server: TaggedProvider, **kw: Any) -> Settings:
    base = Settings(provider="openai", preset="custom", api_base=server.url,
                    model="fake-model", pause_s=0.0)  # fmt: skip
    return replace(base, **kw)


def _notes(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        path = folder / f"note{n}.txt"
        path.write_text(f"MARK-{n} A short note number {n} about pacing.\n", encoding="utf-8")
        paths.append(path)
    return paths


async def _run(
    home: Path, settings: Settings, clock: FakeClock, docs: list[Path], *, resume: bool = False
) -> tuple[list[Job], list[str], dict[str, Any]]:
    """Add, run until empty (and resume once if asked); return jobs, job 1's log, queue meta."""
    engine = await Engine.open(home, settings=settings, clock=clock)
    try:
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        meta = engine.store.meta
        paused = {"paused": meta.paused, "kind": meta.pause_kind, "reason": meta.pause_reason}
        paused["jobs"] = await engine.store.list_jobs()
        if resume:
            await engine.resume()
            await engine.run(until_empty=True)
        jobs = await engine.store.list_jobs()
        log = [e.message for e in await engine.store.job_log(jobs[0].id)]
        return jobs, log, paused
    finally:
        await engine.close()


# Retryable faults: (action, kind, the server's wait or None for the computed backoff).
RETRYABLE = [
    ("429", "rate_limited", None),
    ("429-retry-after:3", "rate_limited", 3.0),
    ("500", "server_error", None),
    ("503", "server_error", None),
    ("503-retry-after:7", "server_error", 7.0),
    ("cut", "truncated", None),
    ("truncated", "truncated", None),
    ("malformed", "bad_response", None),
    ("malformed-sse", "bad_response", None),
]


@pytest.mark.parametrize(("action", "kind", "wait"), RETRYABLE, ids=[r[0] for r in RETRYABLE])
def test_a_retryable_fault_is_retried_once_after_its_wait_and_the_job_is_done_once(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path,
    action: str, kind: str, wait: float | None,
) -> None:  # fmt: skip
    server.script([action, "ok"])
    jobs, log, _ = asyncio.run(_run(home, _settings(server), clock, _notes(tmp_path, 1)))
    (job,) = jobs
    assert (job.state, job.attempts, job.error_kind) == (JobState.DONE, 2, None)
    assert tag_of(job.result) == 2  # the answer of the second call, not of the failed one
    assert len(server.chat_requests) == 2
    assert any(m.startswith(f"attempt 1 of 5 failed ({kind})") and "retrying in" in m
               for m in log), log  # fmt: skip
    if wait is not None:
        assert clock.sleeps == [wait]  # the server's Retry-After, exactly
    else:
        assert len(clock.sleeps) == 1 and BASE * (1 - JITTER) <= clock.sleeps[0] <= BASE


def test_a_connection_reset_before_any_answer_is_an_outage_and_uses_no_attempt(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path
) -> None:
    server.script(["reset", "ok"])
    jobs, log, _ = asyncio.run(_run(home, _settings(server), clock, _notes(tmp_path, 1)))
    (job,) = jobs
    assert (job.state, job.attempts, job.error_kind) == (JobState.DONE, 1, None)
    assert tag_of(job.result) == 2
    assert any(m.startswith("server unreachable (connection)") and "no attempt used" in m
               for m in log), log  # fmt: skip
    assert len(clock.sleeps) == 1 and 1.8 <= clock.sleeps[0] <= 2.0  # a quick probe


def test_a_long_outage_burns_no_job_and_probes_at_most_every_15_s(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path
) -> None:
    # Four minutes of resets (about 20 probes), then the server is back.
    server.script(["reset"] * 20)
    jobs, _, _ = asyncio.run(_run(home, _settings(server), clock, _notes(tmp_path, 3)))
    assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 1)] * 3
    arrivals = [server.arrived_at[r.n] for r in server.chat_requests]
    gaps = [b - a for a, b in itertools.pairwise(arrivals[:21])]
    assert gaps[:3] == pytest.approx([2.0, 4.0, 8.0], rel=0.11)  # 2, 4, 8 s less jitter
    assert max(gaps) <= 15.0  # never more than 15 s between probes: back within 20 s
    assert sum(gaps) >= 200.0  # it did wait out the outage (no tight loop)


def test_a_bad_key_pauses_the_queue_with_one_call_and_resume_finishes_it(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path
) -> None:
    server.script(["401"])
    jobs, _, paused = asyncio.run(
        _run(home, _settings(server), clock, _notes(tmp_path, 3), resume=True)
    )
    assert paused["paused"] and paused["kind"] == "bad_key"
    assert "bad API key" in paused["reason"] and KEY not in paused["reason"]
    assert [(j.state, j.attempts) for j in paused["jobs"]] == [(JobState.QUEUED, 0)] * 3
    assert [j.state for j in jobs] == [JobState.DONE] * 3
    assert len(server.chat_requests) == 4 and clock.sleeps == []  # no backoff for a bad key


def test_a_bad_request_fails_only_its_job_without_backoff(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path
) -> None:
    server.script(["400", "ok"])
    jobs, _, _ = asyncio.run(_run(home, _settings(server), clock, _notes(tmp_path, 2)))
    assert [(j.state, j.error_kind, j.attempts) for j in jobs] == [
        (JobState.FAILED, "bad_request", 1), (JobState.DONE, None, 1)]  # fmt: skip
    assert len(server.chat_requests) == 2 and clock.sleeps == []


def test_an_answer_after_the_client_timed_out_is_dropped_and_the_retry_counts(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path
) -> None:
    # The first answer comes 0.6 s late to a client that waits 0.2 s.
    server.script(["slow:0.6", "ok"])
    settings = _settings(server, request_timeout_s=0.2)
    jobs, log, _ = asyncio.run(_run(home, settings, clock, _notes(tmp_path, 1)))
    (job,) = jobs
    assert (job.state, job.attempts, tag_of(job.result)) == (JobState.DONE, 2, 2)
    assert any(m.startswith("attempt 1 of 5 failed (timeout)") for m in log), log
    # Let the late answer go out (into a closed connection), then check nothing changed.
    server.wait_until(lambda: False, 0.8)
    assert len(server.chat_requests) == 2

    async def look() -> Job | None:
        engine = await Engine.open(home, settings=settings, clock=clock)
        try:
            return await engine.store.get(job.id)
        finally:
            await engine.close()

    again = asyncio.run(look())
    assert again is not None and (again.state, again.result) == (job.state, job.result)


# ---------------------------------------------------------------------------------- storms


def _lower_bound(failure: int, base: float = BASE, cap: float = CAP) -> float:
    """The shortest wait the schedule allows after the n-th consecutive failure."""
    return min(cap, base * 2 ** (failure - 1)) * (1 - JITTER)


def _calls_allowed(window: float, floors: list[float]) -> int:
    """How many calls fit in ``window`` seconds from the first if every wait is its floor."""
    calls, spent = 1, 0.0
    for floor in floors:
        spent += floor
        if spent > window:
            break
        calls += 1
    return calls


@pytest.mark.parametrize("fault", ["500", "429-retry-after:40"])
def test_a_storm_of_failures_follows_the_backoff_schedule(
    home: Path, server: TaggedProvider, clock: FakeClock, tmp_path: Path, fault: str
) -> None:
    server.default = fault  # every call fails, for three jobs of five attempts each
    jobs, _, _ = asyncio.run(_run(home, _settings(server), clock, _notes(tmp_path, 3)))
    assert [(j.state, j.attempts) for j in jobs] == [(JobState.FAILED, 5)] * 3
    assert all("gave up after 5 attempts" in (j.error or "") for j in jobs)
    chats = server.chat_requests
    assert len(chats) == 15  # jobs x attempts: bounded, never a loop
    arrivals = [server.arrived_at[r.n] for r in chats]
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    for failure, gap in enumerate(gaps, start=1):
        # The failures run on across jobs: the next job does not start the schedule over.
        floor = 40.0 if fault.startswith("429") else _lower_bound(failure)
        assert gap >= floor, (failure, gap, floor)
    # The same as a rate: in any window from the first call, no more calls than it allows.
    floors = [40.0 if fault.startswith("429") else _lower_bound(n) for n in range(1, 15)]
    for window in (60.0, 600.0, 3600.0):
        seen = sum(1 for t in arrivals if t - arrivals[0] <= window)
        assert seen <= _calls_allowed(window, floors), (window, seen)


def test_a_storm_in_a_worker_process_follows_the_tiny_backoff_from_settings(
    home: Path, tmp_path: Path
) -> None:
    base, cap = 0.02, 0.08
    (home / "settings.json").write_text(
        json.dumps({"backoff_base_s": base, "backoff_cap_s": cap, "max_attempts": 3,
                    "pause_s": 0}), encoding="utf-8",
    )  # fmt: skip
    with TaggedProvider(default="503") as server:  # real monotonic arrival times
        env = {"PACELINE_PROVIDER": "openai", "PACELINE_API_BASE": server.url,
               "PACELINE_API_KEY": KEY, "PACELINE_MODEL": "fake-model"}  # fmt: skip
        assert run_cli(home, "add", *map(str, _notes(tmp_path, 4)), env=env).returncode == 0
        ran = subprocess.run(
            [sys.executable, "-m", "core.cli", "run", "--until-empty"], capture_output=True,
            text=True, cwd=ROOT, env={**os.environ, "PACELINE_HOME": str(home), **env},
            timeout=60,
        )  # fmt: skip
        assert ran.returncode == JOBS_FAILED, ran.stderr  # every job of the run failed
        chats = server.chat_requests
        arrivals = [server.arrived_at[r.n] for r in chats]
    listed = json.loads(run_cli(home, "list", "--json").stdout)
    assert [(j["state"], j["error_kind"]) for j in listed] == [("failed", "server_error")] * 4
    assert len(chats) == 4 * 3
    gaps = [b - a for a, b in itertools.pairwise(arrivals)]
    # Lower bounds only: a sleep never ends early, so this cannot flake on a slow machine.
    for failure, gap in enumerate(gaps, start=1):
        assert gap >= _lower_bound(failure, base, cap), (failure, gap)
