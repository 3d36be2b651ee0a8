"""One worker per database: an OS file lock that dies with its process.

The lock file also says who holds it, so a second worker can name the holder. Because the
operating system releases the lock when the holder dies (even by SIGKILL), there is never a
stale lock to clean up by hand.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path
from typing import IO, Any

from core.errors import WorkerLocked

if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(handle: IO[str]) -> bool:
        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(handle: IO[str]) -> bool:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            return False

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _alive(pid: int) -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
        import ctypes

        handle = ctypes.windll.kernel32.OpenProcess(0x1000, False, pid)  # QUERY_LIMITED_INFO
        if not handle:
            return False
        ctypes.windll.kernel32.CloseHandle(handle)
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: alive
    return True


class WorkerLock:
    def __init__(self, path: Path, holder: str) -> None:
        self.path = path
        self.holder = holder
        self._handle: IO[str] | None = None

    def read_holder(self) -> dict[str, Any]:
        try:
            return json.loads(self.path.read_text(encoding="utf-8") or "{}")
        except (OSError, ValueError):
            return {}

    def live_holder(self) -> dict[str, Any] | None:
        """The holder's note if its process is alive, without touching the lock itself.

        A read-only command must never take the lock, even for a moment (a worker starting
        then would be refused). The note is cleared on release; a note left by a killed
        process names a pid that no longer runs on this host.
        """
        info = self.read_holder()
        if not info.get("pid"):
            return None
        if info.get("host") == socket.gethostname() and not _alive(int(info["pid"])):
            return None
        return info

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 - held while we run
        if not _try_lock(handle):
            handle.close()
            info = self.read_holder()
            who = info.get("holder", "another Paceline worker")
            pid = info.get("pid", "?")
            host = info.get("host", "?")
            raise WorkerLocked(
                f"Another worker is already processing this queue: {who} (pid {pid} on {host}). "
                "Stop it first, or add jobs with 'paceline-cli add' and let it run them."
            )
        handle.seek(0)
        handle.truncate()
        handle.write(
            json.dumps(
                {
                    "holder": self.holder,
                    "pid": os.getpid(),
                    "host": socket.gethostname(),
                    "since": time.time(),
                }
            )
        )
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        if self._handle is None:
            return
        try:
            self._handle.seek(0)
            self._handle.truncate()
            self._handle.flush()
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None

    def __enter__(self) -> WorkerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
