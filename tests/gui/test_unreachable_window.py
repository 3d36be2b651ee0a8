"""The window while the provider's server cannot be reached: the queue waits, no job pays."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication

from core.states import JobState
from gui.app import PacelineApp
from tests.fake_clock import FakeClock
from tests.gui.conftest import make_docs, run, until

StartApp = Callable[..., PacelineApp]
SCREENSHOT = os.environ.get("PACELINE_SCREENSHOT_UNREACHABLE")  # e.g. /tmp/unreachable.png


def _closed_port() -> int:
    with socket.socket() as sock:  # bound, then closed: nothing listens there
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_the_banner_says_since_when_the_server_is_unreachable_and_jobs_keep_attempts(
    loop: qasync.QEventLoop, start_app: StartApp, home: Path, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    (home / "settings.json").write_text(json.dumps({
        "provider": "openai", "preset": "custom", "model": "fake-model", "pause_s": 0,
        "api_base": f"http://127.0.0.1:{_closed_port()}/v1",
    }), encoding="utf-8")  # fmt: skip
    monkeypatch.setenv("PACELINE_API_KEY", "sk-test-window")
    clock = FakeClock(auto_advance=False)  # the probe's wait stays on the banner
    app = start_app(clock=clock)
    window = app.window
    window.resize(1100, 640)
    run(loop, window.add_paths(make_docs(tmp_path, 3)))
    banner = window.queue_banner
    run(loop, until(lambda: banner.mode == "wait" and "cannot be reached" in banner.text,
                    what="the unreachable banner"))
    since = time.strftime("%H:%M", time.localtime(clock.wall()))
    assert banner.text == f"The server cannot be reached since {since}: next try in 2 s."
    assert banner.level == "warning" and "keep their attempts" in banner.detail
    jobs = window.model.jobs()
    assert [(j.state, j.attempts) for j in jobs] == [(JobState.QUEUED, 0)] * 3
    run(loop, until(lambda: window.last_summary is not None
                    and window.last_summary.counts.get("queued") == 3, what="the counts"))
    if SCREENSHOT:
        window.add_banner.dismiss()
        QApplication.processEvents()
        window.grab().save(SCREENSHOT)
