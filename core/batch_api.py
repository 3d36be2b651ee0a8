"""The provider's Batch API (OpenAI-compatible ``/files`` and ``/batches``), Qt-free.

Batch mode hands big drops to the provider's batch engine: half the price, a quota of its own,
answers within 24 hours. This module is the wire part only: it builds the JSONL files, uploads
them, creates, polls and cancels batches and reads the result files into per-request answers
and errors. The queue's durable steps (intent committed before, outcome after) live elsewhere
and call these functions.

Every step that makes something on the server can lose its answer on the way back (a reset, a
timeout, a 5xx after the work was done). Such a step is never repeated blindly: the file's name
carries a hash of its content, and the batch's metadata names the Paceline queue, that hash and
the queue's own step, so :meth:`BatchClient.find_upload` and :meth:`BatchClient.find_batch`
find what was made, and :meth:`BatchClient.ensure_uploaded` and
:meth:`BatchClient.ensure_batch` look before they make anything and look again when an answer
was lost.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

import httpx

from core.analyzers.base import CallResult
from core.analyzers.openai_compat import bearer_headers, endpoint_and_key, http_client
from core.analyzers.provider_errors import (
    FALLBACK,
    MESSAGES,
    classify_http,
    classify_transport,
    find_row,
    malformed,
    parse_error_body,
    redact,
)
from core.clock import Clock
from core.error_kinds import BATCH_KINDS  # noqa: F401  (re-exported: the kinds' home)
from core.errors import ErrorClass, ProviderError
from core.logs import register_secret
from core.settings import Settings, SettingsError

ENDPOINT = "/v1/chat/completions"
COMPLETION_WINDOW = "24h"
# The providers' limits per batch file (OpenAI and DashScope alike).
MAX_REQUESTS = 50_000
MAX_BYTES = 200 * 1024 * 1024
# DashScope's documented limit per batch file is lower: 100 MB.
DASHSCOPE_MAX_BYTES = 100 * 1024 * 1024
# DashScope's documents show only its own two metadata keys (a batch's name and description,
# which its console shows and its list can search): Paceline's three names go into them there.
DASHSCOPE_NAME, DASHSCOPE_DESCRIPTION = "ds_name", "ds_description"
PURPOSE = "batch"
# Metadata keys: which Paceline queue made the batch, from which file, for which of its steps.
QUEUE_KEY = "paceline_queue"
FILE_KEY = "paceline_file"
STEP_KEY = "paceline_step"
TERMINAL = frozenset({"completed", "failed", "expired", "cancelled"})
# a batch in one of these is past cancelling: a copy of it is left alone
_SETTLING = TERMINAL | {"cancelling", "finalizing"}
POLL_INTERVAL_S = 30.0
FILES_PAGE = 10_000  # OpenAI's largest page of files
BATCHES_PAGE = 100  # OpenAI's largest page of batches
TIMEOUT_S = 300.0  # an upload of 200 MB takes a while; a poll is quick either way
CONNECT_TIMEOUT_S = 10.0

BATCH_MESSAGES = {
    "batch_expired": "The provider's batch ran out of its 24-hour window before this request "
    "was done{said} Re-trigger the job to send it again, as a normal call or in a new batch.",
    "batch_cancelled": "The batch was cancelled before this request was done{said} Re-trigger "
    "the job to send it again.",
    "batch_failed": "The provider refused the whole batch{said} Re-trigger the job to send it "
    "again; if it fails the same way, send it as a normal call.",
}
# OpenAI's per-line codes that come without an HTTP status, with the status they stand for.
LINE_STATUS = {"request_timeout": 408}
_CUSTOM_ID = re.compile(r"job-(\d+)-part-(\d+|combine)-([0-9A-Za-z_]+)")


# ---------------------------------------------------------------------------------- requests


@dataclass(frozen=True)
class BatchRequest:
    """One call for the batch: a part of a job (or its combining call) under one lease."""

    job_id: int
    part: int | str  # the part's index, or "combine" for the call that merges the parts
    lease: str  # the lease token: an answer for an older lease is not this claim's
    body: Mapping[str, Any]  # the chat completion request: model, messages, max_tokens

    @property
    def custom_id(self) -> str:
        """The request's name in the file and in the result files."""
        return custom_id(self.job_id, self.part, self.lease)


