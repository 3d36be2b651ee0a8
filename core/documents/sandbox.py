"""Extraction in a separate process, with a time limit and a memory limit.

PDFium and lxml are native code: a hostile or broken file can make them loop, eat all memory,
or crash, and native code cannot be interrupted from a thread. So documents are read in a child
process that is killed when it runs over its time, limited in the memory it may take, and
started again for the next document when it dies. The window and the worker never notice more
than one failed job.

One child serves all documents in turn (starting Python and importing the readers for every
document would cost more than reading most of them). It is a plain subprocess running this
module (``python -m core.documents.sandbox``, or the frozen app with ``--paceline-reader``),
not multiprocessing's "spawn", which re-runs the parent's main script in the child: a script
without a ``__main__`` guard would then fail as if its document were damaged. Never "fork":
forking a process that runs Qt and threads is unsafe.

The child listens on a local socket (a named pipe on Windows) that only the holder of a random
key can use; it prints the address, the parent connects and sends documents over it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
import traceback
import warnings
from dataclasses import dataclass
from multiprocessing.connection import Client, Connection, Listener

from core.documents.extract import Document, extract_bytes
from core.documents.source import Source
from core.errors import DocumentError, resave_advice

log = logging.getLogger(__name__)

TIMEOUT_S = 120.0
MEMORY_MB = 2048


@dataclass(frozen=True)
class _Request:
    path: str
    suffix: str
    source: Source


class Sandbox:
    """Runs :func:`extract_bytes` in a child process, one document at a time.

    ``preload`` names a module the child imports at start (tests use it to add readers that
    misbehave on purpose).
    """

    def __init__(
        self, *, timeout_s: float = TIMEOUT_S, memory_mb: int = MEMORY_MB,
        preload: str | None = None,
    ) -> None:  # fmt: skip
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.preload = preload
        self._lock = threading.Lock()  # a thread lock: callers come from any event loop
        self._process: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._closing = False  # close() is ending the child: a document being sent fails
        self.started = 0  # children started so far (a test reads it)

    def extract(self, source: Source, path: str, suffix: str) -> Document:
        """Blocking: call it from a worker thread."""
        with self._lock:
            conn = self._ensure_child()
            try:
                conn.send(_Request(path, suffix, source))
            except (BrokenPipeError, ConnectionError, EOFError):
                if self._closing:
                    raise self._stopped(source) from None
                # The child died between two documents (killed from outside): start another.
                self._stop_child()
                conn = self._ensure_child()
                conn.send(_Request(path, suffix, source))
            if not conn.poll(self.timeout_s):
                self._stop_child()
                raise DocumentError(
                    "extract_timeout",
                    f"{source.name} took longer than {self.timeout_s:.0f} s to read and was "
                    "stopped. It may be damaged or unusually complex. "
                    + resave_advice("its usual program"),
                )
            try:
                reply = conn.recv()
            except (EOFError, ConnectionError, OSError):
                if self._closing:
                    self._stop_child()
                    raise self._stopped(source) from None
                how = self._stop_child()
                log.warning("document reader died on %s (%s)", source.name, how)
                raise DocumentError(
                    "extract_crashed",
                    f"{source.name} made the document reader stop ({how}): the file is "
                    f"probably damaged, or needs more than {self.memory_mb:,} MB of memory to "
                    "read. " + resave_advice("its usual program"),
                ) from None
        kind = reply[0]
        if kind == "ok":
            return reply[1]  # type: ignore[no-any-return]
        if kind == "error":
            raise DocumentError(reply[1], reply[2])
        raise RuntimeError(f"the document reader failed on {source.name}:\n{reply[1]}")

    def close(self) -> None:
        """End the child, if one runs; the next document starts a new one. A document being
        read at the time fails as stopped, so closing never waits out a time limit."""
        process = self._process
        self._closing = True
        try:
            if process is not None and process.poll() is None:
                process.kill()  # before taking the lock, which a document being read holds
            with self._lock:
                self._stop_child()
        finally:
            self._closing = False

    @staticmethod
    def _stopped(source: Source) -> DocumentError:
        return DocumentError(
            "extract_timeout",
            f"Reading {source.name} was stopped because Paceline was closing. Re-trigger the "
            "job to read it again.",
        )

    def _ensure_child(self) -> Connection:
        if self._process is not None and self._process.poll() is None and self._conn:
            return self._conn
        self._stop_child()
        key = secrets.token_bytes(32)
        process = subprocess.Popen(
            [*child_command(), str(self.memory_mb), self.preload or ""],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            # A windowed app on Windows has no stderr to hand down.
            stderr=None if sys.stderr is not None else subprocess.DEVNULL,
            creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
        )  # fmt: skip
        assert process.stdin is not None and process.stdout is not None
        try:
            process.stdin.write(key.hex().encode() + b"\n")
            process.stdin.close()
            address = process.stdout.readline().decode().strip()
            if not address:
                raise OSError(f"the reader process ended at start (exit code {process.wait(5)})")
            conn = Client(address, authkey=key)
        except BaseException:
            process.kill()
            process.wait()
            raise
        self._process, self._conn = process, conn
        self.started += 1
        return conn

    def _stop_child(self) -> str:
        """Kill the child if it still runs; say how it ended."""
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return "not running"
        if process.poll() is None:
            process.kill()
        code = process.wait()
        if process.stdout is not None:
            process.stdout.close()
        if code < 0:
            return f"killed by signal {-code}"
        return f"exit code {code}"


def child_command() -> list[str]:
    """How to start the reader: the frozen app knows ``--paceline-reader`` (see
    packaging/entry_*.py); from source it is this module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, READER_FLAG]
    return [sys.executable, "-m", "core.documents.sandbox"]


