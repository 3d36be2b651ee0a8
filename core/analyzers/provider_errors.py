"""What a failed call to an OpenAI-compatible provider means, decided in one place.

Every HTTP error answer goes through :func:`classify_http` and every transport failure through
:func:`classify_transport`; both return a :class:`~core.errors.ProviderError` whose
``error_class`` tells the worker what to do (retry after a backoff, fail the job, or pause the
queue) and whose message speaks to a person. Messages never contain the API key: the server's
own text is passed through :func:`redact` (some servers echo the key they were given).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.errors import ErrorClass, ProviderError
from core.logs import scrub

MAX_SERVER_TEXT = 300  # the server's message is quoted, but a whole HTML error page is not

# DashScope and OpenAI codes for throttling: wait and try again.
THROTTLE_CODES = frozenset(
    {
        "rate_limit_exceeded",
        "limit_requests",
        "limit_burst_rate",
        "throttling",
        "throttling.ratequota",
        "throttling.burstrate",
        "throttling.allocationquota",
        "requests",
        "tokens",
    }
)
# Codes that mean the account cannot pay for calls: no job can succeed until a person acts.
QUOTA_CODES = frozenset(
    {
        "arrearage",
        "allocationquota.freetieronly",
        "billing_not_active",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "insufficient_quota",  # on OpenAI; DashScope uses it for a rate quota (see below)
    }
)
QUOTA_PHRASES = (
    "free allocated quota exceeded",
    "free quota has been exhausted",
    "free tier of the model has been exhausted",
    "overdue",
    "in good standing",
    "arrearage",
)
KEY_CODES = frozenset({"invalid_api_key", "invalidapikey", "invalid_authentication"})
CONTEXT_CODES = frozenset({"context_length_exceeded", "string_above_max_length"})
CONTEXT_PHRASES = (
    "maximum context length",
    "context length",
    "context window",
    "context_length",
    "too many tokens",
    "prompt is too long",
    "input length",
    "input is too long",
)
FILTER_CODES = frozenset({"datainspectionfailed", "content_filter", "data_inspection_failed"})
MODEL_CODES = frozenset({"model_not_found", "modelnotfound", "model_not_supported"})


@dataclass(frozen=True)
class ErrorBody:
    """The useful fields of an error answer, whatever shape the server used."""

    message: str = ""
    type: str = ""
    code: str = ""


def parse_error_body(raw: bytes | str | Mapping[str, Any] | None) -> ErrorBody:
    """Read ``{"error": {...}}`` (OpenAI, DashScope compatible mode), vLLM's flat
    ``{"object": "error", "message", "type", "code"}`` and DashScope's native
    ``{"code", "message", "request_id"}``; anything else becomes the message itself."""
    data: Any = raw
    if isinstance(raw, bytes | str):
        text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
        try:
            data = json.loads(text)
        except ValueError:
            return ErrorBody(message=" ".join(text.split()))
    if not isinstance(data, Mapping):
        return ErrorBody(message=str(data) if data is not None else "")
    inner = data.get("error")
    if isinstance(inner, Mapping):
        data = inner
    elif isinstance(inner, str):  # some servers answer {"error": "text"}
        return ErrorBody(message=inner)
    return ErrorBody(
        message=str(data.get("message") or data.get("detail") or ""),
        type=str(data.get("type") or ""),
        code=str(data.get("code") or ""),
    )


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date)."""
    lower = {k.lower(): v for k, v in headers.items()}
    raw_ms = lower.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lower.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    return scrub(text)


def _quote(body: ErrorBody, secrets: Iterable[str]) -> str:
    text = redact(" ".join(body.message.split()), secrets)
    if len(text) > MAX_SERVER_TEXT:
        text = text[: MAX_SERVER_TEXT - 1] + "…"
    return f": {text}" if text else "."