def custom_id(job_id: int, part: int | str, lease: str) -> str:
    """The request's name in the file, so each answer finds its job, part and lease again."""
    return f"job-{job_id}-part-{part}-{lease}"


def parse_custom_id(name: str) -> tuple[int, int | str, str] | None:
    """(job id, part, lease) from a custom_id, or None for one Paceline did not write."""
    found = _CUSTOM_ID.fullmatch(name)
    if not found:
        return None
    part = found.group(2)
    return int(found.group(1)), int(part) if part.isdigit() else part, found.group(3)


@dataclass(frozen=True)
class BatchFile:
    """One JSONL file, ready to upload; its hash names it, so an upload can be found again."""

    content: bytes
    custom_ids: tuple[str, ...]

    @property
    def sha256(self) -> str:
        """The content's hash: names the upload and the batch, so both can be found again."""
        return hashlib.sha256(self.content).hexdigest()

    @property
    def filename(self) -> str:
        """The name the upload carries: the one field of a file a listing always shows."""
        return f"paceline-{self.sha256}.jsonl"


class RequestTooLarge(ValueError):
    """A single request is larger than a whole batch file may be."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        super().__init__(f"The request {name} is {size:,} bytes, more than the {limit:,} a "
                         "batch file may hold; send it as a normal call.")
        self.custom_id = name


def jsonl_line(request: BatchRequest) -> bytes:
    """One request as a line of the file. Keys are sorted so the same requests always give the
    same bytes, and so the same hash: the hash is how a lost upload is found again."""
    line = {"custom_id": request.custom_id, "method": "POST", "url": ENDPOINT,
            "body": request.body}
    text = json.dumps(line, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8") + b"\n"


def build_files(
    requests: Iterable[BatchRequest], *, max_requests: int = MAX_REQUESTS,
    max_bytes: int = MAX_BYTES,
) -> list[BatchFile]:
    """The requests as JSONL files within the provider's limits, in order.

    A job's requests stay in one file when they fit, so a document's parts come back together
    and its combining call is not held up by another batch; only a job larger than a whole
    file is split.
    """
    files: list[BatchFile] = []
    lines: list[bytes] = []
    names: list[str] = []
    size = 0

    def close() -> None:
        nonlocal lines, names, size
        if lines:
            files.append(BatchFile(b"".join(lines), tuple(names)))
        lines, names, size = [], [], 0

    for _, group in groupby(requests, key=lambda r: r.job_id):
        job = [(r.custom_id, jsonl_line(r)) for r in group]
        job_size = sum(len(line) for _, line in job)
        if len(names) + len(job) > max_requests or size + job_size > max_bytes:
            close()  # the job starts a file of its own rather than straddle two
        for name, line in job:
            if len(line) > max_bytes:
                raise RequestTooLarge(name, len(line), max_bytes)
            if len(names) + 1 > max_requests or size + len(line) > max_bytes:
                close()
            lines.append(line)
            names.append(name)
            size += len(line)
    close()
    return files


# ---------------------------------------------------------------------------------- what comes back


@dataclass(frozen=True)
class RemoteFile:
    """A file on the provider's side."""

    id: str
    filename: str
    size: int  # bytes; 0 when the provider does not say
    purpose: str
    created_at: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RemoteFile:
        """A file object as the provider sends it (missing fields read as empty)."""
        return cls(str(data["id"]), str(data.get("filename") or ""), _int(data.get("bytes")),
                   str(data.get("purpose") or ""), _int(data.get("created_at")))


@dataclass(frozen=True)
class RequestCounts:
    """How many of a batch's requests are done and how many failed, as the provider counts."""

    total: int = 0
    completed: int = 0
    failed: int = 0


