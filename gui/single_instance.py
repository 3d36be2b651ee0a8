"""Single instance: the first window is the primary; a second launch forwards its paths to it.

A QLockFile in the Paceline home decides who is primary. Qt treats a lock whose process is gone
as stale and takes it over, so a crash (even kill -9) never blocks the next launch. The primary
listens on a QLocalServer whose name is derived from the home folder, so two homes (two test
runs, two profiles) never talk to each other; a socket left behind by a crash is removed before
listening.

The paths a person opens are private, so on Unix the socket is a file in a folder only this
user can write to: the session's runtime folder (XDG_RUNTIME_DIR), else the Paceline home, else
a folder of this user's own in the temporary folder. Another local user can neither take the
name first nor connect (the socket is mode 0700). Before sending, a second launch checks that
the socket file is this user's, and on Linux that the process answering runs as this user too
(SO_PEERCRED). The primary reads at most MAX_MESSAGE_BYTES from a connection, then drops it.
On Windows the name is a named pipe that Qt restricts to this user.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import socket
import stat
import struct
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_MS = 1500
INSTANCE_LOCK = "instance.lock"
REPLY_TIMEOUT_MS = 3000
# A launch sends one JSON line of paths; thousands of them fit easily in 1 MiB.
MAX_MESSAGE_BYTES = 1024 * 1024
# A launch sends its line at once; a connection still unfinished after this long is dropped, so
# a stuck or hostile client cannot keep a connection (and its buffer) open forever.
CONNECTION_PATIENCE_MS = 10_000
# sun_path holds 108 bytes on Linux, 104 on macOS (with the final NUL).
MAX_SOCKET_PATH = 100


def _digest(home: Path) -> str:
    return hashlib.sha256(str(home.resolve()).encode("utf-8")).hexdigest()[:16]


def server_name(home: Path) -> str:
    """Where the primary listens: a socket path on Unix, a pipe name on Windows; "" when no
    private folder could be found (the primary then runs without taking forwarded paths)."""
    if sys.platform == "win32":
        user = os.environ.get("USERNAME") or "user"
        return f"paceline-{user}-{_digest(home)}"
    socket_file = f"paceline-{_digest(home)}.sock"
    for folder in _private_folders(home):
        path = folder / socket_file
        if len(os.fsencode(path)) <= MAX_SOCKET_PATH:
            return str(path)
    return ""


def _private_folders(home: Path) -> Iterator[Path]:
    """Folders, in order of preference, that only this user can write to."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and _is_private(Path(runtime), others_may_read=False):
        yield Path(runtime)
    if _is_private(home, others_may_read=True):
        yield home
    own = Path(tempfile.gettempdir()) / f"paceline-{os.getuid()}"
    with contextlib.suppress(OSError):
        own.mkdir(mode=0o700, exist_ok=True)
    if _is_private(own, others_may_read=False):
        yield own
    else:
        log.warning("%s belongs to someone else or others may use it: not used for Paceline's "
                    "window socket", own)


def _is_private(folder: Path, *, others_may_read: bool) -> bool:
    """A real folder (not a link) owned by this user that nobody else can write to."""
    try:
        info = folder.lstat()
    except OSError:
        return False
    forbidden = 0o022 if others_may_read else 0o077
    return (stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
            and not info.st_mode & forbidden)


def _socket_file_refusal(path: str) -> str | None:
    """Why a socket file must not be sent paths to, or None if it is this user's socket."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None  # nobody listens: connecting fails on its own
    except OSError as exc:
        return f"it cannot be checked ({exc.strerror})"
    if not stat.S_ISSOCK(info.st_mode):
        return "it is not a socket"
    if info.st_uid != os.getuid():
        return f"it belongs to user id {info.st_uid}, not to this user ({os.getuid()})"
    return None


def peer_uid(descriptor: int) -> int | None:
    """The user id of the process at the other end of a connected Unix socket (Linux), or
    None where the system does not tell."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    # fromfd duplicates the descriptor: closing the copy leaves Qt's socket open
    with socket.fromfd(descriptor, socket.AF_UNIX, socket.SOCK_STREAM) as peer:
        credentials = peer.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                      struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", credentials)
    return uid