READER_FLAG = "--paceline-reader"


def _limit_memory(megabytes: int) -> None:
    # Address space, not resident memory: the only limit every Unix enforces for a process.
    # Windows has none short of job objects; there the time limit still applies.
    try:
        import resource
    except ImportError:
        return
    limit = megabytes * 1024 * 1024
    # A lower hard limit set by the person's system may refuse ours; that one applies then.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class _WarningsToNotes(logging.Handler):
    """Library warnings and log records become notes on the document being read."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.source: Source | None = None
        self.count = 0
        self.first = ""

    def emit(self, record: logging.LogRecord) -> None:
        self.add(record.getMessage())

    def add(self, message: str) -> None:
        self.count += 1
        self.first = self.first or " ".join(message.split())[:200]

    def flush_into(self, source: Source) -> None:
        if self.count:
            more = f" (and {self.count - 1} more)" if self.count > 1 else ""
            source.note(f"the reader warned: {self.first}{more}")
        self.count, self.first = 0, ""


def serve(argv: list[str]) -> int:
    """The child: read documents until the parent goes away. ``argv``: memory limit in MB, and
    a module to import first (or "")."""
    memory_mb, preload = int(argv[0]), argv[1] if len(argv) > 1 else ""
    key = bytes.fromhex(sys.stdin.readline().strip())
    _exit_with_parent()
    _limit_memory(memory_mb)
    if preload:
        __import__(preload)
    with Listener(authkey=key) as listener:
        print(listener.address, flush=True)
        conn = listener.accept()
    sys.stdout = sys.__stdout__ = open(os.devnull, "w")  # noqa: SIM115 - stray prints go nowhere
    _serve(conn, memory_mb)
    return 0


def _exit_with_parent() -> None:
    """A reader stuck in a hostile file would outlive a parent that died without killing it:
    a watchdog ends it once it has been handed to another parent."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _serve(conn: Connection, memory_mb: int) -> None:
    collector = _WarningsToNotes()
    logging.getLogger().addHandler(collector)
    logging.getLogger().setLevel(logging.WARNING)
    while True:
        try:
            request: _Request = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        source = request.source
        with warnings.catch_warnings():
            warnings.simplefilter("always")
            warnings.showwarning = lambda message, *_, **__: collector.add(str(message))
            try:
                document = extract_bytes(source, request.path, request.suffix)
            except DocumentError as error:
                reply: tuple[object, ...] = ("error", error.kind, error.message)
            except MemoryError:
                reply = ("error", "too_large",
                         f"{source.name} needs more than {memory_mb:,} MB of memory to read. "
                         "Split it into smaller files and add those.")  # fmt: skip
            except Exception:
                reply = ("bug", traceback.format_exc())
            else:
                reply = ("ok", document)
        if reply[0] == "ok":
            collector.flush_into(source)
            document = reply[1]  # type: ignore[assignment]
            reply = ("ok", dataclasses.replace(document, notes=tuple(source.notes)))
        else:
            collector.count = 0
            collector.first = ""
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default() -> Sandbox:
    """The process's sandbox, started on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
        return _default


def close_default() -> None:
    """End the process's sandbox child, if one was started (the engine does at close)."""
    with _default_lock:
        box = _default
    if box is not None:
        box.close()


def use(sandbox: Sandbox | None) -> Sandbox | None:
    """Replace the process's sandbox (tests); returns the previous one."""
    global _default
    with _default_lock:
        previous, _default = _default, sandbox
    return previous


if __name__ == "__main__":
    sys.exit(serve(sys.argv[1:]))