@dataclass(frozen=True)
class BatchInfo:
    """A batch as the provider last described it: its stage, counts and result files."""

    id: str
    status: str
    input_file_id: str
    output_file_id: str | None
    error_file_id: str | None
    counts: RequestCounts
    created_at: int
    expires_at: int | None
    metadata: Mapping[str, str]
    errors: tuple[str, ...]  # the provider's reasons when validation failed
    times: Mapping[str, int]  # in_progress_at, finalizing_at, completed_at, ... as given

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchInfo:
        """A batch object as the provider sends it. DashScope writes 0 for a time that has not
        come yet, OpenAI null: both read as absent."""
        counts = data.get("request_counts") or {}
        errors = (data.get("errors") or {}).get("data") or []
        stamps = ("in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at",
                  "cancelling_at", "cancelled_at")
        return cls(
            id=str(data["id"]),
            status=str(data.get("status") or ""),
            input_file_id=str(data.get("input_file_id") or ""),
            output_file_id=data.get("output_file_id") or None,
            error_file_id=data.get("error_file_id") or None,
            counts=RequestCounts(_int(counts.get("total")), _int(counts.get("completed")),
                                 _int(counts.get("failed"))),
            created_at=_int(data.get("created_at")),
            expires_at=_int(data["expires_at"]) if data.get("expires_at") else None,
            metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
            errors=tuple(_describe(e) for e in errors if isinstance(e, Mapping)),
            times={name: _int(data[name]) for name in stamps if data.get(name)},
        )

    @property
    def finished(self) -> bool:
        """The batch will not change any more: its result files, if any, are there to read."""
        return self.status in TERMINAL


@dataclass
class BatchResults:
    """Each request's answer or error, by custom_id."""

    answers: dict[str, CallResult] = field(default_factory=dict)
    errors: dict[str, ProviderError] = field(default_factory=dict)
    unreadable: int = 0  # lines of the result files that name no request


def _describe(error: Mapping[str, Any]) -> str:
    """One of a failed batch's reasons, as a person reads it: code, message, line."""
    line = f" (line {error['line']})" if error.get("line") else ""
    code = f"{error['code']}: " if error.get("code") else ""
    return f"{code}{error.get('message') or 'no reason given'}{line}"


def parse_result_lines(
    raw: bytes, *, dashscope: bool = False, secrets: Sequence[str] = (),
) -> BatchResults:
    """The lines of an output or error file, each as an answer or a classified error.

    Both files have the same line shape (``custom_id``, ``response`` with ``status_code`` and
    ``body``, ``error``), and providers differ in which file a refused request lands, so one
    reader takes both. A refusal is classified by the same table as a normal call's, so a
    batch's errors carry the kinds the rest of Paceline knows.
    """
    results = BatchResults()
    for text in raw.splitlines():
        if not text.strip():
            continue
        try:
            line = json.loads(text)
            name = str(line["custom_id"])
        except (ValueError, KeyError, TypeError):
            results.unreadable += 1  # no custom_id: its request shows up as missing
            continue
        outcome = _line_outcome(line, dashscope=dashscope, secrets=secrets)
        if isinstance(outcome, CallResult):
            results.answers[name] = outcome
            results.errors.pop(name, None)
        elif name not in results.answers:
            results.errors[name] = outcome
    return results


def _line_outcome(
    line: Mapping[str, Any], *, dashscope: bool, secrets: Sequence[str]
) -> CallResult | ProviderError:
    response = line.get("response")
    error = line.get("error")
    if isinstance(response, Mapping) and response.get("status_code") is not None:
        status = _int(response.get("status_code"))
        body = response.get("body")
        if 200 <= status < 300:
            return _answer(body)
        return classify_http(status, body if isinstance(body, Mapping | str) else None,
                             dashscope=dashscope, secrets=secrets)
    if isinstance(error, Mapping):
        return line_error(error, secrets=secrets)
    return malformed("a line of the batch's result file holds neither an answer nor an error")


