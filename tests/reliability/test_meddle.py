"""The meddling trial at CI size: the acceptance test of leases, the change feed and stored waits.

A worker (``paceline-cli run``, SIGKILLed at random and started again) and a meddler (a second
process that cancels, re-triggers, removes, moves, pauses and resumes jobs and holds the
database locked past the busy timeout) share one queue, against a provider that answers some
calls with 429 + Retry-After, 500, a reset or a truncated stream. The run is judged afterwards
from the provider's call log, the meddler's action log and the database (see
``tests/reliability/meddle.py`` and the README of this folder). The long run is
``benchmarks/meddle_soak.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.reliability.meddle import (
    Action,
    DbState,
    Evidence,
    JobRow,
    Judge,
    Life,
    MeddleConfig,
    MeddleReport,
    run_trial,
)
from tests.reliability.meddle_provider import Call, FaultPlan

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX SIGKILL")

# Sized for under a minute on two cores (about 45 s): about 90 calls, 15 kills, about 20
# meddler actions.
CI_CONFIG = MeddleConfig(
    jobs=40,
    kills=15,
    seed=18,  # its meddler draws a mix of every kind of action in the first twenty
    multi_share=0.15,
    max_parts=3,
    # Shorter calls than the long run's, fewer slow ones and fewer 429s (each one is waited
    # out for real); the harness adds a 429 before each of its after-429 kills.
    faults=FaultPlan(rate_429=0.05, think_s=(0.08, 0.25), long_share=0.05, long_think_s=(0.8, 1.5)),
    meddle_gap_s=(0.3, 1.1),
    lock_hold_s=(1.7, 2.1),
    pause_hold_s=(0.4, 1.0),
    weights=(
        ("cancel", 5),
        ("retrigger", 5),
        ("remove", 2),
        ("move", 2),
        ("pause", 2),
        ("lock", 2),
    ),
    life_timeout_s=4.0,
)


@pytest.mark.timeout(90)
def test_meddling_worker_kills_and_faults_leave_every_figure_at_zero(tmp_path: Path) -> None:
    report = run_trial(CI_CONFIG, tmp_path)
    print(report.table())  # shown by pytest -s, or when the test fails
    # The trial must really have meddled, killed and faulted, or the zeros mean nothing.
    assert sum(1 for life in report.lives if life.killed) >= 8, report.table()
    assert sum(1 for a in report.actions if a.by == "meddler") >= 8, report.table()
    assert sum(v for k, v in report.call_actions.items() if k != "ok") >= 3, report.table()
    figures = report.figures()
    assert figures == {name: ("ok" if isinstance(v, str) else 0) for name, v in figures.items()}, (
        report.table()
    )


# ------------------------------------------------------------------ the judge on made-up runs
# The trial is only as good as its judge: these feed it small runs whose figures are known.

ONE_JOB = {1: 1}  # document 1 is job 1
ONE_PART = {1: 1}  # and needs one call
KEY = (1, 0, True)


def _call(n: int, arrived: float, action: str = "ok", **kw: object) -> Call:
    return Call(n=n, arrived=arrived, action=action, think_s=0.2, key=KEY, **kw)  # type: ignore[arg-type]


def _db(at: float, state: str, result: str | None = None, started: float | None = None) -> DbState:
    row = JobRow(state, result, None, started, None)
    return DbState(at, "ok", {1: row}, {}, {})


def _judge(
    calls: list[Call],
    state: DbState,
    actions: list[Action] | None = None,
    lives: list[Life] | None = None,
) -> MeddleReport:
    lives = lives or [Life(1, "final", 0.0, ended=90.0, exit_code=0)]
    evidence = Evidence(calls, actions or [], lives, ONE_JOB, ONE_PART, 0.0, state, state)
    report = MeddleReport(CI_CONFIG)
    Judge(evidence, CI_CONFIG, report).judge()
    return report


def test_the_judge_counts_an_answer_thrown_away_and_sent_again() -> None:
    calls = [_call(1, 1.0, written=1.2), _call(2, 2.0, written=2.2)]
    report = _judge(calls, _db(100.0, "done", "Analysis [r2]."))
    assert len(report.thrown_away) == 1 and "r1" in report.thrown_away[0]
    assert len(report.resent_without_retrigger) == 1
    assert report.unexplained == []  # done by its last final call's answer


def test_a_cancel_and_a_retrigger_explain_the_same_run() -> None:
    calls = [_call(1, 1.0, written=1.2), _call(2, 2.0, written=2.2)]
    actions = [Action("cancel", [1], 1.1, 1.4, True), Action("retrigger", [1], 1.5, 1.8, True)]
    report = _judge(calls, _db(100.0, "done", "Analysis [r2]."), actions)
    assert report.thrown_away == [] and report.resent_without_retrigger == []
    assert report.discarded_for == {"cancel": 1} and report.resent_after_retrigger == 1


def test_a_kill_right_after_an_answer_is_paid_but_not_thrown_away() -> None:
    lives = [
        Life(1, "kill", 0.0, ended=1.3, killed=True, killed_at=1.25),
        Life(2, "final", 1.4, ended=90.0, exit_code=0),
    ]
    calls = [_call(1, 1.0, written=1.2), _call(2, 2.0, written=2.2)]
    report = _judge(calls, _db(100.0, "done", "Analysis [r2]."), lives=lives)
    assert report.thrown_away == [] and report.killed_before_saving == 1
    assert len(report.resent_without_retrigger) == 1  # stale: only a re-trigger may re-send


def test_the_judge_sees_overlapping_calls_and_an_early_call_after_a_429() -> None:
    calls = [
        _call(1, 1.0, hung_up=3.0),
        _call(2, 2.0, "429", retry_after=2, written=2.02),
        _call(3, 2.5, written=2.7),
    ]
    report = _judge(calls, _db(100.0, "done", "Analysis [r3]."))
    assert len(report.in_flight_twice) == 2  # r2 and r3 while r1 was still going
    assert len(report.before_retry_after) == 1 and "r3" in report.before_retry_after[0]
    # A kill within 0.3 s of the 429 may have come before the wait was stored.
    lives = [
        Life(1, "kill", 0.0, ended=2.2, killed=True, killed_at=2.1),
        Life(2, "final", 2.3, ended=90.0, exit_code=0),
    ]
    assert _judge(calls, _db(100.0, "done", "Analysis [r3]."), lives=lives).before_retry_after == []


def test_a_stale_job_needs_a_worker_that_died_after_its_claim() -> None:
    report = _judge([_call(1, 5.5, hung_up=6.1)], _db(100.0, "stale", started=5.0))
    assert len(report.unexplained) == 1
    lives = [
        Life(1, "kill", 0.0, ended=6.1, killed=True, killed_at=6.0),
        Life(2, "final", 6.2, ended=90.0, exit_code=0),
    ]
    report = _judge([_call(1, 5.5, hung_up=6.1)], _db(100.0, "stale", started=5.0), lives=lives)
    assert report.unexplained == [] and report.explained


def test_a_cancel_before_the_call_started_explains_nothing() -> None:
    # Cancelled and re-triggered before r1 was sent: r1 is the new claim's call, so if its
    # answer is stored nowhere, it was thrown away.
    calls = [_call(1, 1.0, written=1.2), _call(2, 2.0, written=2.2)]
    actions = [Action("cancel", [1], 0.1, 0.4, True), Action("retrigger", [1], 0.5, 0.8, True)]
    report = _judge(calls, _db(100.0, "done", "Analysis [r2]."), actions)
    assert len(report.thrown_away) == 1 and len(report.resent_without_retrigger) == 1