def classify_http(
    status: int,
    body: bytes | str | Mapping[str, Any] | None,
    headers: Mapping[str, str] | None = None,
    *,
    dashscope: bool = False,
    secrets: Iterable[str] = (),
    model: str = "",
    has_key: bool = True,
    now: float | None = None,
) -> ProviderError:
    """The one decision table for an error answer from the provider."""
    err = parse_error_body(body)
    secrets = tuple(secrets)
    said = _quote(err, secrets)
    code = err.code.lower()
    kind_of = err.type.lower()
    codes = {code, kind_of} - {""}
    text = err.message.lower()
    retry_after = parse_retry_after(headers or {}, now)
    where = f"HTTP {status}"

    def error(kind: str, message: str, cls: ErrorClass) -> ProviderError:
        wait = retry_after if cls == ErrorClass.RETRYABLE else None
        found = ProviderError(kind, message, error_class=cls, retry_after=wait)
        # A 429's x-ratelimit-* headers tell the adaptive pacer the real limit.
        found.headers = dict(headers or {})
        return found

    # Stop-the-queue first: an unpaid bill also comes back as 400 or 429 on DashScope.
    if any(p in text for p in QUOTA_PHRASES) or (
        codes & QUOTA_CODES and not (dashscope and codes <= {"insufficient_quota"})
    ):
        return error(
            "quota",
            f"The provider refused the call because of the account's quota or bill ({where})"
            f"{said} Top up or settle the account, then resume the queue.",
            ErrorClass.STOP_QUEUE,
        )
    if status in (401, 403) or codes & KEY_CODES:
        what = "the API key" if has_key else "the call: no API key is set"
        return error(
            "bad_key",
            f"The provider rejected {what} (bad API key, {where}){said} Set a valid key "
            "in Settings or PACELINE_API_KEY, then resume the queue.",
            ErrorClass.STOP_QUEUE,
        )
    if status == 429 or codes & THROTTLE_CODES or (dashscope and "insufficient_quota" in codes):
        return error(
            "rate_limited",
            f"The provider is limiting the request rate ({where}){said} Paceline waits and "
            "tries again.",
            ErrorClass.RETRYABLE,
        )
    if status == 408:
        return error("timeout", f"The server timed out the request ({where}){said}",
                     ErrorClass.RETRYABLE)
    if status == 409:
        return error("conflict", f"The server reported a conflict ({where}){said} "
                     "Paceline tries again.", ErrorClass.RETRYABLE)
    if status >= 500:
        return error("server_error", f"The provider had a server error ({where}){said} "
                     "Paceline tries again.", ErrorClass.RETRYABLE)
    if codes & CONTEXT_CODES or status == 413 or any(p in text for p in CONTEXT_PHRASES):
        return error(
            "context_too_long",
            f"The document part is too long for the model's context ({where}){said} Lower "
            "the part size (context characters) in Settings and re-trigger the job.",
            ErrorClass.PERMANENT,
        )
    if codes & FILTER_CODES:
        return error("content_filter", f"The provider's content filter refused this document "
                     f"({where}){said}", ErrorClass.PERMANENT)
    if status == 404 or codes & MODEL_CODES:
        # A wrong model or URL fails every job alike: pause instead of burning the queue.
        named = f" {model!r}" if model else ""
        return error(
            "bad_model",
            f"The server has no model{named} or no such endpoint ({where}){said} Check the "
            "model and the API base in Settings, then resume the queue.",
            ErrorClass.STOP_QUEUE,
        )
    if 400 <= status < 500:
        return error("bad_request", f"The provider rejected the request ({where}){said}",
                     ErrorClass.PERMANENT)
    return error("bad_response", f"The provider answered with an unexpected status "
                 f"({where}){said}", ErrorClass.RETRYABLE)


def classify_transport(
    exc: Exception, *, url: str = "", received_any: bool = False, timeout_s: float = 0.0,
    secrets: Iterable[str] = (),
) -> ProviderError:
    """A failure below HTTP: timeouts, refused or reset connections, broken streams."""
    host = f"the server at {httpx.URL(url).host}" if url else "the server"
    host_ = "T" + host[1:]  # the same, to start a sentence
    detail = redact(str(exc) or type(exc).__name__, secrets)
    retry = ErrorClass.RETRYABLE
    if isinstance(exc, httpx.ConnectTimeout):
        return ProviderError("timeout", f"Could not connect to {host} in time ({detail}).",
                             error_class=down)
    if isinstance(exc, httpx.TimeoutException):
        waited = f" within {timeout_s:g} s" if timeout_s else ""
        return ProviderError("timeout", f"{host_} did not answer{waited}; "
                             "Paceline tries again.", error_class=retry)
    if isinstance(exc, httpx.UnsupportedProtocol | httpx.InvalidURL):
        return ProviderError("bad_endpoint", f"The API base URL {url!r} cannot be used "
                             f"({detail}). Fix it in Settings, then resume the queue.",
                             error_class=ErrorClass.STOP_QUEUE)
    if isinstance(exc, httpx.ConnectError):
        return ProviderError("connection", f"Cannot reach {host} ({detail}). Is the server "
                             "running and the API base right?", error_class=down)
    if isinstance(exc, httpx.DecodingError):
        return malformed(f"the answer could not be decoded ({detail})")
    if received_any:
        return truncated(f"the connection broke in the middle of the answer ({detail})")
    return ProviderError("connection", f"{host_} closed the connection without "
                         f"answering ({detail}); Paceline tries again.", error_class=down)


def truncated(why: str = "the answer stopped before it was complete") -> ProviderError:
    return ProviderError("truncated", f"The provider's answer was cut off: {why}. Paceline "
                         "tries again.", error_class=ErrorClass.RETRYABLE)


def malformed(why: str) -> ProviderError:
    return ProviderError("bad_response", f"The provider sent an answer Paceline cannot read: "
                         f"{why}. Paceline tries again.", error_class=ErrorClass.RETRYABLE)
    # No connection, or one closed before any answer: the server is down or unreachable,
    # which is no job's fault (the queue waits and probes; no attempt is used).
    down = ErrorClass.UNREACHABLE