def _answer(body: Any) -> CallResult | ProviderError:
    """A chat completion from the output file, read as a normal call's answer is."""
    try:
        choice = body["choices"][0]
        text = choice["message"].get("content") or ""
    except (KeyError, IndexError, TypeError, AttributeError):
        return malformed("a batch answer is not an OpenAI chat completion")
    finish = choice.get("finish_reason") or "stop"
    if finish == "content_filter" and not text:
        return ProviderError("content_filter", "The provider's content filter refused this "
                             "document.", error_class=ErrorClass.PERMANENT)
    usage = body.get("usage") if isinstance(body.get("usage"), Mapping) else {}
    return CallResult(text, prompt_tokens=_int(usage.get("prompt_tokens")),
                      completion_tokens=_int(usage.get("completion_tokens")),
                      finish_reason=finish)


def line_error(error: Mapping[str, Any], *, secrets: Sequence[str] = ()) -> ProviderError:
    """A request the batch engine refused without an HTTP answer (``error`` instead of
    ``response``): ``batch_expired`` for one the window ran out on, ``batch_cancelled`` for one
    a cancel stopped, else the table's kind for the code and message given (without a status,
    only they can tell)."""
    found = parse_error_body({"error": dict(error)})
    if found.code in ("batch_expired", "batch_cancelled"):
        return batch_error(found.code, found.message, secrets=secrets)
    row = find_row(LINE_STATUS.get(found.code, 0), found)
    if row is FALLBACK:  # an unknown code: the request was refused, sending it again won't help
        row = find_row(400, found)
    said = redact(" ".join(found.message.split()), secrets)
    message = MESSAGES[row.kind].format(
        where="in the batch", said=f": {said}" if said else ".", named="", what="the API key"
    )
    return ProviderError(row.kind, message, error_class=row.error_class)


def batch_error(kind: str, said: str = "", *, secrets: Sequence[str] = ()) -> ProviderError:
    """An error of one of ``BATCH_KINDS``: the job fails, and a person re-triggers it."""
    text = redact(" ".join(said.split()), secrets).rstrip(".")
    return ProviderError(kind, BATCH_MESSAGES[kind].format(said=f": {text}." if text else "."),
                         error_class=ErrorClass.PERMANENT)


def unfinished_error(batch: BatchInfo) -> ProviderError:
    """What a request of ``batch`` without any line in its result files became."""
    if batch.status == "expired":
        return batch_error("batch_expired")
    if batch.status == "cancelled":
        return batch_error("batch_cancelled")
    if batch.status == "failed":
        return batch_error("batch_failed", "; ".join(batch.errors[:3]))
    return malformed("the batch finished without a line for this request in its result files")


# ---------------------------------------------------------------------------------- the client


def outcome_unknown(error: ProviderError) -> bool:
    """Whether a failed step may still have been done on the server: its answer was lost (a
    broken connection, a timeout, a server error). A refusal (4xx, 429) made nothing."""
    return error.kind in {"connection", "timeout", "truncated", "server_error", "bad_response",
                          "conflict"}


