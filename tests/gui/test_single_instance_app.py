"""Single instance through the real entry point: ``python -m gui.app PATH...`` twice.

Each launch is a separate process on the same PACELINE_HOME (offscreen). The queue is read
straight from SQLite, so the test sees what the primary window committed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import qasync

from core import paths
from gui.app import PacelineApp
from tests.gui.conftest import make_docs, run, until
from tests.helpers import ROOT

LAUNCH_TIMEOUT_S = 30.0


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES")}
    # English messages whatever the machine's language (the test reads one).
    return {**env, "PACELINE_HOME": str(home), "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": str(ROOT), "LANG": "en_US.UTF-8"}


def _launch(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "gui.app", *args], cwd=ROOT, env=_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _jobs(home: Path) -> list[tuple[str, str]]:
    """(document name, state) of every job, as committed."""
    db = paths.db_path(home)
    if not db.exists():
        return []
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            rows = conn.execute("SELECT path, state FROM jobs ORDER BY id").fetchall()
    except sqlite3.Error:
        return []  # not created yet
    return [(Path(p).name, s) for p, s in rows]


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + LAUNCH_TIMEOUT_S
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def launched() -> Iterator[list[subprocess.Popen[str]]]:
    """Every process a test starts; whatever is still running at the end is killed."""
    processes: list[subprocess.Popen[str]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_two_launches_leave_one_window_with_every_file_queued_once(
    home: Path, tmp_path: Path, launched: list[subprocess.Popen[str]]
) -> None:
    one, two = make_docs(tmp_path, 2)
    primary = _launch(home, str(one))
    launched.append(primary)
    _wait_for(lambda: [n for n, _ in _jobs(home)] == [one.name], "the first window's job")

    # From another folder, with a relative path: the window gets it as an absolute one.
    second = subprocess.run(
        [sys.executable, "-m", "gui.app", two.name, str(one)], cwd=tmp_path, env=_env(home),
        capture_output=True, text=True, timeout=LAUNCH_TIMEOUT_S)
    assert second.returncode == 0, second.stderr
    assert "already open" in second.stdout and "2 items" in second.stdout

    _wait_for(lambda: len(_jobs(home)) == 2 and all(s == "done" for _, s in _jobs(home)),
              "the forwarded file processed by the first window")
    assert sorted(n for n, _ in _jobs(home)) == sorted([one.name, two.name])  # once each
    assert primary.poll() is None  # still the one window

    primary.send_signal(signal.SIGTERM)
    assert primary.wait(timeout=LAUNCH_TIMEOUT_S) == 0


def test_after_kill_9_the_next_launch_becomes_the_primary(
    home: Path, tmp_path: Path, launched: list[subprocess.Popen[str]]
) -> None:
    one, two, three = make_docs(tmp_path, 3)
    first = _launch(home, str(one))
    launched.append(first)
    _wait_for(lambda: any(s == "done" for _, s in _jobs(home)), "the first window working")
    first.kill()  # SIGKILL: the lock file and the socket stay behind
    first.wait(timeout=10)
    assert (home / "instance.lock").exists()

    successor = _launch(home, str(two))
    launched.append(successor)
    _wait_for(lambda: any(n == two.name and s == "done" for n, s in _jobs(home)),
              "the successor's own job")
    assert successor.poll() is None  # it did not hand over to a dead window: it is primary

    # ... and it serves the next launch.
    third = subprocess.run([sys.executable, "-m", "gui.app", str(three)], cwd=ROOT,
                           env=_env(home), capture_output=True, text=True,
                           timeout=LAUNCH_TIMEOUT_S)
    assert third.returncode == 0, third.stderr
    _wait_for(lambda: any(n == three.name and s == "done" for n, s in _jobs(home)),
              "the third launch's file processed by the successor")
    successor.send_signal(signal.SIGTERM)
    assert successor.wait(timeout=LAUNCH_TIMEOUT_S) == 0


def test_paths_forwarded_while_starting_wait_for_the_window(
    loop: qasync.QEventLoop, home: Path, tmp_path: Path
) -> None:
    one, two, three = make_docs(tmp_path, 3)
    app = PacelineApp(home, [str(one)])
    app.receive_paths([str(two)])  # arrives before start(): kept with the app's own paths
    run(loop, app.start())
    try:
        window = app.window
        assert window is not None
        window.hide()  # in the tray, say
        app.receive_paths([str(three)])
        assert window.isVisible()  # brought to the front for the person
        run(loop, until(lambda: window.last_summary.counts.get("done") == 3,
                        what="all three processed"))
        app.receive_paths([])  # a launch without files only raises the window
        assert window.isVisible()
    finally:
        run(loop, app.shutdown())
