"""What a failed call to an OpenAI-compatible provider means, decided in one place.

Every HTTP error answer goes through :func:`classify_http`, which reads the body whatever its
shape and looks it up in ``ROWS``: one ordered table of status, code/type and message phrase
-> kind, error class. Every transport failure goes through :func:`classify_transport`. Both
return a :class:`~core.errors.ProviderError` whose ``error_class`` tells the worker what to do
(retry after a backoff, fail the job, or pause the queue) and whose message speaks to a person.

The rule the table follows: an error about the server or the account (unknown model, refused
key, no money) pauses the queue, because every other job would fail the same way; an error
about this job (too long, filtered, refused) fails the job; throttling and server trouble wait
and try again. tests/core/test_error_table.py holds a real answer for every row.

Messages never contain the API key: the server's own text is passed through :func:`redact`
(some servers echo the key they were given).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Container, Iterable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from core.errors import ErrorClass, ProviderError
from core.logs import scrub

MAX_SERVER_TEXT = 300  # the server's message is quoted, but a whole HTML error page is not

# Codes (the body's ``code`` or ``type``, lower case) and phrases (in its message, lower case)
# that the rows of ``ROWS`` below look for. Each group says whose words they are.

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
# OpenAI's insufficient_quota is not here: DashScope uses it for a rate quota (its own row).
QUOTA_CODES = frozenset(
    {
        "arrearage",
        "allocationquota.freetieronly",
        "billing_not_active",
        "credit_balance_exhausted",
        "organization_spend_limit_exceeded",
        "project_spend_limit_exceeded",
        "commoditynotpurchased",  # DashScope, 429: the model was never bought
        "budget_exceeded",  # LiteLLM: a key, user or team spent its budget
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
# OpenAI's words for an unpaid account. A gateway may keep only the words: LiteLLM turns the
# body into type "throttling_error", code "429".
SPENT_PHRASES = ("exceeded your current quota",)
# Others use OpenAI's code and words for a limit that passes: Gemini for a per-minute limit
# (it says when to retry and links its rate-limit page), DashScope for its token quota (it
# links "error-code#token-limit", also when a gateway hides that the server is DashScope).
NOT_SPENT = ("retry in", "try again in", "retrydelay", "/rate-limits", "#token-limit")
KEY_CODES = frozenset(
    {
        "invalid_api_key",
        "invalidapikey",
        "invalid_authentication",
        "no_db_connection",  # LiteLLM without a database: every key but the master key
    }
)
KEY_PHRASES = ("no connected db",)
CONTEXT_CODES = frozenset(
    {
        "context_length_exceeded",
        "string_above_max_length",
        "exceed_context_size_error",  # llama.cpp server
    }
)
CONTEXT_PHRASES = (
    "maximum context length",  # OpenAI, vLLM
    "context length",
    "context window",
    "context_length",
    "context size",  # llama.cpp: "exceeds the available context size"
    "contextwindowexceedederror",  # LiteLLM's name for any of the above, kept in its message
    "too many tokens",
    "prompt is too long",
    "input length",  # DashScope: "Range of input length should be [1, 30720]"
    "input is too long",
)
FILTER_CODES = frozenset({"datainspectionfailed", "content_filter", "data_inspection_failed"})
MODEL_CODES = frozenset({"model_not_found", "modelnotfound", "model_not_supported"})
# LiteLLM: the key (or its team, user, ...) may not use this model; answered with a 403.
MODEL_ACCESS_CODES = frozenset(
    {
        "key_model_access_denied",
        "team_model_access_denied",
        "user_model_access_denied",
        "org_model_access_denied",
        "customer_model_access_denied",
        "project_model_access_denied",
        "agent_model_access_denied",
    }
)
MODEL_PHRASES = (
    "invalid model name passed in",  # LiteLLM, 400
    "try pulling it first",  # Ollama, 404
)
# "model", maybe its name in quotes, then the verdict: vLLM "The model `x` does not exist.",
# llama.cpp's router "model 'x' not found" (a 400), Ollama "model 'x' not found", DashScope
# "Model not exist." and "model 'x' is not supported". A model that "does not support" images
# or tools is a job's problem and does not match.
MODEL_UNKNOWN = re.compile(
    r"\bmodel\s+(?:[`'\"][^`'\"]{1,120}[`'\"]\s+)?(?:is\s+)?"
    r"(?:not found|does not exist|not exist|not supported)"
)

R, P, S = ErrorClass.RETRYABLE, ErrorClass.PERMANENT, ErrorClass.STOP_QUEUE


@dataclass(frozen=True, eq=False)  # rows are told apart by identity: two may read alike
class Row:
    """One line of the decision table: when it applies and what it means.

    A row applies when the server is of the right sort (``dashscope``), none of ``unless``
    is in the message, and any one of status, code, phrase or pattern fits.
    """

    kind: str
    error_class: ErrorClass
    statuses: Container[int] = frozenset()
    codes: frozenset[str] = frozenset()  # the body's code or type, lower case
    phrases: tuple[str, ...] = ()  # in the server's message, lower case
    pattern: re.Pattern[str] | None = None
    unless: tuple[str, ...] = ()
    dashscope: bool | None = None  # True: only on DashScope, False: never there
    why: str = ""  # for people reading the table: whose answer this is

    def applies(self, status: int, codes: set[str], text: str, dashscope: bool) -> bool:
        if self.dashscope is not None and self.dashscope != dashscope:
            return False
        if any(p in text for p in self.unless):
            return False
        return (
            status in self.statuses
            or bool(self.codes & codes)
            or any(p in text for p in self.phrases)
            or (self.pattern is not None and self.pattern.search(text) is not None)
        )


# The first row that applies decides. Errors about the server or the account (key, model,
# money) come first and pause the queue; then waiting helps (throttling, server errors);
# then the job itself is at fault (too long, filtered, refused).
ROWS: tuple[Row, ...] = (
    Row("quota", S, statuses={402}, codes=QUOTA_CODES, phrases=QUOTA_PHRASES,
        why="DashScope Arrearage/FreeTierOnly; OpenAI billing codes; LiteLLM budget_exceeded"),
    Row("quota", S, codes=frozenset({"insufficient_quota"}), unless=NOT_SPENT, dashscope=False,
        why="OpenAI's 429 insufficient_quota: the money ran out"),
    Row("quota", S, phrases=SPENT_PHRASES, unless=NOT_SPENT, dashscope=False,
        why="the same, passed on by a gateway that kept only the words"),
    Row("bad_model", S, codes=MODEL_ACCESS_CODES,
        why="LiteLLM 403: this key may not use the model"),
    Row("bad_key", S, statuses={401, 403}, codes=KEY_CODES, phrases=KEY_PHRASES,
        why="refused or missing key; LiteLLM's 400 'No connected db.'"),
    # DashScope's insufficient_quota comes with a 429 and ends here: a rate quota.
    Row("rate_limited", R, statuses={429}, codes=THROTTLE_CODES,
        why="throttling everywhere"),
    Row("timeout", R, statuses={408}),
    Row("conflict", R, statuses={409}),
    Row("server_error", R, statuses=range(500, 600)),
    Row("context_too_long", P, statuses={413}, codes=CONTEXT_CODES, phrases=CONTEXT_PHRASES,
        why="OpenAI, vLLM, llama.cpp, DashScope, LiteLLM"),
    Row("content_filter", P, codes=FILTER_CODES),
    Row("bad_model", S, statuses={404}, codes=MODEL_CODES, phrases=MODEL_PHRASES,
        pattern=MODEL_UNKNOWN, why="unknown model: vLLM, Ollama, llama.cpp, LiteLLM, OpenAI"),
    Row("bad_request", P, statuses=range(400, 500)),
)
FALLBACK = Row("bad_response", R)  # 1xx or 3xx where an answer was due: try again

# What each kind tells a person. {where} is "HTTP 404", {said} the server's own words (or
# "."), {named} the model in quotes, {what} what was refused.
MESSAGES = {
    "quota": "The provider refused the call because of the account's quota or bill ({where})"
    "{said} Top up or settle the account, then resume the queue.",
    "bad_key": "The provider rejected {what} (bad API key, {where}){said} Set a valid key "
    "in Settings or PACELINE_API_KEY, then resume the queue.",
    "rate_limited": "The provider is limiting the request rate ({where}){said} Paceline waits "
    "and tries again.",
    "timeout": "The server timed out the request ({where}){said}",
    "conflict": "The server reported a conflict ({where}){said} Paceline tries again.",
    "server_error": "The provider had a server error ({where}){said} Paceline tries again.",
    "context_too_long": "The document part is too long for the model's context ({where}){said} "
    'Lower "Part size" in Settings → Provider and re-trigger the job.',
    "content_filter": "The provider's content filter refused this document ({where}){said}",
    "bad_model": "The server has no model{named} or no such endpoint ({where}){said} Check the "
    "model and the API base in Settings, then resume the queue.",
    "bad_request": "The provider rejected the request ({where}){said}",
    "bad_response": "The provider answered with an unexpected status ({where}){said}",
}


@dataclass(frozen=True)
class ErrorBody:
    """The useful fields of an error answer, whatever shape the server used."""

    message: str = ""
    type: str = ""
    code: str = ""


def parse_error_body(raw: bytes | str | Mapping[str, Any] | None) -> ErrorBody:
    """Read ``{"error": {...}}`` (OpenAI, DashScope compatible mode, llama.cpp, LiteLLM, newer
    vLLM), older vLLM's flat ``{"object": "error", "message", "type", "code"}`` and DashScope's
    native ``{"code", "message", "request_id"}``; anything else becomes the message itself."""
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


# LiteLLM forwards the upstream provider's headers with this prefix and keeps a plain
# ``retry-after`` only for its own limits, so an upstream's wait is read from the copy.
FORWARDED = "llm_provider-"


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds to wait from ``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date),
    or from the same headers as LiteLLM forwards them (``llm_provider-retry-after``)."""
    lower = {k.lower(): v for k, v in headers.items()}
    for prefix in ("", FORWARDED):
        wait = _retry_after(lower, prefix, now)
        if wait is not None:
            return wait
    return None