class BatchClient:
    """The Batch API of one provider, for one Paceline queue.

    No retries of its own, as with the analyzer: a failed step raises a classified
    :class:`ProviderError`, and the queue decides when to try again. Only ``wait`` polls, since
    reading a batch's state changes nothing.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        *,
        queue: str,
        dashscope: bool = False,
        timeout_s: float = TIMEOUT_S,
        files_page: int = FILES_PAGE,
        batches_page: int = BATCHES_PAGE,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key or None
        self.queue = queue  # names this Paceline queue in each batch's metadata
        self.dashscope = dashscope
        self.max_bytes = DASHSCOPE_MAX_BYTES if dashscope else MAX_BYTES  # per batch file
        self.max_requests = MAX_REQUESTS  # per batch file
        self.timeout_s = timeout_s
        self.files_page = files_page
        self.batches_page = batches_page
        self._client: httpx.AsyncClient | None = None
        # batches cancelled as copies of one this client kept (see ensure_batch)
        self.twins_cancelled: list[str] = []
        register_secret(api_key)

    def __repr__(self) -> str:  # never show the key, even in a traceback
        return f"BatchClient({self.base_url!r}, queue={self.queue!r})"

    async def __aenter__(self) -> BatchClient:
        """The client itself; leaving the block closes its connections."""
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def client(self) -> httpx.AsyncClient:
        """One connection pool, made on first use; no retries below the steps' own logic, and
        the environment's proxy as the analyzer uses it."""
        if self._client is None:
            self._client = http_client(
                self.base_url, httpx.Timeout(self.timeout_s, connect=CONNECT_TIMEOUT_S))
        return self._client

    # ------------------------------------------------------------------ files

    async def upload(self, file: BatchFile) -> RemoteFile:
        """``POST /files`` (purpose batch), named by the content's hash."""
        data = await self._call(
            "POST", "/files", data={"purpose": PURPOSE},
            files={"file": (file.filename, file.content, "application/jsonl")},
        )
        return RemoteFile.from_json(data)

    async def find_upload(self, file: BatchFile) -> RemoteFile | None:
        """The newest uploaded copy of ``file`` (same name, so same hash, and same size), or
        None: how an upload whose answer was lost is found instead of sent twice."""
        found: list[RemoteFile] = []
        async for item in self._pages("/files", {"purpose": PURPOSE, "limit": self.files_page}):
            remote = RemoteFile.from_json(item)
            if remote.filename == file.filename and remote.size in (0, len(file.content)):
                found.append(remote)
        return max(found, key=lambda f: (f.created_at, f.id)) if found else None

    async def ensure_uploaded(self, file: BatchFile) -> RemoteFile:
        """The file on the server: found if it is there already, else uploaded once.

        When the upload's answer is lost, the server is asked again before anything is sent
        again; if it still has no copy, the error is raised and the next try looks first too.
        """
        found = await self.find_upload(file)
        if found is not None:
            return found
        try:
            return await self.upload(file)
        except ProviderError as exc:
            if not outcome_unknown(exc):
                raise
            found = await self.find_upload(file)
            if found is None:
                raise
            return found

    async def download(self, file_id: str) -> bytes:
        """``GET /files/{id}/content``: a result file's bytes."""
        return await self._call("GET", f"/files/{file_id}/content", raw=True)

    # ------------------------------------------------------------------ batches

    def metadata(self, file_hash: str, step: str) -> dict[str, str]:
        """What a batch carries so it can be found again: the queue, the file, the step."""
        names = {QUEUE_KEY: self.queue, FILE_KEY: file_hash, STEP_KEY: step}
        if self.dashscope:
            return {DASHSCOPE_NAME: f"paceline {step}",
                    DASHSCOPE_DESCRIPTION: " ".join(f"{k}={v}" for k, v in names.items())}
        return names

    def _names(self, metadata: Mapping[str, str]) -> dict[str, str]:
        """Paceline's names in a batch's metadata, in either form."""
        if DASHSCOPE_DESCRIPTION in metadata:
            pairs = (item.partition("=") for item in metadata[DASHSCOPE_DESCRIPTION].split())
            return {k: v for k, _, v in pairs if k in (QUEUE_KEY, FILE_KEY, STEP_KEY)}
        return {k: metadata[k] for k in (QUEUE_KEY, FILE_KEY, STEP_KEY) if k in metadata}

    async def create_batch(self, file_id: str, file_hash: str, step: str) -> BatchInfo:
        """``POST /batches`` for an uploaded file; ``step`` is the queue's own name for this
        batch (the same file sent again after an expiry is a new step, so a new batch)."""
        body = {"input_file_id": file_id, "endpoint": ENDPOINT,
                "completion_window": COMPLETION_WINDOW,
                "metadata": self.metadata(file_hash, step)}
        return BatchInfo.from_json(await self._call("POST", "/batches", json=body))

    async def find_batch(
        self, file_hash: str, step: str, *, since: int | None = None, file_id: str = ""
    ) -> BatchInfo | None:
        """The newest batch this queue made for this file and step, or None.

        Found by its metadata, or, where a provider keeps no metadata of ours, by its input
        file (``file_id``: the queue sends each uploaded file in one batch only). Batches are
        listed newest first; with ``since`` (a time before the step's intent was committed)
        the listing stops at older batches instead of reading the whole history.
        """
        wanted = {QUEUE_KEY: self.queue, FILE_KEY: file_hash, STEP_KEY: step}
        async for item in self._pages("/batches", {"limit": self.batches_page}):
            batch = BatchInfo.from_json(item)
            names = self._names(batch.metadata)
            if names == wanted or (not names and file_id and batch.input_file_id == file_id):
                return batch
            if since is not None and batch.created_at and batch.created_at < since:
                return None
        return None

    async def ensure_batch(
        self, file_id: str, file_hash: str, step: str, *, since: int | None = None
    ) -> BatchInfo:
        """The batch for this file and step: found if it exists, else created once (and, when
        the answer is lost, looked for again before anything is created again).

        A gateway between Paceline and the provider may repeat a creation itself when the
        provider's answer is lost on its side (LiteLLM 1.108 retries ``POST /batches``
        upstream twice, and no setting turns that off): the provider then runs two batches
        of the same requests and bills both. So after each creation the batches of this file
        and step are listed once more, and every one but the batch kept is cancelled
        (:attr:`twins_cancelled`).
        """
        found = await self.find_batch(file_hash, step, since=since, file_id=file_id)
        if found is not None:  # made before a restart: a gateway may have made copies too
            await self._cancel_twins(found, file_hash, step, since=since, file_id=file_id)
            return found
        try:
            made = await self.create_batch(file_id, file_hash, step)
        except ProviderError as exc:
            if not outcome_unknown(exc):
                raise
            found = await self.find_batch(file_hash, step, since=since, file_id=file_id)
            if found is None:
                raise
            made = found
        await self._cancel_twins(made, file_hash, step, since=since, file_id=file_id)
        return made

    async def _cancel_twins(
        self, kept: BatchInfo, file_hash: str, step: str, *, since: int | None, file_id: str
    ) -> None:
        """Cancel every unfinished batch of this file and step but ``kept``: copies nobody
        will read. Best effort: a failed listing or cancel leaves the copy running (billed,
        never read) and the kept batch goes on."""
        wanted = {QUEUE_KEY: self.queue, FILE_KEY: file_hash, STEP_KEY: step}
        twins: list[str] = []
        try:
            async for item in self._pages("/batches", {"limit": self.batches_page}):
                batch = BatchInfo.from_json(item)
                if since is not None and batch.created_at and batch.created_at < since:
                    break
                names = self._names(batch.metadata)
                same = names == wanted or (not names and batch.input_file_id == file_id)
                if same and batch.id != kept.id and batch.status not in _SETTLING:
                    twins.append(batch.id)
        except ProviderError:
            return
        for twin in twins:
            with contextlib.suppress(ProviderError):
                await self.cancel(twin)
                self.twins_cancelled.append(twin)

    async def retrieve(self, batch_id: str) -> BatchInfo:
        """``GET /batches/{id}``: the batch's stage and counts now."""
        return BatchInfo.from_json(await self._call("GET", f"/batches/{batch_id}"))

    async def cancel(self, batch_id: str) -> BatchInfo:
        """``POST /batches/{id}/cancel``. Cancelling twice is harmless (the provider keeps it
        cancelling), so a lost answer is simply asked again."""
        return BatchInfo.from_json(await self._call("POST", f"/batches/{batch_id}/cancel"))

    async def wait(
        self,
        batch_id: str,
        clock: Clock,
        *,
        interval_s: float = POLL_INTERVAL_S,
        on_change: Callable[[BatchInfo], Awaitable[None] | None] | None = None,
    ) -> BatchInfo:
        """Poll until the batch is finished; ``on_change`` hears each new stage or count.

        A poll that fails for a passing reason (no connection, a server error, throttling) is
        simply made again after the interval, or after the server's Retry-After; a refused key
        or an unknown batch is raised.
        """
        last: BatchInfo | None = None
        while True:
            try:
                batch = await self.retrieve(batch_id)
            except ProviderError as exc:
                if exc.error_class not in (ErrorClass.RETRYABLE, ErrorClass.UNREACHABLE):
                    raise
                await clock.sleep(max(interval_s, exc.retry_after or 0.0))
                continue
            if last is None or (batch.status, batch.counts) != (last.status, last.counts):
                last = batch
                if on_change is not None:
                    pending = on_change(batch)
                    if pending is not None:
                        await pending
            if batch.finished:
                return batch
            await clock.sleep(interval_s)

    async def results(self, batch: BatchInfo, custom_ids: Iterable[str]) -> BatchResults:
        """Every request of a finished batch, answered or failed: the output and error files
        read, and a request with no line in either failed as the batch's end says (expired,
        cancelled, failed)."""
        if not batch.finished:
            raise ValueError(f"batch {batch.id} is still {batch.status}")
        results = BatchResults()
        for file_id in (batch.output_file_id, batch.error_file_id):
            if file_id:
                found = parse_result_lines(await self.download(file_id),
                                           dashscope=self.dashscope, secrets=self._secrets())
                for name, error in found.errors.items():
                    if name not in results.answers:
                        results.errors[name] = error
                for name, answer in found.answers.items():
                    results.answers[name] = answer
                    results.errors.pop(name, None)
                results.unreadable += found.unreadable
        for name in custom_ids:
            if name not in results.answers and name not in results.errors:
                results.errors[name] = unfinished_error(batch)
        return results

    # ------------------------------------------------------------------ wire

    def _secrets(self) -> tuple[str, ...]:
        """What must never appear in a message (a server may echo the key it was sent)."""
        return (self._api_key,) if self._api_key else ()

    def _headers(self) -> dict[str, str]:
        return bearer_headers(self._api_key)

    async def _call(self, method: str, path: str, *, raw: bool = False, **kw: Any) -> Any:
        """One request: the parsed JSON answer (or the bytes), or a classified error."""
        url = f"{self.base_url}{path}"
        try:
            response = await self.client.request(method, url, headers=self._headers(), **kw)
            body = await response.aread()
        except httpx.HTTPError as exc:
            raise classify_transport(exc, url=url, timeout_s=self.timeout_s,
                                     secrets=self._secrets()) from None
        if response.status_code >= 300:
            raise classify_http(response.status_code, body, response.headers,
                                dashscope=self.dashscope, secrets=self._secrets(),
                                has_key=self._api_key is not None)
        if raw:
            return body
        try:
            data = json.loads(body)
        except ValueError:
            raise malformed(f"the answer to {method} {path} is not JSON") from None
        if not isinstance(data, dict):
            raise malformed(f"the answer to {method} {path} is not a JSON object")
        return data

    async def _pages(
        self, path: str, params: Mapping[str, Any]
    ) -> AsyncIterator[Mapping[str, Any]]:
        """Every item of a list, page after page (``after`` the last id, as OpenAI pages).

        A gateway may drop ``after`` and answer the first page again with ``has_more`` still
        true (LiteLLM 1.108 forwards neither ``limit`` nor ``after`` of ``GET /files``): a page
        that brings no id not seen before ends the list instead of asking for it forever.
        """
        query = dict(params)
        seen: set[str] = set()
        while True:
            page = await self._call("GET", path, params=query)
            items = [item for item in page.get("data") or [] if isinstance(item, Mapping)]
            fresh = [item for item in items if str(item.get("id")) not in seen]
            for item in fresh:
                seen.add(str(item.get("id")))
                yield item
            if not page.get("has_more") or not fresh:
                return
            query["after"] = str(items[-1]["id"])


def make_batch_client(
    settings: Settings, *, queue: str, api_key: str | None = None, home: Path | None = None
) -> BatchClient:
    """The batch client for these settings: the same base URL and key as the analyzer's
    (core/analyzers/openai_compat.py), and the same refusal to send a key over plain http to
    a host outside this machine's network."""
    if settings.provider == "offline":
        raise SettingsError("Batch mode needs an OpenAI-compatible provider with an API base "
                            "URL: choose one in Settings.")
    target, api_key = endpoint_and_key(settings, api_key=api_key, home=home)
    return BatchClient(target.base_url, api_key, queue=queue, dashscope=target.dashscope)


def _int(value: Any) -> int:
    """A count or a time from the provider; anything unreadable or negative reads as 0."""
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return 0
