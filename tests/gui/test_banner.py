"""The queue banner: countdowns on the injected clock, paused and stopped queues, full queue."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QDate, QDateTime, QTime

from core.errors import ErrorClass, JobError
from core.events import QueueStateChanged
from core.settings import Settings
from gui.app import PacelineApp
from gui.banner import QueueBanner
from tests.fake_analyzers import ScriptedAnalyzer
from tests.fake_clock import FakeClock
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]


def wait_event(until_: float, kind: str, reason: str = "", failures: int = 0,
               paused: bool = False) -> QueueStateChanged:
    return QueueStateChanged(paused, None, None, until_, reason, kind, failures)


def test_the_countdown_follows_the_fake_clock(styled_app: object) -> None:
    clock = FakeClock(start=1000.0)
    banner = QueueBanner(clock)
    banner.set_queue_state(wait_event(1030.0, "backoff", "Backing off: HTTP 503", failures=2))
    assert banner.isVisibleTo(banner.parentWidget() or banner) or banner.mode == "wait"
    assert banner.mode == "wait"
    assert banner.level == "warning"
    assert "30 s" in banner.text and "2 failed call" in banner.text
    # Worded from the kind of wait, not the core's English reason.
    assert "doubles the wait" in banner.detail and "HTTP 503" not in banner.detail
    banner.set_last_error("server_error")
    assert banner.detail.startswith("Last error: Server error.")
    clock.advance(12.5)
    banner.tick()
    assert "18 s" in banner.text  # rounded up: 17.5 s left shows as 18 s
    clock.advance(17.5)
    banner.tick()
    assert banner.mode is None and not banner.isVisible()


def test_an_answer_held_while_the_database_refuses_it_is_said_plainly(
    styled_app: object,
) -> None:
    clock = FakeClock(start=0.0)
    banner = QueueBanner(clock)
    reason = "Another program has kept Paceline's database locked for longer than 30 s."
    banner.set_queue_state(wait_event(4.0, "storage", reason))
    assert banner.mode == "wait" and banner.level == "warning"
    assert "could not save an answer yet" in banner.text and "4 s" in banner.text
    assert "answer is kept" in banner.detail and "locked" in banner.detail
    assert banner.button("Retry now") is None  # the pacer cannot speed up a save


def test_an_unreachable_server_says_since_when_and_that_no_attempt_is_used(
    styled_app: object,
) -> None:
    clock = FakeClock(start=1000.0)
    banner = QueueBanner(clock)
    since = QDateTime(QDate(2026, 12, 2), QTime(14, 2, 30)).toSecsSinceEpoch()
    banner.set_queue_state(QueueStateChanged(
        False, None, None, 1012.0, "Cannot reach the server", "unreachable", 3, float(since)))
    assert (banner.mode, banner.level) == ("wait", "warning")
    assert banner.text == "The server cannot be reached since 14:02: next try in 12 s."
    assert "keep their attempts" in banner.detail
    assert banner.button("Retry now") is not None


def test_retry_now_and_the_kinds_of_wait(styled_app: object) -> None:
    clock = FakeClock(start=0.0)
    banner = QueueBanner(clock)
    pressed: list[bool] = []
    banner.retry_now_requested.connect(lambda: pressed.append(True))
    banner.set_queue_state(wait_event(42.0, "retry_after", "The server asked to wait 42 s"))
    assert "server asked" in banner.text and "42 s" in banner.text
    banner.button("Retry now").click()
    assert pressed == [True]
    banner.set_queue_state(wait_event(8.0, "pause", "Pausing 10 s between calls"))
    assert banner.level == "info" and "next call in 8 s" in banner.text
    banner.set_queue_state(wait_event(90.0, "throttle", "Token limit"))
    assert "1 min 30 s" in banner.text


def test_a_routine_pause_keeps_the_strip_while_calls_go_on(styled_app: object) -> None:
    clock = FakeClock(start=0.0)
    banner = QueueBanner(clock)
    banner.set_busy(True)
    banner.set_queue_state(wait_event(5.0, "pause"))
    banner.set_queue_state(QueueStateChanged(False, None, None, None, None, None))
    assert banner.mode == "calling"  # no jump of the table between calls
    banner.set_busy(False)
    assert banner.mode is None


def test_paused_stopped_and_full(styled_app: object) -> None:
    banner = QueueBanner(FakeClock())
    wanted: list[str] = []
    banner.settings_requested.connect(lambda: wanted.append("settings"))
    banner.resume_requested.connect(lambda: wanted.append("resume"))

    banner.set_queue_state(QueueStateChanged(True, "Paused by you", "user", None, None, None))
    assert banner.mode == "paused" and banner.level == "info"
    banner.button("Resume").click()

    banner.set_queue_state(QueueStateChanged(
        True, "The API key was refused (HTTP 401).", "bad_key", None, None, None))
    assert banner.mode == "stopped" and banner.level == "error"
    assert "API key" in banner.text and "valid API key" in banner.detail
    assert "HTTP 401" not in banner.detail  # the provider's words are in the job's row
    banner.button("Open Settings…").click()
    assert wanted == ["resume", "settings"]

    banner.set_queue_state(QueueStateChanged(False, None, None, None, None, None))
    assert banner.mode is None
    banner.set_queue_full(50, 50)
    assert banner.mode == "full" and "50" in banner.text


@pytest.fixture
def throttled(monkeypatch: pytest.MonkeyPatch) -> tuple[FakeClock, ScriptedAnalyzer]:
    clock = FakeClock(start=100.0, auto_advance=False)
    analyzer = ScriptedAnalyzer(clock, latency=0.0, faults=[JobError(
        "server_error", "HTTP 503: the server is overloaded.",
        error_class=ErrorClass.RETRYABLE)])
    monkeypatch.setattr("core.engine.make_analyzer", lambda *_args, **_kw: analyzer)
    return clock, analyzer


def test_the_window_counts_down_a_real_backoff_and_retry_now_ends_it(
    loop: qasync.QEventLoop, start_app: StartApp, tmp_path: Path,
    throttled: tuple[FakeClock, ScriptedAnalyzer],
) -> None:
    clock, analyzer = throttled
    app = start_app(clock=clock, settings=Settings(backoff_base_s=20.0))
    banner = app.window.queue_banner
    run(loop, app.window.add_paths(make_docs(tmp_path, 1)))
    run(loop, until(lambda: banner.mode == "wait", what="the backoff banner"))
    assert "Backing off after 1 failed call" in banner.text
    assert "Last error: Server error." in banner.detail
    first = banner.seconds_left()
    assert 15.0 <= first <= 20.0  # base 20 s with up to 20 % jitter
    clock.advance(5.0)
    banner.tick()
    assert banner.seconds_left() == pytest.approx(first - 5.0)
    banner.button("Retry now").click()
    run(loop, until(lambda: app.window.last_summary.counts.get("done") == 1,
                    what="the job done after Retry now"))
    assert len(analyzer.calls) == 2
    run(loop, until(lambda: banner.mode != "wait", what="the countdown gone"))
