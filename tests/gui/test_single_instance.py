"""Single instance: a second launch forwards its paths; a crashed primary is replaced."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from gui.single_instance import (
    MAX_MESSAGE_BYTES,
    SingleInstance,
    forward_to_primary,
    peer_uid,
    server_name,
)
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


# --- The socket is private: where it lives, who may answer, how much it reads (issue 14) ---

NOBODY = 65534
as_root = pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                             reason="needs root to act as another user")
unix_only = pytest.mark.skipif(sys.platform == "win32", reason="Unix socket files")

# A raw client: sends SIZE bytes without a line end, says whether the window hung up on it.
FLOOD = (
    "import socket, sys\n"
    "client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
    "client.connect(sys.argv[1])\n"
    "try:\n"
    "    client.sendall(b'x' * int(sys.argv[2]))\n"
    "    print('hung up' if client.recv(1) == b'' else 'answered', flush=True)\n"
    "except (BrokenPipeError, ConnectionResetError):\n"
    "    print('hung up', flush=True)\n"
)
# A server of another user: listens at a path, reports the bytes it was sent.
OTHER_USERS_SERVER = (
    "import socket, sys\n"
    "server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
    "server.bind(sys.argv[1])\n"
    "server.listen(1)\n"
    "print('listening', flush=True)\n"
    "connection, _ = server.accept()\n"
    "received = b''\n"
    "while chunk := connection.recv(65536):\n"
    "    received += chunk\n"
    "print(len(received), flush=True)\n"
)


@pytest.fixture
def short_tmp(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary folder like /tmp (anyone may create in it), with a path short enough for
    socket files in it, used as the system's temporary folder."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    folder.chmod(0o1777)
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _private_dir(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True)
    path.chmod(mode)
    return path


@unix_only
def test_the_socket_lives_in_the_runtime_folder_and_only_the_user_may_connect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runtime = _private_dir(tmp_path / "run")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    primary = SingleInstance(tmp_path / "home")
    assert primary.try_become_primary()
    try:
        socket_file = Path(primary.name)
        assert socket_file.parent == runtime
        info = socket_file.stat()
        assert stat.S_ISSOCK(info.st_mode) and info.st_uid == os.getuid()
        assert info.st_mode & 0o077 == 0  # no one else may connect
    finally:
        primary.release()


@unix_only
@pytest.mark.parametrize("mode", [0o777, 0o1777, 0o755])
def test_a_runtime_folder_others_may_use_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: int
) -> None:
    shared = _private_dir(tmp_path / "shared", mode)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(shared))
    home = _private_dir(tmp_path / "h")  # short enough for a socket path
    assert Path(server_name(home)).parent == home


@unix_only
def test_without_runtime_folder_and_with_a_long_home_a_folder_of_ones_own_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_tmp: Path
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    home = tmp_path / ("a-rather-long-folder-name-" * 4) / "home"
    home.mkdir(parents=True)
    name = Path(server_name(home))
    own = short_tmp / f"paceline-{os.getuid()}"
    assert name.parent == own
    assert own.stat().st_mode & 0o777 == 0o700


@unix_only
@as_root
def test_a_folder_taken_first_by_another_user_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, short_tmp: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    taken = _private_dir(short_tmp / f"paceline-{os.getuid()}")
    os.chown(taken, NOBODY, NOBODY)  # another user created the name before us
    home = tmp_path / ("a-rather-long-folder-name-" * 4) / "home"
    home.mkdir(parents=True)
    assert server_name(home) == ""  # no private folder left: no socket at all
    assert f"{taken} belongs to someone else" in caplog.text
    primary = SingleInstance(home)
    assert primary.try_become_primary()  # the window still opens, without forwarding
    try:
        assert not list(taken.iterdir())
        assert not forward_to_primary(home, ["/secret/a.pdf"])
    finally:
        primary.release()


@unix_only
@as_root
def test_a_socket_file_of_another_user_is_sent_nothing(
    qtbot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(_private_dir(tmp_path / "run")))
    home = tmp_path / "home"
    primary = SingleInstance(home)
    assert primary.try_become_primary()
    received: list[list[str]] = []
    primary.paths_received.connect(received.append)
    try:
        os.chown(primary.name, NOBODY, NOBODY)
        assert not forward_to_primary(home, ["/secret/a.pdf"])
        assert f"belongs to user id {NOBODY}" in caplog.text
        qtbot.wait(50)  # a connection, had there been one, would be served now
        assert received == []
    finally:
        primary.release()


@pytest.mark.skipif(not hasattr(socket, "SO_PEERCRED"), reason="SO_PEERCRED is Linux's")
@as_root
def test_a_process_of_another_user_answering_is_sent_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    system_python = Path("/usr/bin/python3")
    if not system_python.exists():
        pytest.skip("no /usr/bin/python3 that another user may run")
    runtime = _private_dir(tmp_path / "run")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    home = tmp_path / "home"
    home.mkdir()
    expected = Path(server_name(home))
    # The other user's server binds in a folder it may write to; the socket file is then put
    # where this user's window would listen and given to this user, so only the answering
    # process tells it apart.
    open_dir = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        open_dir.chmod(0o1777)
        bound = open_dir / "s.sock"
        server = subprocess.Popen([str(system_python), "-I", "-c", OTHER_USERS_SERVER, str(bound)],
                                  user=NOBODY, group=NOBODY, stdout=subprocess.PIPE, text=True,
                                  cwd="/")
        try:
            assert server.stdout is not None
            assert server.stdout.readline().strip() == "listening"
            os.rename(bound, expected)
            os.chown(expected, os.getuid(), os.getgid())
            assert not forward_to_primary(home, ["/secret/a.pdf"])
            assert f"runs as user id {NOBODY}" in caplog.text
            assert server.stdout.readline().strip() == "0"  # not one byte was sent
            assert server.wait(timeout=10) == 0
        finally:
            if server.poll() is None:
                server.kill()
                server.wait(timeout=10)
    finally:
        shutil.rmtree(open_dir, ignore_errors=True)


def test_peer_uid_names_the_user_at_the_other_end() -> None:
    if not hasattr(socket, "SO_PEERCRED"):
        pytest.skip("SO_PEERCRED is Linux's")
    one, two = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with one, two:
        assert peer_uid(one.fileno()) == os.getuid()
        one.sendall(b"still open")  # the descriptor was duplicated, not taken
        assert two.recv(16) == b"still open"


@unix_only
def test_an_oversized_message_is_cut_off_and_the_window_keeps_listening(
    qtbot, tmp_path: Path, caplog: pytest.LogCaptureFixture  # type: ignore[no-untyped-def]
) -> None:
    home = tmp_path / "home"
    primary = SingleInstance(home)
    assert primary.try_become_primary()
    received: list[list[str]] = []
    primary.paths_received.connect(received.append)
    try:
        flood = subprocess.Popen(
            [sys.executable, "-c", FLOOD, primary.name, str(4 * MAX_MESSAGE_BYTES)],
            stdout=subprocess.PIPE, text=True)
        qtbot.waitUntil(lambda: flood.poll() is not None, timeout=20_000)
        assert flood.stdout is not None and flood.stdout.read().strip() == "hung up"
        assert f"sent more than {MAX_MESSAGE_BYTES} bytes" in caplog.text
        assert received == []

        # ... and the next launch is served as usual
        with qtbot.waitSignal(primary.paths_received, timeout=10_000) as blocker:
            second = _second_launch(home, "/docs/b.pdf")
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=10_000)
        assert second.returncode == 0
        assert blocker.args[0] == ["/docs/b.pdf"]
    finally:
        primary.release()


def test_a_connection_that_sends_nothing_is_dropped(
    qtbot, tmp_path: Path, caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from PySide6.QtNetwork import QLocalSocket

    import gui.single_instance as single_instance

    monkeypatch.setattr(single_instance, "CONNECTION_PATIENCE_MS", 200)
    home = tmp_path / "home"
    primary = SingleInstance(home)
    assert primary.try_become_primary()
    try:
        silent = QLocalSocket()
        silent.connectToServer(primary.name)
        assert silent.waitForConnected(3000)
        # the window hangs up on it instead of holding it open forever
        qtbot.waitUntil(
            lambda: silent.state() == QLocalSocket.LocalSocketState.UnconnectedState,
            timeout=5000)
        assert "sent no complete message" in caplog.text
        # ... and the next launch is served as usual
        with qtbot.waitSignal(primary.paths_received, timeout=10_000) as blocker:
            second = _second_launch(home, "/docs/c.pdf")
        qtbot.waitUntil(lambda: second.poll() is not None, timeout=10_000)
        assert blocker.args[0] == ["/docs/c.pdf"]
    finally:
        primary.release()
