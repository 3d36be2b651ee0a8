"""The HTTP plumbing the test servers share: a threaded server on 127.0.0.1 run in the background.

FakeProvider and BatchServer differ only in what they answer; both are started the same way::

    with SomeServer() as server:   # start(): serve_forever in a daemon thread
        ... point Paceline at server.url (".../v1") ...
                                   # stop() on the way out
"""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class LoopbackHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a held request must not keep the test process alive
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # resets and dropped clients are part of a test's script, not test failures


class LocalServer:
    """Owns a ``LoopbackHTTPServer`` and serves it in a daemon thread between start() and stop()."""

    def __init__(
        self,
        host: str,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        server_class: type[LoopbackHTTPServer] = LoopbackHTTPServer,
    ) -> None:
        self._httpd = server_class((host, port), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """The API base, as Paceline expects it (".../v1")."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> Self:
        # A short poll interval: stop() waits for serve_forever to notice the shutdown.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
