"""Single instance: the first window is the primary; a second launch forwards its paths to it.

A QLockFile in the Paceline home decides who is primary. Qt treats a lock whose process is gone
as stale and takes it over, so a crash (even kill -9) never blocks the next launch. The primary
listens on a QLocalServer whose name is derived from the home folder, so two homes (two test
runs, two profiles) never talk to each other; a socket left behind by a crash is removed before
listening.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

CONNECT_TIMEOUT_MS = 1500
INSTANCE_LOCK = "instance.lock"
REPLY_TIMEOUT_MS = 3000


def server_name(home: Path) -> str:
    digest = hashlib.sha256(str(home.resolve()).encode("utf-8")).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"paceline-{user}-{digest}"


class SingleInstance(QObject):
    """Owns the instance lock and, when primary, the local server receiving forwarded paths."""

    paths_received = Signal(list)  # list[str], absolute paths from another launch

    def __init__(self, home: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.home = home
        self.name = server_name(home)
        home.mkdir(parents=True, exist_ok=True)
        self._lock = QLockFile(str(home / INSTANCE_LOCK))
        self._lock.setStaleLockTime(0)  # only a dead owner makes it stale, never its age
        self._server: QLocalServer | None = None

    def try_become_primary(self) -> bool:
        if not self._lock.tryLock(100):
            return False
        QLocalServer.removeServer(self.name)  # a socket file left by a crashed primary
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # The lock is ours, so nobody else serves: keep running without forwarding.
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
            socket = self._server.nextPendingConnection()
            buffer = bytearray()

            def on_ready(sock: QLocalSocket = socket, buf: bytearray = buffer) -> None:
                buf.extend(bytes(sock.readAll().data()))
                if b"\n" not in buf:
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

            socket.readyRead.connect(on_ready)
            socket.disconnected.connect(socket.deleteLater)


def forward_to_primary(home: Path, paths: list[str]) -> bool:
    """Send paths to the running window; True when it confirmed. Blocking, for start-up only."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(home))
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    payload = json.dumps({"paths": [str(Path(p).absolute()) for p in paths]}) + "\n"
    socket.write(payload.encode("utf-8"))
    # flush() usually writes everything at once; waitForBytesWritten then has nothing left
    # to wait for and says False, so its answer is not a failure.
    if not socket.flush():
        socket.waitForBytesWritten(REPLY_TIMEOUT_MS)
    reply = b""
    while b"\n" not in reply:
        if not socket.waitForReadyRead(REPLY_TIMEOUT_MS):
            break
        reply += bytes(socket.readAll().data())
    socket.disconnectFromServer()
    return reply.startswith(b"ok")
