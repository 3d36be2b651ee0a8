"""Before Qt starts: missing system libraries are named with the commands that install them.

The checking logic (gui/platform_check.py) is fed ldd output recorded on a minimal Debian 12;
the real ldd on this machine, the real entry point without a display and the self-test on a
real X server (Xvfb) are run as they are.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from gui import platform_check
from gui.platform_check import (
    NO_DISPLAY_MESSAGE,
    missing_in,
    plugin_file,
    pyside_dir,
    qt_import_problem,
    window_problem,
)
from tests.helpers import ROOT

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux only")

# `ldd libqxcb.so` on a Debian 12 desktop where the xcb utility libraries were never installed
# (the case of issue 14: Qt said "xcb-cursor0 is needed").
DESKTOP_WITHOUT_XCB_UTILS = """\
\tlinux-vdso.so.1 (0x00007ffd4f1e9000)
\tlibQt6XcbQpa.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6XcbQpa.so.6 (0x7f)
\tlibQt6Gui.so.6 => /venv/PySide6/Qt/plugins/platforms/../../lib/libQt6Gui.so.6 (0x7f)
\tlibGL.so.1 => /lib/x86_64-linux-gnu/libGL.so.1 (0x00007f2085d6f000)
\tlibxkbcommon-x11.so.0 => /lib/x86_64-linux-gnu/libxkbcommon-x11.so.0 (0x00007f2085d62000)
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f2085d5b000)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-render-util.so.0 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2084c1e000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f20869dd000)
"""
# `ldd QtCore.abi3.so QtWidgets.abi3.so libqxcb.so` on a minimal Debian 12 (debootstrap minbase
# with python3-venv and git), shortened.
MINIMAL_SYSTEM = """\
/venv/PySide6/QtCore.abi3.so:
\tlibglib-2.0.so.0 => not found
\tlibgthread-2.0.so.0 => not found
\tlibz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x00007f2085054000)
/venv/PySide6/QtWidgets.abi3.so:
\tlibEGL.so.1 => not found
\tlibGL.so.1 => not found
\tlibfontconfig.so.1 => not found
\tlibglib-2.0.so.0 => not found
/venv/PySide6/Qt/plugins/platforms/libqxcb.so:
\tlibxcb-cursor.so.0 => not found
\tlibxcb-icccm.so.4 => not found
\tlibxkbcommon-x11.so.0 => not found
\tlibfoo-unknown.so.3 => not found
"""
ALL_FOUND = "\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f2084c1e000)\n"


class RecordedLdd:
    """Answers like ldd with a recorded output per platform plugin; remembers what it was asked."""

    def __init__(self, by_plugin: dict[str, str | None]) -> None:
        self.by_plugin = by_plugin
        self.asked: list[list[str]] = []

    def __call__(self, files: Sequence[Path]) -> str | None:
        self.asked.append([f.name for f in files])
        return self.by_plugin.get(files[-1].name, ALL_FOUND)


def test_ldd_output_gives_each_missing_library_once() -> None:
    assert missing_in(DESKTOP_WITHOUT_XCB_UTILS) == [
        "libxcb-icccm.so.4", "libxcb-keysyms.so.1", "libxcb-render-util.so.0"]
    assert missing_in(ALL_FOUND) == []


def test_missing_xcb_libraries_are_named_with_the_apt_and_dnf_commands() -> None:
    ldd = RecordedLdd({"libqxcb.so": DESKTOP_WITHOUT_XCB_UTILS})
    message = window_problem({"DISPLAY": ":0"}, ldd, Path("/venv/PySide6"))
    assert message is not None
    assert "Qt's xcb platform plugin" in message
    assert "Missing: libxcb-icccm.so.4, libxcb-keysyms.so.1, libxcb-render-util.so.0" in message
    assert "sudo apt install libxcb-icccm4 libxcb-keysyms1 libxcb-render-util0" in message
    assert "sudo dnf install xcb-util-keysyms xcb-util-renderutil xcb-util-wm" in message
    assert ldd.asked == [["libqxcb.so"]]


def test_a_complete_system_passes() -> None:
    assert window_problem({"DISPLAY": ":0"}, RecordedLdd({}), Path("/venv/PySide6")) is None


def test_no_display_is_said_plainly() -> None:
    ldd = RecordedLdd({})
    assert window_problem({}, ldd, Path("/venv/PySide6")) == NO_DISPLAY_MESSAGE
    assert ldd.asked == []


@pytest.mark.parametrize("platform", ["offscreen", "minimal", "vnc:size=800x600"])
def test_platforms_without_a_desktop_are_not_checked(platform: str) -> None:
    ldd = RecordedLdd({"libqxcb.so": DESKTOP_WITHOUT_XCB_UTILS})
    assert window_problem({"QT_QPA_PLATFORM": platform}, ldd, Path("/venv/PySide6")) is None
    assert ldd.asked == []


def test_an_explicit_xcb_is_checked_even_on_wayland() -> None:
    ldd = RecordedLdd({"libqxcb.so": DESKTOP_WITHOUT_XCB_UTILS})
    env = {"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    message = window_problem(env, ldd, Path("/venv/PySide6"))
    assert message is not None and "libxcb-icccm.so.4" in message


def test_a_working_wayland_plugin_is_enough_on_a_wayland_desktop() -> None:
    ldd = RecordedLdd({"libqxcb.so": DESKTOP_WITHOUT_XCB_UTILS})
    env = {"WAYLAND_DISPLAY": "wayland-0", "DISPLAY": ":0"}
    assert window_problem(env, ldd, Path("/venv/PySide6")) is None
    assert ldd.asked == [["libqwayland.so"]]


def test_when_ldd_cannot_tell_qt_gets_its_chance() -> None:
    ldd = RecordedLdd({"libqxcb.so": None})
    assert window_problem({"DISPLAY": ":0"}, ldd, Path("/venv/PySide6")) is None


def test_a_failed_import_names_every_missing_library_not_only_the_first() -> None:
    error = ImportError("libglib-2.0.so.0: cannot open shared object file: No such file or "
                        "directory")
    ldd = RecordedLdd({"libqxcb.so": MINIMAL_SYSTEM})
    message = qt_import_problem(error, {"DISPLAY": ":0"}, ldd, Path("/venv/PySide6"))
    assert message is not None
    assert ("Missing: libEGL.so.1, libGL.so.1, libfontconfig.so.1, libfoo-unknown.so.3, "
            "libglib-2.0.so.0, libgthread-2.0.so.0, libxcb-cursor.so.0, libxcb-icccm.so.4, "
            "libxkbcommon-x11.so.0") in message
    assert ("sudo apt install libegl1 libfontconfig1 libgl1 libglib2.0-0 libxcb-cursor0 "
            "libxcb-icccm4 libxkbcommon-x11-0") in message
    # dnf finds a package by the library's name; apt needs apt-file for one not in the table
    assert "'libfoo-unknown.so.3()(64bit)'" in message
    assert "apt-file search NAME` finds the package of libfoo-unknown.so.3" in message


def test_other_import_errors_are_left_alone() -> None:
    ldd = RecordedLdd({"libqxcb.so": MINIMAL_SYSTEM})
    error = ImportError("No module named 'PySide6'")
    assert qt_import_problem(error, {"DISPLAY": ":0"}, ldd, Path("/venv/PySide6")) is None
    assert ldd.asked == []


def test_this_machine_has_every_library_for_the_xcb_plugin() -> None:
    """The real ldd on the installed plugin: this machine runs the Xvfb tests below."""
    pyside = pyside_dir()
    assert pyside is not None and plugin_file(pyside, "xcb").is_file()
    output = platform_check.run_ldd([plugin_file(pyside, "xcb")])
    assert output is not None and "libxcb-icccm.so.4 =>" in output
    assert window_problem({"DISPLAY": ":0", "QT_QPA_PLATFORM": "xcb"}) is None


def _env(**values: str) -> dict[str, str]:
    kept = {k: v for k, v in os.environ.items()
            if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    return {**kept, "PYTHONPATH": str(ROOT), **values}


def test_the_window_without_a_display_says_so_and_exits() -> None:
    done = subprocess.run([sys.executable, "-m", "gui.app"], cwd=ROOT, env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == platform_check.EXIT_CODE
    assert NO_DISPLAY_MESSAGE in done.stderr
    assert "Traceback" not in done.stderr


@pytest.fixture
def x_display() -> Iterator[str]:
    """A real X server (Xvfb) on a free display number, for the window on the xcb platform."""
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        pytest.skip("Xvfb is not installed")
    ready, told = os.pipe()
    server = subprocess.Popen([xvfb, "-displayfd", str(told), "-screen", "0", "1280x800x24",
                               "-nolisten", "tcp"], pass_fds=(told,), stderr=subprocess.DEVNULL)
    os.close(told)
    try:
        # Xvfb writes its display number once it accepts clients (nothing if it fails)
        with os.fdopen(ready, "rb") as answer:
            number = answer.readline().strip().decode()
        if not number:
            pytest.skip("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_self_test_opens_its_window_on_the_real_display(x_display: str) -> None:
    done = subprocess.run([sys.executable, "-m", "gui.app", "--self-test"], cwd=ROOT,
                          env=_env(DISPLAY=x_display), capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ok  the Qt platform starts (xcb)" in done.stdout
    assert "the window renders the result" in done.stdout
