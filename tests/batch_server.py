"""A real OpenAI-compatible Batch API server on 127.0.0.1 for tests: /v1/files, /v1/batches.

Tests start it in a background thread, with time injected::

    clock = FakeClock()
    with BatchServer(now=clock.wall) as server:
        server.plan_next(BatchPlan(errors={"job-1-part-0-ab": "context"}))
        ... upload a JSONL file, create a batch, advance the clock, poll ...
        assert server.uploads == 1 and server.creations == 1

A batch moves on with the clock, not with real time: it stays ``validating`` for
``validating_s``, then works through its requests at ``request_s`` each (``request_counts`` grow
as the clock advances), stays ``finalizing`` for ``finalizing_s`` and ends ``completed``, with an
output file (one line per answered request) and an error file (one per refused request). Its
``expires_at`` is ``window_s`` (24 h) after creation; a batch still working then ends ``expired``
and its unfinished requests go to the error file with OpenAI's ``batch_expired`` code. Cancel
makes it ``cancelling`` for ``cancelling_s``, then ``cancelled`` with what was done until then.
Nothing happens between requests: each request settles the batches it reads from the clock.

Scripted faults:
  plan_next(BatchPlan(...))   the next batch created fails validation (``invalid``), refuses some
                              requests (``errors``: custom_id -> an error of tests/fake_provider,
                              e.g. "400", "context", "500", "429"), or stops after ``stall_after``
                              requests so the window runs out
  fault(route, "lose")        the server does the work (stores the file, creates the batch,
                              cancels), then drops the connection before answering
  fault(route, "500")         the server answers with that status without doing anything
  fault(route, "hold")        the request waits, undone, until ``release()`` (a test kills its
                              client meanwhile); "done-hold" does the work first, then waits

Routes: upload, list_files, file, content, create, retrieve, list_batches, cancel, and chat
(a normal, unstreamed chat completion, as the combining call after a batch makes).

``uploads`` and ``creations`` count the files and batches the server really made, lost answers
included, so a test can assert that a client never repeated a step; ``calls`` records every
request with its route and what was answered.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import struct
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.fake_provider import _ERRORS, MARKER, Recorded, _error
from tests.local_server import LocalServer, LoopbackHTTPServer

ENDPOINT = "/v1/chat/completions"
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
WINDOW_S = 24 * 3600
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
EXPIRED_MESSAGE = "This request could not be executed before the completion window expired."
# OpenAI's metadata limits: 16 pairs, keys up to 64 characters, values up to 512.
METADATA_PAIRS, METADATA_KEY, METADATA_VALUE = 16, 64, 512
ROUTES = ("upload", "list_files", "file", "content", "create", "retrieve", "list_batches",
          "cancel", "chat")


@dataclass
class BatchPlan:
    """What the next batch created does besides answering every request."""

    invalid: str = ""  # validation fails with this message (status "failed")
    errors: Mapping[str, str] = field(default_factory=dict)  # custom_id -> fake_provider error
    stall_after: int | None = None  # only this many requests are ever done: the window runs out


@dataclass
class Call:
    """One request the server received and how it answered (a status, or "lost")."""

    n: int
    method: str
    path: str
    route: str
    answer: str = ""
    authorization: str = ""


@dataclass
class StoredFile:
    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "object": "file", "bytes": len(self.content),
                "created_at": self.created_at, "filename": self.filename,
                "purpose": self.purpose, "status": "processed", "status_details": None}


@dataclass
class StoredBatch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, str] | None
    lines: list[dict[str, Any]]
    plan: BatchPlan
    created_at: int
    expires_at: int
    status: str = "validating"
    times: dict[str, int | None] = field(default_factory=dict)
    processed: int = 0
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: dict[str, Any] | None = None

    @property
    def failed_count(self) -> int:
        return sum(1 for line in self.lines[: self.processed]
                   if line["custom_id"] in self.plan.errors)

    def to_json(self) -> dict[str, Any]:
        failed = self.failed_count
        stamps = ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                  "cancelling_at", "cancelled_at")
        return {
            "id": self.id, "object": "batch", "endpoint": self.endpoint, "errors": self.errors,
            "input_file_id": self.input_file_id, "completion_window": self.completion_window,
            "status": self.status, "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id, "created_at": self.created_at,
            "expires_at": self.expires_at, **{name: self.times.get(name) for name in stamps},
            "request_counts": {"total": len(self.lines), "completed": self.processed - failed,
                               "failed": failed},
            "metadata": self.metadata,
        }


class BatchError(Exception):
    """An error answer in OpenAI's shape: ``{"error": {message, type, param, code}}``."""

    def __init__(self, status: int, message: str, code: str | None,
                 param: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = {"error": {"message": message, "type": "invalid_request_error",
                               "param": param, "code": code}}


class _Server(LoopbackHTTPServer):
    batch: BatchServer


class BatchServer(LocalServer):
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        now: Callable[[], float] = time.time,
        key: str | None = None,
        max_requests: int = MAX_REQUESTS,
        max_bytes: int = MAX_BYTES,
        validating_s: float = 30.0,
        request_s: float = 1.0,
        finalizing_s: float = 30.0,
        cancelling_s: float = 10.0,
        window_s: float = WINDOW_S,
        marker: str = MARKER,
        keep_metadata: bool = True,
    ) -> None:
        self.now = now
        # False: the server drops a batch's metadata (a provider that keeps none of ours)
        self.keep_metadata = keep_metadata
        self.key = key  # when set, a request without "Bearer <key>" gets a 401
        self.max_requests = max_requests
        self.max_bytes = max_bytes
        self.validating_s = validating_s
        self.request_s = request_s
        self.finalizing_s = finalizing_s
        self.cancelling_s = cancelling_s
        self.window_s = window_s
        self.marker = re.compile(marker)
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, StoredBatch] = {}
        self.calls: list[Call] = []
        self.uploads = 0  # files stored by POST /v1/files (lost answers included)
        self.chats: list[dict[str, Any]] = []  # normal calls' bodies (POST /v1/chat/completions)
        self.creations = 0  # batches made by POST /v1/batches (lost answers included)
        self._plans: deque[BatchPlan] = deque()
        self._faults: dict[str, deque[str]] = {route: deque() for route in ROUTES}
        self._ids = 0
        self._lock = threading.RLock()
        self._held = threading.Condition(self._lock)
        self._released = threading.Event()
        self.holding: set[str] = set()  # routes with a request held now
        super().__init__(host, port, _Handler, _Server)
        self._httpd.batch = self

    # ------------------------------------------------------------------ control

    def _hold(self, route: str) -> None:
        with self._lock:
            self.holding.add(route)
            self._held.notify_all()
        self._released.wait()
        with self._lock:
            self.holding.discard(route)

    def wait_held(self, route: str, timeout: float = 60.0) -> bool:
        """Wait until a request to ``route`` is held (fault "hold" or "done-hold")."""
        with self._lock:
            return self._held.wait_for(lambda: route in self.holding, timeout)

    def release(self) -> None:
        """Let every held request go on (its client may be gone by then)."""
        self._released.set()

    def rearm(self) -> None:
        """Hold the next "hold" faults again after a release."""
        self._released = threading.Event()

    def plan_next(self, *plans: BatchPlan) -> None:
        """The next batches created follow these plans, in order."""
        with self._lock:
            self._plans.extend(plans)

    def fault(self, route: str, *actions: str) -> None:
        """The next requests to ``route`` take these actions ("lose", or a status like "500")."""
        if route not in self._faults:
            raise ValueError(f"unknown route {route!r}; routes: {', '.join(ROUTES)}")
        with self._lock:
            self._faults[route].extend(actions)

    def routes(self) -> list[str]:
        """The route of every request received, in order."""
        with self._lock:
            return [call.route for call in self.calls]

    def batch(self, batch_id: str) -> dict[str, Any]:
        """A batch as a client would read it now."""
        with self._lock:
            stored = self.batches[batch_id]
            self._settle(stored)
            return stored.to_json()

    def file_lines(self, file_id: str) -> list[dict[str, Any]]:
        """A stored file's JSONL lines."""
        with self._lock:
            return [json.loads(line) for line in self.files[file_id].content.splitlines()]

    # ------------------------------------------------------------------ the API, under the lock

    def _next_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-{self._ids:06d}"

    def _stamp(self) -> int:
        return int(self.now())

    def upload(self, fields: Mapping[str, tuple[str, bytes]]) -> dict[str, Any]:
        purpose = fields.get("purpose", ("", b""))[1].decode("utf-8", "replace")
        if "file" not in fields:
            raise BatchError(400, "No file was uploaded: send it as the multipart field "
                             "'file'.", "missing_required_parameter", "file")
        if purpose != "batch":
            raise BatchError(400, f"Invalid purpose {purpose!r}: this server keeps only "
                             "'batch' files.", "invalid_value", "purpose")
        filename, content = fields["file"]
        if len(content) > self.max_bytes:
            raise BatchError(400, f"The file is {len(content)} bytes; the limit is "
                             f"{self.max_bytes} bytes.", "file_too_large", "file")
        self._validate_jsonl(content)
        stored = StoredFile(self._next_id("file"), filename, purpose, content, self._stamp())
        self.files[stored.id] = stored
        self.uploads += 1
        return stored.to_json()

    def _validate_jsonl(self, content: bytes) -> None:
        lines = [line for line in content.splitlines() if line.strip()]
        if not lines:
            raise BatchError(400, "The file holds no requests.", "empty_file", "file")
        if len(lines) > self.max_requests:
            raise BatchError(400, f"The file holds {len(lines)} requests; the limit is "
                             f"{self.max_requests}.", "too_many_tasks", "file")
        seen: set[str] = set()
        models: set[str] = set()
        for n, raw in enumerate(lines, 1):
            try:
                line = json.loads(raw)
            except ValueError:
                raise BatchError(400, f"Line {n} is not valid JSON.", "invalid_json_line",
                                 "file") from None
            if not isinstance(line, dict) or not isinstance(line.get("body"), dict):
                raise BatchError(400, f"Line {n} has no request body.",
                                 "missing_required_parameter", "body")
            custom_id = line.get("custom_id")
            if not isinstance(custom_id, str) or not custom_id:
                raise BatchError(400, f"Line {n} has no custom_id.",
                                 "missing_required_parameter", "custom_id")
            if custom_id in seen:
                raise BatchError(400, f"Line {n} repeats the custom_id {custom_id!r}.",
                                 "duplicate_custom_id", "custom_id")
            seen.add(custom_id)
            if line.get("method") != "POST":
                raise BatchError(400, f"Line {n}: the method must be POST.", "invalid_method",
                                 "method")
            if line.get("url") != ENDPOINT:
                raise BatchError(400, f"Line {n}: the url must be {ENDPOINT}.", "invalid_url",
                                 "url")
            models.add(str(line["body"].get("model", "")))
        if len(models) > 1:
            raise BatchError(400, "All requests of a batch must use the same model.",
                             "mismatched_model", "body.model")

    def list_files(self, query: Mapping[str, str]) -> dict[str, Any]:
        purpose = query.get("purpose")
        files = [f.to_json() for f in self.files.values() if not purpose or f.purpose == purpose]
        return _page(files, query, default_limit=10_000, max_limit=10_000)

    def get_file(self, file_id: str) -> StoredFile:
        if file_id not in self.files:
            raise BatchError(404, f"No such File object: {file_id}", None, "id")
        return self.files[file_id]

    def create(self, body: Mapping[str, Any]) -> dict[str, Any]:
        file_id = body.get("input_file_id")
        if not isinstance(file_id, str) or file_id not in self.files:
            raise BatchError(400, f"No such input file: {file_id!r}.", "invalid_value",
                             "input_file_id")
        if body.get("endpoint") != ENDPOINT:
            raise BatchError(400, f"This server batches only {ENDPOINT}.", "invalid_value",
                             "endpoint")
        if body.get("completion_window") != "24h":
            raise BatchError(400, "The completion window must be '24h'.", "invalid_value",
                             "completion_window")
        metadata = body.get("metadata")
        if metadata is not None:
            _check_metadata(metadata)
        content = self.files[file_id].content
        lines = [json.loads(line) for line in content.splitlines() if line.strip()]
        created = self._stamp()
        stored = StoredBatch(
            self._next_id("batch"), file_id, ENDPOINT, "24h",
            metadata if self.keep_metadata else None, lines,
            self._plans.popleft() if self._plans else BatchPlan(), created,
            created + int(self.window_s),
        )
        self.batches[stored.id] = stored
        self.creations += 1
        return stored.to_json()

    def retrieve(self, batch_id: str) -> dict[str, Any]:
        if batch_id not in self.batches:
            raise BatchError(404, f"No batch found with id '{batch_id}'.", None, "id")
        return self.batch(batch_id)

    def list_batches(self, query: Mapping[str, str]) -> dict[str, Any]:
        for stored in self.batches.values():
            self._settle(stored)
        return _page([b.to_json() for b in self.batches.values()], query, default_limit=20,
                     max_limit=100)

    def cancel(self, batch_id: str) -> dict[str, Any]:
        stored = self.batches.get(batch_id)
        if stored is None:
            raise BatchError(404, f"No batch found with id '{batch_id}'.", None, "id")
        self._settle(stored)
        if stored.status in ("validating", "in_progress"):
            stored.status = "cancelling"
            stored.times["cancelling_at"] = self._stamp()
        elif stored.status != "cancelling":
            raise BatchError(409, f"Cannot cancel a batch with status '{stored.status}'.",
                             None)
        return stored.to_json()

    # ------------------------------------------------------------------ the batch's own time

    def _settle(self, b: StoredBatch) -> None:
        """Bring ``b`` to where the clock says it is (each stage in turn, once)."""
        now = self.now()
        if b.status in TERMINAL:
            return
        if b.status == "validating" and now >= b.created_at + self.validating_s:
            begun = int(b.created_at + self.validating_s)
            if b.plan.invalid:
                b.errors = {"object": "list", "data": [
                    {"code": "invalid_request", "message": b.plan.invalid, "param": None,
                     "line": 1}]}
                b.status = "failed"
                b.times["failed_at"] = begun
                return
            b.status = "in_progress"
            b.times["in_progress_at"] = begun
        begun_at = b.times.get("in_progress_at")
        if begun_at is not None:
            stop = min(now, b.expires_at, b.times.get("cancelling_at") or math.inf)
            doable = len(b.lines) if b.plan.stall_after is None else b.plan.stall_after
            b.processed = max(0, min(doable, len(b.lines),
                                     int((stop - begun_at) // self.request_s)))
        if b.status == "cancelling":
            if now >= (b.times["cancelling_at"] or 0) + self.cancelling_s:
                self._finish(b, "cancelled", int((b.times["cancelling_at"] or 0)
                                                 + self.cancelling_s))
            return
        if b.status == "in_progress" and b.processed == len(b.lines) and begun_at is not None:
            b.status = "finalizing"
            b.times["finalizing_at"] = int(begun_at + len(b.lines) * self.request_s)
        if b.status == "finalizing":
            done_at = (b.times["finalizing_at"] or 0) + self.finalizing_s
            if now >= done_at:
                self._finish(b, "completed", int(done_at))
        elif b.status == "in_progress" and now >= b.expires_at:
            self._finish(b, "expired", b.expires_at)

    def _finish(self, b: StoredBatch, status: str, at: int) -> None:
        """End ``b``: write its output and error files, as the provider does once."""
        output: list[dict[str, Any]] = []
        errors: list[dict[str, Any]] = []
        for n, line in enumerate(b.lines):
            custom_id = line["custom_id"]
            request_id = f"{b.id}-req-{n + 1}"
            if n >= b.processed:
                if status == "expired":
                    errors.append({"id": request_id, "custom_id": custom_id, "response": None,
                                   "error": {"code": "batch_expired",
                                             "message": EXPIRED_MESSAGE}})
                continue
            if custom_id in b.plan.errors:
                code, body = self._error_answer(b.plan.errors[custom_id])
                errors.append({"id": request_id, "custom_id": custom_id, "error": None,
                               "response": {"status_code": code, "request_id": request_id,
                                            "body": body}})
            else:
                output.append({"id": request_id, "custom_id": custom_id, "error": None,
                               "response": {"status_code": 200, "request_id": request_id,
                                            "body": self.completion(line, request_id)}})
        b.output_file_id = self._result_file(b, "output", output)
        b.error_file_id = self._result_file(b, "errors", errors)
        b.status = status
        b.times[f"{status}_at"] = at

    def _result_file(self, b: StoredBatch, name: str, lines: list[dict[str, Any]]) -> str | None:
        if not lines:
            return None
        content = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
        stored = StoredFile(self._next_id("file"), f"{b.id}_{name}.jsonl", "batch_output",
                            content, self._stamp())
        self.files[stored.id] = stored
        return stored.id

    @staticmethod
    def _error_answer(name: str) -> tuple[int, dict[str, Any]]:
        if name in _ERRORS:
            return _ERRORS[name]
        status = int(name)  # a bare status: "500", "503"
        return status, _error(f"Fake error {status}.", "server_error", None)

    def completion(self, line: Mapping[str, Any], request_id: str) -> dict[str, Any]:
        """The chat completion for one request: it names the custom_id and the prompt's markers."""
        record = Recorded(0, "POST", ENDPOINT, body=dict(line["body"]))
        found = list(dict.fromkeys(self.marker.findall(record.user_text)))
        about = ", ".join(found) if found else f"{len(record.user_text)} characters"
        text = f"Answer to {line['custom_id']}: analysis of {about}."
        prompt = sum(len(str(m.get("content", ""))) for m in record.body.get("messages", []))
        usage = {"prompt_tokens": prompt // 4 + 1, "completion_tokens": len(text.split())}
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        return {"id": f"chatcmpl-{request_id}", "object": "chat.completion",
                "created": self._stamp(), "model": record.body.get("model", ""),
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}],
                "usage": usage}


def _check_metadata(metadata: Any) -> None:
    if not isinstance(metadata, dict) or len(metadata) > METADATA_PAIRS:
        raise BatchError(400, f"metadata must be an object of at most {METADATA_PAIRS} pairs.",
                         "invalid_value", "metadata")
    for key, value in metadata.items():
        if len(key) > METADATA_KEY or not isinstance(value, str) or len(value) > METADATA_VALUE:
            raise BatchError(400, f"metadata keys hold at most {METADATA_KEY} characters and "
                             f"values are strings of at most {METADATA_VALUE}.",
                             "invalid_value", "metadata")


def _page(items: list[dict[str, Any]], query: Mapping[str, str], *, default_limit: int,
          max_limit: int) -> dict[str, Any]:
    """One page of a list, newest first, as OpenAI pages: ``after`` an id, ``limit`` items."""
    items = sorted(items, key=lambda item: (item["created_at"], item["id"]), reverse=True)
    if query.get("order") == "asc":
        items.reverse()
    after = query.get("after")
    if after:
        ids = [item["id"] for item in items]
        items = items[ids.index(after) + 1:] if after in ids else []
    limit = max(1, min(max_limit, int(query.get("limit") or default_limit)))
    page = items[:limit]
    return {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
            "last_id": page[-1]["id"] if page else None, "has_more": len(items) > limit}


def parse_multipart(content_type: str, raw: bytes) -> dict[str, tuple[str, bytes]]:
    """The fields of a multipart/form-data body: name -> (filename, bytes), byte for byte."""
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        raise BatchError(400, "The upload must be multipart/form-data.", None)
    delimiter = b"--" + found.group(1).encode()
    fields: dict[str, tuple[str, bytes]] = {}
    for part in raw.split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        disposition = head.decode("utf-8", "replace")
        name = re.search(r'\bname="([^"]*)"', disposition)
        filename = re.search(r'\bfilename="([^"]*)"', disposition)
        if name:
            fields[name.group(1)] = (filename.group(1) if filename else "",
                                     data.removesuffix(b"\r\n"))
    return fields


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and a delayed ACK
    # hold each answer ~40 ms, and a day of polling would take seconds.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def _serve(self, method: str) -> None:
        batch = self.server.batch
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urllib.parse.urlsplit(self.path)
        query = dict(urllib.parse.parse_qsl(url.query))
        route, target = _route(method, url.path)
        with batch._lock:
            call = Call(len(batch.calls) + 1, method, self.path, route,
                        authorization=self.headers.get("Authorization", ""))
            batch.calls.append(call)
            action = batch._faults[route].popleft() if batch._faults.get(route) else ""
        if action.isdigit():
            call.answer = action
            self._json(int(action), _error(f"Fake error {action}.", "server_error", None))
            return
        if action == "hold":  # the request waits, undone, until the test releases it
            batch._hold(route)
        try:
            status, kind, payload = self._answer(route, target, query, raw)
        except BatchError as exc:
            status, kind, payload = exc.status, "application/json", json.dumps(exc.body).encode()
        if action == "done-hold":  # the work is done; the answer waits for the release
            batch._hold(route)
        if action == "lose":
            call.answer = "lost"
            self._drop()
            return
        call.answer = str(status)
        self._send(status, payload, kind)

    def _answer(self, route: str, target: str, query: Mapping[str, str],
                raw: bytes) -> tuple[int, str, bytes]:
        batch = self.server.batch
        if batch.key is not None and self.headers.get("Authorization") != f"Bearer {batch.key}":
            raise BatchError(401, "Incorrect API key provided.", "invalid_api_key")
        with batch._lock:
            if route == "upload":
                fields = parse_multipart(self.headers.get("Content-Type", ""), raw)
                return _json(batch.upload(fields))
            if route == "list_files":
                return _json(batch.list_files(query))
            if route == "file":
                return _json(batch.get_file(target).to_json())
            if route == "content":
                return 200, "application/octet-stream", batch.get_file(target).content
            if route == "create":
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise BatchError(400, "The request body is not JSON.", None) from None
                return _json(batch.create(body))
            if route == "retrieve":
                return _json(batch.retrieve(target))
            if route == "list_batches":
                return _json(batch.list_batches(query))
            if route == "cancel":
                return _json(batch.cancel(target))
            if route == "chat":  # a normal call (a combining call after a batch), not streamed
                body = json.loads(raw or b"{}")
                batch.chats.append(body)
                line = {"custom_id": f"chat-{len(batch.chats)}", "body": body}
                return _json(batch.completion(line, batch._next_id("chat")))
        raise BatchError(404, f"No route {self.command} {self.path}.", None)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _drop(self) -> None:
        # SO_LINGER with a zero timeout makes close() send RST: the answer is lost on the way.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        self.close_connection = True


def _json(payload: Any) -> tuple[int, str, bytes]:
    return 200, "application/json", json.dumps(payload).encode()


_PATHS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("POST", re.compile(r"/v1/files/?"), "upload"),
    ("GET", re.compile(r"/v1/files/?"), "list_files"),
    ("GET", re.compile(r"/v1/files/([^/]+)/content"), "content"),
    ("GET", re.compile(r"/v1/files/([^/]+)"), "file"),
    ("POST", re.compile(r"/v1/batches/?"), "create"),
    ("GET", re.compile(r"/v1/batches/?"), "list_batches"),
    ("POST", re.compile(r"/v1/batches/([^/]+)/cancel"), "cancel"),
    ("GET", re.compile(r"/v1/batches/([^/]+)"), "retrieve"),
    ("POST", re.compile(r"/v1/chat/completions"), "chat"),
)


def _route(method: str, path: str) -> tuple[str, str]:
    """The route name and the id in the path ("" when none); ("", "") for an unknown path."""
    for verb, pattern, route in _PATHS:
        found = pattern.fullmatch(path)
        if verb == method and found:
            return route, found.group(1) if found.groups() else ""
    return "", ""