def _retry_after(lower: Mapping[str, str], prefix: str, now: float | None) -> float | None:
    raw_ms = lower.get(f"{prefix}retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000.0)
        except ValueError:
            pass
    raw = lower.get(f"{prefix}retry-after")
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


def find_row(status: int, body: ErrorBody, *, dashscope: bool = False) -> Row:
    """The row of ``ROWS`` that decides this answer (``FALLBACK`` when none applies)."""
    codes = {body.code.lower(), body.type.lower()} - {""}
    text = body.message.lower()
    for row in ROWS:
        if row.applies(status, codes, text, dashscope):
            return row
    return FALLBACK


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
    """What an error answer from the provider means: the row of ``ROWS`` that applies."""
    err = parse_error_body(body)
    row = find_row(status, err, dashscope=dashscope)
    message = MESSAGES[row.kind].format(
        where=f"HTTP {status}",
        said=_quote(err, tuple(secrets)),
        named=f" {model!r}" if model else "",
        what="the API key" if has_key else "the call: no API key is set",
    )
    wait = parse_retry_after(headers or {}, now) if row.error_class == R else None
    found = ProviderError(row.kind, message, error_class=row.error_class, retry_after=wait)
    # A 429's x-ratelimit-* headers tell the adaptive pacer the real limit.
    found.headers = dict(headers or {})
    return found


def classify_transport(
    exc: Exception, *, url: str = "", received_any: bool = False, timeout_s: float = 0.0,
    secrets: Iterable[str] = (),
) -> ProviderError:
    """A failure below HTTP: timeouts, refused or reset connections, broken streams."""
    host = f"the server at {httpx.URL(url).host}" if url else "the server"
    host_ = "T" + host[1:]  # the same, to start a sentence
    detail = redact(str(exc) or type(exc).__name__, secrets)
    retry = ErrorClass.RETRYABLE
    # No connection, or one closed before any answer: the server is down or unreachable,
    # which is no job's fault (the queue waits and probes; no attempt is used).
    down = ErrorClass.UNREACHABLE
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
