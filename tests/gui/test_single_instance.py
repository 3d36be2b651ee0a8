"""Single instance: a second launch forwards its paths; a crashed primary is replaced."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import signal
import subprocess
import sys
from pathlib import Path

from gui.single_instance import SingleInstance, forward_to_primary
from tests.helpers import ROOT

FORWARD = (
    "import sys\n"
    "from pathlib import Path\n"
    "from PySide6.QtCore import QCoreApplication\n"
    "from gui.single_instance import SingleInstance, forward_to_primary\n"
    "app = QCoreApplication([])\n"
    "home = Path(sys.argv[1])\n"
    "me = SingleInstance(home)\n"
    "if me.try_become_primary():\n"
    "    print('primary', flush=True)\n"
    "    if len(sys.argv) > 2 and sys.argv[2] == 'hold':\n"
    "        import time; time.sleep(60)\n"
    "    sys.exit(0)\n"
    "sys.exit(0 if forward_to_primary(home, sys.argv[2:]) else 1)\n"
)


def _second_launch(home: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", FORWARD, str(home), *args], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})


def test_a_second_launch_forwards_its_paths(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    home = tmp_path / "home"
    primary = SingleInstance(home)
    assert primary.try_become_primary()
    try:
        with qtbot.waitSignal(primary.paths_received, timeout=10_000) as blocker:
            second = _second_launch(home, "/docs/a.pdf", "relative.txt")
        # keep the primary's event loop turning so its reply reaches the second launch
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=10_000)
        assert second.returncode == 0, second.stderr.read() if second.stderr else ""
        forwarded = blocker.args[0]
        assert forwarded[0] == "/docs/a.pdf"
        assert forwarded[1].endswith("relative.txt") and Path(forwarded[1]).is_absolute()
    finally:
        primary.release()


def test_other_homes_do_not_talk_to_each_other(tmp_path: Path) -> None:
    primary = SingleInstance(tmp_path / "one")
    assert primary.try_become_primary()
    try:
        other = SingleInstance(tmp_path / "two")
        assert other.try_become_primary()
        other.release()
        assert not forward_to_primary(tmp_path / "three", ["x.txt"])
    finally:
        primary.release()


def test_after_kill_9_of_the_primary_the_next_launch_becomes_primary(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = _second_launch(home, "hold")
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "primary"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=10)
    assert (home / "instance.lock").exists()  # left behind by the crash
    successor = SingleInstance(home)
    assert successor.try_become_primary()
    successor.release()