class SingleInstance(QObject):
    """Owns the instance lock and, when primary, the local server receiving forwarded paths."""

    paths_received = Signal(list)  # list[str], absolute paths from another launch

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        home.mkdir(parents=True, exist_ok=True)
        self.name = server_name(home)
        self._lock = QLockFile(str(home / INSTANCE_LOCK))
        self._lock.setStaleLockTime(0)  # only a dead owner makes it stale, never its age
        self._server: QLocalServer | None = None

    def try_become_primary(self) -> bool:
        if not self._lock.tryLock(100):
            return False
        if not self.name:
            log.warning("no private folder for the window's socket: a second launch cannot "
                        "hand its files to this window")
            return True
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed primary
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # The lock is ours, so nobody else serves: keep running without forwarding.
            log.warning("cannot listen on %s (%s): a second launch cannot hand its files to "
                        "this window", self.name, server.errorString())
            return True
        server.newConnection.connect(self._on_connection)
        self._server = server
        return True

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock.isLocked():
            self._lock.unlock()

    def _on_connection(self) -> None:
        assert self._server is not None
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            # Qt stops reading from the system once its own buffer is full
            connection.setReadBufferSize(MAX_MESSAGE_BYTES)
            buffer = bytearray()

            def on_ready(sock: QLocalSocket = connection, buf: bytearray = buffer) -> None:
                self._read(sock, buf)

            connection.readyRead.connect(on_ready)
            connection.disconnected.connect(connection.deleteLater)
            patience = QTimer(connection)  # goes with the connection when it is deleted
            patience.setSingleShot(True)
            patience.timeout.connect(lambda sock=connection: self._give_up(sock))
            patience.start(CONNECTION_PATIENCE_MS)

    def _give_up(self, sock: QLocalSocket) -> None:
        if sock.state() == QLocalSocket.LocalSocketState.UnconnectedState:
            return
        log.warning("a connection to the window's socket sent no complete message within "
                    "%d s: dropped it", CONNECTION_PATIENCE_MS // 1000)
        sock.abort()
        sock.deleteLater()

    def _read(self, sock: QLocalSocket, buf: bytearray) -> None:
        buf.extend(bytes(sock.read(MAX_MESSAGE_BYTES + 1 - len(buf)).data()))
        if b"\n" not in buf:
            if len(buf) > MAX_MESSAGE_BYTES:
                log.warning("a connection to the window's socket sent more than %d bytes "
                            "without ending its message: dropped it", MAX_MESSAGE_BYTES)
                sock.readyRead.disconnect()
                sock.abort()
                sock.deleteLater()
            return
        line = bytes(buf).split(b"\n", 1)[0]
        try:
            message = json.loads(line.decode("utf-8"))
            paths = [str(p) for p in message.get("paths", [])]
        except (ValueError, AttributeError):
            sock.write(b"error\n")
            sock.disconnectFromServer()
            return
        sock.write(b"ok\n")
        sock.flush()
        sock.disconnectFromServer()
        self.paths_received.emit(paths)


def forward_to_primary(home: Path, paths: list[str]) -> bool:
    """Send paths to the running window; True when it confirmed. Blocking, for start-up only.

    Nothing is sent to a socket that another user owns or answers on."""
    name = server_name(home)
    if not name:
        return False
    if sys.platform != "win32" and (refusal := _socket_file_refusal(name)):
        log.warning("not sending files to %s: %s", name, refusal)
        return False
    connection = QLocalSocket()
    connection.connectToServer(name)
    if not connection.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    uid = peer_uid(int(connection.socketDescriptor())) if sys.platform != "win32" else None
    if uid is not None and uid != os.getuid():
        log.warning("not sending files to %s: the process answering runs as user id %d, not "
                    "as this user (%d)", name, uid, os.getuid())
        connection.abort()
        return False
    payload = json.dumps({"paths": [str(Path(p).absolute()) for p in paths]}) + "\n"
    connection.write(payload.encode("utf-8"))
    # flush() usually writes everything at once; waitForBytesWritten then has nothing left
    # to wait for and says False, so its answer is not a failure.
    if not connection.flush():
        connection.waitForBytesWritten(REPLY_TIMEOUT_MS)
    reply = b""
    while b"\n" not in reply:
        if not connection.waitForReadyRead(REPLY_TIMEOUT_MS):
            break
        reply += bytes(connection.readAll().data())
    connection.disconnectFromServer()
    return reply.startswith(b"ok")
