"""ETA: learned from measured call durations, with pauses and backoff included."""

from __future__ import annotations

from core.eta import CallTimes, queue_eta
from core.jobs import Job
from core.states import JobState


def _job(
    job_id: int,
    state: JobState = JobState.QUEUED,
    size: int = 1000,
    planned: int = 0,
    done: int = 0,
) -> Job:
    return Job(
        id=job_id,
        path=f"/d/{job_id}.txt",
        size=size,
        mtime=0,
        sha256="x",
        profile="Summary",
        prompt="p",
        provider="openai",
        model="m",
        state=state,
        position=job_id,
        parts_planned=planned,
        parts_done=done,
        units=size,
    )


def test_learns_a_line_from_measured_calls() -> None:
    times = CallTimes("openai:m")
    for units in (1000, 2000, 3000, 4000):
        times.add(units, 1.0 + units / 1000)  # 1 s overhead + 1 s per 1000 chars
    assert abs(times.estimate(5000) - 6.0) < 1e-9
    assert abs(times.estimate(0) - 1.0) < 1e-9


def test_prior_before_any_measurement_and_scaling_with_one_sample() -> None:
    assert CallTimes("offline").estimate(100) == 0.05
    times = CallTimes("openai:m")
    assert times.estimate(100) == 20.0
    times.add(1000, 4.0)
    assert times.estimate(2000) == 8.0


def test_queue_eta_includes_pauses_backoff_and_parts() -> None:
    times = CallTimes("openai:m")
    for _ in range(5):
        times.add(1000, 3.0)
    jobs = [_job(1), _job(2), _job(3, size=3000, planned=4, done=1)]
    etas, total = queue_eta(
        jobs, times, pause_s=10, paced=True, context_chars=24_000, wait_left=30.0
    )
    # each call costs max(pause 10, 3 s) = 10 s; 30 s of backoff first
    assert etas[1] == 40.0
    assert etas[2] == 50.0
    assert etas[3] == 80.0  # 3 calls left
    assert total == 80.0


def test_unpaced_eta_uses_durations_only() -> None:
    times = CallTimes("offline")
    for u in (100, 200, 300):
        times.add(u, u / 1000)
    etas, total = queue_eta(
        [_job(1, size=1000), _job(2, size=2000)],
        times,
        pause_s=10,
        paced=False,
        context_chars=10**9,
    )
    assert abs(etas[1] - 1.0) < 1e-9 and abs(total - 3.0) < 1e-9


def test_running_job_counts_its_elapsed_time() -> None:
    times = CallTimes("openai:m", [(1000, 20.0)] * 3)
    etas, _ = queue_eta(
        [_job(1, JobState.RUNNING, planned=1)],
        times,
        pause_s=0,
        paced=True,
        context_chars=24_000,
        running_elapsed={1: 15.0},
    )
    assert etas[1] == 5.0


def test_calls_in_flight_share_the_duration() -> None:
    times = CallTimes("openai:m", [(1000, 4.0)] * 3)
    etas, total = queue_eta([_job(1), _job(2)], times, pause_s=0.5, paced=True,
                            context_chars=24_000, parallel=4)
    assert etas[1] == 1.0 and total == 2.0  # 4 s calls, 4 at a time: one finishes per second


def test_the_engine_takes_pacing_from_its_pacer() -> None:
    from core.adaptive import AdaptivePacer
    from core.pacing import FixedPacer
    from tests.fake_clock import FakeClock

    assert FixedPacer(FakeClock(), 10).eta_pacing() == (10, 1)
    pause, parallel = AdaptivePacer(FakeClock()).eta_pacing()
    assert pause > 0 and parallel >= 1
