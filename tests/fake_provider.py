"""A real OpenAI-compatible HTTP server on 127.0.0.1 for tests and benchmarks.

Tests start it in a background thread::

    with FakeProvider() as server:
        server.script(["429-retry-after:2", "ok"])
        ... point Paceline at server.url ...
        assert [r.markers for r in server.chat_requests] == [["MARK-1"], ["MARK-1"]]

It answers ``POST /v1/chat/completions`` (SSE when ``"stream": true``, JSON otherwise) and
``GET /v1/models``. Each chat request takes the next action of the script, or ``default``
when the script is empty. The reply names the markers (``MARK-<n>`` by default) found in the
last user message, so a test can tell which part a call carried and what came back.

Actions (``name`` or ``name:arg``):
  ok                      a normal answer (streamed if asked)
  json                    a normal answer as plain JSON even if a stream was asked for
  hold                    wait until the test calls ``release()`` (or the hold times out),
                          then answer normally: for killing a client mid-call
  slow:S                  sleep S seconds, then answer normally
  429                     throttled, OpenAI body, no Retry-After
  429-retry-after:S       throttled with ``Retry-After: S``
  429-retry-after-ms:MS   throttled with ``retry-after-ms: MS``
  429-retry-after-date:S  throttled with ``Retry-After`` as an HTTP date S seconds ahead
  429-dashscope           DashScope ``limit_requests``; 429-burst: ``limit_burst_rate``
  429-insufficient-quota  DashScope's rate-quota ``insufficient_quota``
  429-free-quota          DashScope "Free allocated quota exceeded."
  408 409 500 502 503     those statuses; 503-retry-after:S adds Retry-After
  400 / 400-vllm          bad request, OpenAI shape / vLLM's flat shape
  context                 400 ``context_length_exceeded``
  404                     model not found
  401 / 401-echo / 403    bad key (401-echo puts the full key it got into the message)
  arrearage / free-tier   DashScope native ``Arrearage`` (400) / ``AllocationQuota.FreeTierOnly``
  reset                   the connection is reset without an answer
  cut                     a stream that breaks off mid-answer (connection dropped)
  truncated               a stream that ends cleanly but without finish_reason or [DONE]
  malformed / malformed-sse  a 200 whose JSON / SSE event is not valid JSON
  stream-error            a 200 stream that carries an error event (vLLM style)
  length                  an answer cut at the output limit (``finish_reason: "length"``),
                          streamed if asked
  text:HEX                an answer with the character U+HEX inside it, written raw (not as a
                          JSON ``\\u`` escape, as some servers do), streamed if asked: for
                          line breaks the SSE format does not split on (U+2028, U+0085, ...)
  linger:S                a normal stream that stays open S seconds after ``[DONE]``

``connections`` counts the TCP connections the server accepted (streams and error answers are
HTTP/1.1 keep-alive, so a client that reads each answer to its end reuses one connection).

Run as a script for manual use and benchmarks:
``python tests/fake_provider.py --port 8765 --latency 0.5``.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import socket
import struct
import sys
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler
from typing import Any

if __package__:
    from tests.local_server import LocalServer, LoopbackHTTPServer
else:  # run as a script (see above): its own folder, tests/, is on the path, not the repo
    from local_server import LocalServer, LoopbackHTTPServer  # type: ignore[no-redef]

MARKER = r"MARK-\d+"
RATE_HEADERS = {
    "x-ratelimit-limit-requests": "600",
    "x-ratelimit-remaining-requests": "599",
    "x-ratelimit-reset-requests": "100ms",
    "x-ratelimit-limit-tokens": "100000",
    "x-ratelimit-remaining-tokens": "99000",
    "x-ratelimit-reset-tokens": "6ms",
}


@dataclass
class Recorded:
    """One request the server received."""

    n: int
    method: str
    path: str
    body: dict[str, Any] = field(default_factory=dict)
    markers: list[str] = field(default_factory=list)
    stream: bool = False
    include_usage: bool = False
    authorization: str = ""
    action: str = ""

    @property
    def user_text(self) -> str:
        content = self._user_content()
        if isinstance(content, list):  # text and image parts
            return " ".join(p.get("text", "") for p in content if p.get("type") == "text")
        return str(content)

    @property
    def images(self) -> list[bytes]:
        """The images the request carries (``image_url`` parts with base64 data URLs)."""
        content = self._user_content()
        if not isinstance(content, list):
            return []
        urls = [p["image_url"]["url"] for p in content if p.get("type") == "image_url"]
        return [base64.b64decode(url.split(",", 1)[1]) for url in urls]

    def _user_content(self) -> Any:
        users = [m for m in self.body.get("messages", []) if m.get("role") == "user"]
        return users[-1].get("content", "") if users else ""


class _Server(LoopbackHTTPServer):
    provider: FakeProvider

    def process_request(self, request: Any, client_address: Any) -> None:
        # One call per accepted TCP connection: tests count them to see connection reuse.
        with self.provider._lock:
            self.provider.connections += 1
        super().process_request(request, client_address)


class FakeProvider(LocalServer):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        latency: float = 0.0,
        token_delay: float = 0.0,
        default: str = "ok",
        marker: str = MARKER,
        models: Iterable[str] = ("fake-model", "fake-model-large"),
        hold_timeout: float = 30.0,
    ) -> None:
        self.latency = latency
        self.token_delay = token_delay
        self.default = default
        self.marker = re.compile(marker)
        self.models = list(models)
        self.hold_timeout = hold_timeout
        self.rate_headers = dict(RATE_HEADERS)
        self.requests: list[Recorded] = []
        self.connections = 0  # TCP connections accepted so far
        # How SSE lines end: the format allows LF, CR and CRLF, and a client must take all three.
        self.newline = "\n"
        self._script: deque[str] = deque()
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._release = threading.Semaphore(0)
        super().__init__(host, port, _Handler, _Server)
        self._httpd.provider = self

    # ------------------------------------------------------------------ control

    def stop(self) -> None:
        for _ in range(64):  # free any held request so its thread can end
            self._release.release()
        super().stop()

    def script(self, actions: Iterable[str]) -> None:
        with self._lock:
            self._script.extend(actions)

    def release(self, count: int = 1) -> None:
        """Let ``count`` held requests answer."""
        for _ in range(count):
            self._release.release()

    def reset_log(self) -> None:
        with self._lock:
            self.requests.clear()

    @property
    def chat_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def wait_for_chat(self, count: int, timeout: float = 15.0) -> list[Recorded]:
        """Block until ``count`` chat requests have arrived (a test's sync point)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                chats = [r for r in self.requests if r.path.endswith("/chat/completions")]
                if len(chats) >= count:
                    return chats
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError(f"only {len(chats)} of {count} chat requests arrived")
                self._arrived.wait(left)

    # ------------------------------------------------------------------ for the handler

    def _record(self, record: Recorded, take_action: bool) -> Recorded:
        with self._arrived:
            record.n = len(self.requests) + 1
            if take_action:
                record.action = self._script.popleft() if self._script else self.default
            self.requests.append(record)
            self._arrived.notify_all()
        return record

    def _hold(self) -> None:
        self._release.acquire(timeout=self.hold_timeout)

    def reply_for(self, record: Recorded) -> str:
        found = list(dict.fromkeys(self.marker.findall(record.user_text)))
        if found:
            return "Analysis of " + ", ".join(found) + "."
        return f"Analysis of {len(record.user_text)} characters."


def _raw_json(payload: Any) -> bytes:
    """JSON as UTF-8 with every character written as itself, control characters included.

    Real servers differ: some escape everything outside ASCII, some send UTF-8 and a few even
    leave control characters (form feed, U+001C..U+001E) unescaped inside strings. Writing them
    raw is the hardest case for a client that splits lines too eagerly.
    """
    text = json.dumps(payload, ensure_ascii=False)
    # Only real escapes: after an escaped backslash ("\\\\"), "u000b" is plain text.
    return _CONTROL_ESCAPE.sub(lambda m: m.group(1) + _UNESCAPED[m.group(2)], text).encode()


# json.dumps writes a form feed as "\\f" and the others as "\\u00XX".
_UNESCAPED = {"f": "\f", "u000b": "\x0b", "u001c": "\x1c", "u001d": "\x1d", "u001e": "\x1e"}
_CONTROL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\(f|u000b|u001[c-e])")


def _error(message: str, type_: str, code: str | int | None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": None, "code": code}}


# Errors answered as (status, body, extra headers); ``{key}`` is replaced by the key received.
_ERRORS: dict[str, tuple[int, dict[str, Any]]] = {
    "429": (429, _error("Rate limit reached for requests.", "requests", "rate_limit_exceeded")),
    "429-dashscope": (429, _error("Requests rate limit exceeded, please try again later.",
                                  "limit_requests", "limit_requests")),
    "429-burst": (429, _error("Request rate increased too quickly.", "limit_burst_rate",
                              "limit_burst_rate")),
    "429-insufficient-quota": (429, _error("Allocated quota exceeded, please increase your "
                                           "quota limit.", "insufficient_quota",
                                           "insufficient_quota")),
    "429-free-quota": (429, _error("Free allocated quota exceeded.", "insufficient_quota",
                                   "insufficient_quota")),
    "400": (400, _error("Invalid value for 'temperature'.", "invalid_request_error", None)),
    "400-vllm": (400, {"object": "error", "message": "max_tokens must be at least 1.",
                       "type": "BadRequestError", "param": None, "code": 400}),
    "context": (400, _error("This model's maximum context length is 8192 tokens. However, "
                            "your messages resulted in 9001 tokens.", "invalid_request_error",
                            "context_length_exceeded")),
    "404": (404, _error("The model `nope` does not exist.", "invalid_request_error",
                        "model_not_found")),
    "401": (401, _error("Incorrect API key provided.", "invalid_request_error",
                        "invalid_api_key")),
    "401-echo": (401, _error("Incorrect API key provided: {key}.", "invalid_request_error",
                             "invalid_api_key")),
    "403": (403, _error("You are not allowed to use this model.", "permission_denied",
                        "access_denied")),
    "arrearage": (400, {"code": "Arrearage", "message": "Access denied, please make sure your "
                        "account is in good standing.", "request_id": "fake-req-1"}),
    "free-tier": (403, _error("The free quota has been exhausted.", "AllocationQuota.FreeTierOnly",
                              "AllocationQuota.FreeTierOnly")),
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive and chunked streams, like a real server
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    @property
    def provider(self) -> FakeProvider:
        return self.server.provider

    # ------------------------------------------------------------------ routes

    def do_GET(self) -> None:
        self.provider._record(Recorded(0, "GET", self.path, authorization=self._auth()), False)
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "owned_by": "fake"} for m in
                    self.provider.models]
            self._json(200, {"object": "list", "data": data})
        else:
            self._json(404, _error(f"No route {self.path}", "not_found", 404))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, _error(f"No route {self.path}", "not_found", 404))
            return
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._json(400, _error("The request body is not JSON.", "invalid_request_error",
                                   None))
            return
        record = Recorded(
            0, "POST", self.path, body=body, stream=bool(body.get("stream")),
            include_usage=bool((body.get("stream_options") or {}).get("include_usage")),
            authorization=self._auth(),
        )
        record.markers = list(dict.fromkeys(self.provider.marker.findall(record.user_text)))
        self.provider._record(record, True)
        if self.provider.latency:
            time.sleep(self.provider.latency)
        try:
            self._act(record)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client went away (killed, or timed out)

    def _auth(self) -> str:
        return self.headers.get("Authorization", "")

    # ------------------------------------------------------------------ actions

    def _act(self, record: Recorded) -> None:
        name, _, arg = record.action.partition(":")
        key = record.authorization.removeprefix("Bearer ").strip()
        if name == "hold":
            self.provider._hold()
            name = "ok"
        elif name == "slow":
            time.sleep(float(arg or 1))
            name = "ok"
        if name in ("ok", "json", "length", "text", "linger"):
            text = self.provider.reply_for(record)
            if name == "text":
                text = f"Before{chr(int(arg, 16))}after. {text}"
            finish = "length" if name == "length" else "stop"
            linger = float(arg or 1) if name == "linger" else 0.0
            if record.stream and name != "json":
                self._stream(record, text=text, finish=finish, linger=linger)
            else:
                self._send(200, _raw_json(self._completion(record, text, finish)),
                           "application/json", self.provider.rate_headers)
            return
        if name.startswith("429-retry-after") or name == "503-retry-after":
            status = 503 if name.startswith("503") else 429
            seconds = float(arg or 1)
            headers = {"Retry-After": f"{seconds:g}"}
            if name.endswith("-ms"):
                headers = {"retry-after-ms": f"{seconds:g}"}
            elif name.endswith("-date"):
                headers = {"Retry-After": formatdate(time.time() + seconds, usegmt=True)}
            body = (_error("Slow down.", "requests", "rate_limit_exceeded") if status == 429
                    else _error("Service temporarily unavailable.", "server_error", None))
            self._json(status, body, headers)
            return
        if name in _ERRORS:
            status, body = _ERRORS[name]
            text = json.dumps(body).replace("{key}", key)
            self._send(status, text.encode(), "application/json")
            return
        if name.isdigit():
            status = int(name)
            self._json(status, _error(f"Fake error {status}.", "server_error", None))
            return
        if name == "reset":
            self._reset()
            return
        if name == "malformed":
            self._send(200, b'{"id": "x", "choices": [', "application/json")
            return
        if name in ("cut", "truncated", "malformed-sse", "stream-error"):
            self._stream(record, ending=name)
            return
        raise ValueError(f"unknown fake provider action {record.action!r}")

    def _completion(
        self, record: Recorded, text: str | None = None, finish: str = "stop"
    ) -> dict[str, Any]:
        text = self.provider.reply_for(record) if text is None else text
        return {
            "id": f"fake-{record.n}",
            "object": "chat.completion",
            "model": record.body.get("model", ""),
            "choices": [{"index": 0, "finish_reason": finish,
                         "message": {"role": "assistant", "content": text}}],
            "usage": self._usage(record, text),
        }

    @staticmethod
    def _usage(record: Recorded, text: str) -> dict[str, int]:
        prompt = sum(len(str(m.get("content", ""))) for m in record.body.get("messages", []))
        completion = len(text.split())
        return {"prompt_tokens": prompt // 4 + 1, "completion_tokens": completion,
                "total_tokens": prompt // 4 + 1 + completion}

    def _stream(
        self, record: Recorded, ending: str = "done", *, text: str | None = None,
        finish: str = "stop", linger: float = 0.0,
    ) -> None:
        text = self.provider.reply_for(record) if text is None else text
        words = text.split(" ")
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        for name, value in self.provider.rate_headers.items():
            self.send_header(name, value)
        self.end_headers()
        base = {"id": f"fake-{record.n}", "object": "chat.completion.chunk",
                "model": record.body.get("model", "")}
        self._event(": keep-alive comment\n\n")
        self._data({**base, "choices": [{"index": 0, "delta": {"role": "assistant"},
                                         "finish_reason": None}]})
        for n, word in enumerate(words):
            if ending in ("cut", "truncated", "malformed-sse", "stream-error") and n == 1:
                return self._end_badly(ending)
            piece = word if n == 0 else " " + word
            self._data({**base, "choices": [{"index": 0, "delta": {"content": piece},
                                             "finish_reason": None}]})
            if self.provider.token_delay:
                time.sleep(self.provider.token_delay)
        self._data({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": finish}]})
        if record.include_usage:
            self._data({**base, "choices": [], "usage": self._usage(record, text)})
        self._event("data: [DONE]\n\n")
        if linger:
            time.sleep(linger)  # a server that keeps the stream open after [DONE]
        self._chunk(b"")

    def _end_badly(self, ending: str) -> None:
        if ending == "cut":
            self._reset()
        elif ending == "truncated":
            self._chunk(b"")  # a clean end of body, but the answer never said it was finished
        elif ending == "malformed-sse":
            self._event('data: {"choices": [{"delta": \n\n')
            self._event("data: [DONE]\n\n")
            self._chunk(b"")
        else:
            self._data({"object": "error", "message": "The engine crashed mid-generation.",
                        "type": "InternalServerError", "param": None, "code": 500})
            self._chunk(b"")

    # ------------------------------------------------------------------ wire

    def _data(self, payload: dict[str, Any]) -> None:
        newline = self.provider.newline.encode()
        self._chunk(b"data: " + _raw_json(payload) + newline + newline)

    def _event(self, text: str) -> None:
        self._chunk(text.replace("\n", self.provider.newline).encode())

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json", headers)

    def _send(self, status: int, data: bytes, kind: str,
              headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _reset(self) -> None:
        # An abortive close throws away what the kernel has not sent yet: wait (briefly) until
        # the client has the bytes already written, so a stream is cut after them, not before.
        _wait_sent(self.connection)
        # SO_LINGER with a zero timeout makes close() send RST: a real connection reset.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True


def _wait_sent(sock: socket.socket, timeout: float = 1.0) -> None:
    """Until the socket's send queue is empty (Linux's SIOCOUTQ), for ``timeout`` at most."""
    try:
        import fcntl
        import termios
    except ImportError:  # not on Linux or macOS: the reset may come before the last bytes
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            unsent = struct.unpack("i", fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ,
                                                    b"\0\0\0\0"))[0]
        except OSError:
            return
        if unsent == 0:
            return
        time.sleep(0.002)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="A fake OpenAI-compatible server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before answering")
    parser.add_argument("--token-delay", type=float, default=0.0, help="seconds per token")
    parser.add_argument("--default", default="ok", help="action when the script is empty")
    parser.add_argument("--script", default="", help="comma-separated actions to play first")
    parser.add_argument("--max-seconds", type=float, default=3600.0,
                        help="stop by itself after this long")
    args = parser.parse_args(argv)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        parser.error("the fake provider only listens on the loopback interface")
    server = FakeProvider(args.host, args.port, latency=args.latency,
                          token_delay=args.token_delay, default=args.default)
    if args.script:
        server.script(a.strip() for a in args.script.split(",") if a.strip())
    server.start()
    print(f"fake provider listening on {server.url}", flush=True)
    try:
        time.sleep(args.max_seconds)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        print(f"served {len(server.requests)} request(s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
