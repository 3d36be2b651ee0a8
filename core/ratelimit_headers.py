"""Reading a provider's rate-limit headers, whichever family of names it uses.

:func:`parse_rate_limits` reads every family in ``FAMILIES`` and reports the binding quota.
The families ({field} is limit, remaining or reset):

* openai: ``x-ratelimit-{field}-{requests|tokens|input-tokens|output-tokens}``, resets as Go
  durations. OpenAI, Groq, vLLM-based gateways; LiteLLM for model groups and when passing an
  upstream's headers on.
* windowed: ``x-ratelimit-{field}-{requests|req|tokens}-{minute|hour|day|month}``, resets in
  seconds. Cerebras, Mistral: the window is in the name.
* litellm: ``x-ratelimit-{scope}-{limit|remaining}-{requests|tokens}``, no reset. LiteLLM's
  own limits per api_key, user, team, team_member, end_user, model_per_key, ...
* litellm-key: ``x-litellm-key-{rpm|tpm}-limit``, the limits only: all LiteLLM sends on a
  streamed answer or a 429.

  A tokens limit of either LiteLLM family is not spent as usage alone: LiteLLM books a call at
  its prompt characters / 4 plus its ``max_tokens`` while it runs, and only at its reported
  usage once it ends (``RateLimits.books_max_tokens``).
* anthropic: ``anthropic-ratelimit-{requests|tokens|input-tokens|output-tokens}-{field}``,
  resets as RFC 3339 times.

Durations use Go's format ("1s", "6m0s", "12ms", "2m59.56s"); plain numbers are seconds.

Windows. The ``RateLimits`` fields without a prefix are PER MINUTE, the ``day_`` fields PER
DAY. A family counts per minute unless its provider documents otherwise: the windowed family
names its window, and Groq documents that its ``x-ratelimit-*-requests`` headers count
requests per day (its token headers count per minute). A reset longer than a minute is not
taken as a sign of a daily window: OpenAI's token reset can read "6m0s". (Groq's answers bear
the day out: its reset-requests is 86400 s / limit, the time to win one request back.) Groq is
recognised by the ``x-groq-region`` header it sends with every answer (also as LiteLLM
forwards it), or by the ``host`` argument (the API base URL, or its host name). Hour and month
windows are left out: neither field fits them.

Binding quota. When several quotas of the same window and resource are reported (OpenAI's
own plus LiteLLM's per key and per team, say), the lowest limit and the lowest remaining are
reported, and the reset of the quota that has the least left. Output-token quotas (Anthropic,
LiteLLM per model group) limit what a call may generate, not the tokens Paceline charges per
call, so they never set the token limit; but one that is used up holds every call, so it
counts for remaining and reset.

DashScope sends none of these (its answers carry ``x-dashscope-call-gateway`` and timing
headers only), which is why the adaptive pacer can also probe. ``Retry-After`` is not read
here: see :func:`core.analyzers.provider_errors.parse_retry_after`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

# "ms" must be tried before "m" so "12ms" is not read as 12 minutes and an "s".
_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|h|m|s)")
_UNIT_SECONDS = {
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
    "ms": 1e-3,
    "us": 1e-6,
    "µs": 1e-6,
    "μs": 1e-6,
    "ns": 1e-9,
}


def parse_duration(raw: str | None) -> float | None:
    """Seconds in a Go-style duration ("6m0s", "12ms", "1m30.5s") or a plain number of seconds.

    Returns None for anything unreadable, so a strange header never breaks a call.
    """
    if raw is None:
        return None
    text = raw.strip().lower()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        pass
    else:
        return value if value >= 0 else None
    total = 0.0
    pos = 0
    for match in _PART.finditer(text):
        if match.start() != pos:  # something unreadable between the parts
            return None
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    return total if pos == len(text) and pos > 0 else None


def parse_reset_time(raw: str | None, now: float | None = None) -> float | None:
    """Seconds until an RFC 3339 time ("2024-03-26T20:00:00Z", Anthropic's resets)."""
    if not raw:
        return None
    try:
        when = datetime.fromisoformat(raw.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:  # not RFC 3339; a local time would be a guess
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    # Azure answers -1 for "not known"; a count below zero means nothing else.
    return value if value >= 0 else None


@dataclass(frozen=True)
class RateLimits:
    """What one answer said about the quota; None where the server did not say.

    Counts without a prefix are per minute, ``day_`` counts per day. Resets are seconds from
    now until the quota is full again.
    """

    limit_requests: float | None = None  # per minute
    remaining_requests: float | None = None
    reset_requests: float | None = None  # seconds
    limit_tokens: float | None = None  # per minute
    remaining_tokens: float | None = None
    reset_tokens: float | None = None  # seconds
    day_limit_requests: float | None = None  # per day
    day_remaining_requests: float | None = None
    day_reset_requests: float | None = None  # seconds
    day_limit_tokens: float | None = None  # per day
    day_remaining_tokens: float | None = None
    day_reset_tokens: float | None = None  # seconds
    # The tokens limit is a LiteLLM proxy's: it books each call at its prompt characters / 4
    # plus its max_tokens while the call runs, and at the usage reported once it ends.
    books_max_tokens: bool | None = None

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.__dict__.values())


REQUESTS, TOKENS, OUTPUT = "requests", "tokens", "output"
MINUTE, DAY = "minute", "day"
# A header's word for what it counts. Input tokens are what a Paceline call mostly spends.
_WHAT = {
    "requests": REQUESTS,
    "req": REQUESTS,  # Mistral
    "tokens": TOKENS,
    "input-tokens": TOKENS,
    "output-tokens": OUTPUT,
    "rpm": REQUESTS,  # LiteLLM's key limits on streamed answers
    "tpm": TOKENS,
}
_WHATS = "requests|req|tokens|input-tokens|output-tokens"


@dataclass(frozen=True)
class Family:
    """One way of naming quotas in headers. ``pattern`` matches a lower-case header name and
    names the groups ``field`` (limit, remaining, reset) and ``what``, and may name ``scope``
    (whose quota) and ``window``; ``reset`` says how resets are written ("duration": Go
    duration or seconds, "time": RFC 3339)."""

    name: str
    pattern: re.Pattern[str]
    reset: str
    seen: str  # whose headers these are


FAMILIES: tuple[Family, ...] = (
    Family(
        "openai",
        re.compile(rf"x-ratelimit-(?P<field>limit|remaining|reset)-(?P<what>{_WHATS})"),
        "duration",
        "OpenAI, Groq (requests per day), LiteLLM model groups and input/output tokens",
    ),
    Family(
        "windowed",
        re.compile(
            r"x-ratelimit-(?P<field>limit|remaining|reset)-(?P<what>requests|req|tokens)"
            r"-(?P<window>minute|hour|day|month)"
        ),
        "duration",
        "Cerebras (requests-day, tokens-minute), Mistral (req-minute, tokens-minute)",
    ),
    Family(
        "litellm",
        re.compile(
            r"x-ratelimit-(?P<scope>[a-z0-9_]+)-(?P<field>limit|remaining)-(?P<what>requests|tokens)"
        ),
        "",
        "LiteLLM proxy limits per api_key, user, team, team_member, end_user, model_per_key, "
        "...; counted per LITELLM_RATE_LIMIT_WINDOW_SIZE, 60 s by default",
    ),
    Family(
        "litellm-key",
        # The only limit headers LiteLLM puts on a streamed answer (and on its 429s): the
        # key's limits, no remaining count. Paceline streams, so behind LiteLLM this is what
        # the pacer gets.
        re.compile(r"x-litellm-key-(?P<what>rpm|tpm)-(?P<field>limit)"),
        "",
        "LiteLLM proxy: the key's rpm_limit and tpm_limit, on every answer, streamed too",
    ),
    Family(
        "anthropic",
        re.compile(rf"anthropic-ratelimit-(?P<what>{_WHATS})-(?P<field>limit|remaining|reset)"),
        "time",
        "Anthropic (per minute)",
    ),
)

# LiteLLM's own limits (not an upstream's it passes on). Its TPM limiter (parallel_request_limiter
# v3) reserves prompt characters / 4 + max_tokens when it admits a call and settles to the
# reported usage when the call ends: see RateLimits.books_max_tokens.
LITELLM_FAMILIES = frozenset({"litellm", "litellm-key"})

# LiteLLM copies an upstream's limit and remaining headers as they are but its reset headers
# (and everything else, such as Groq's x-groq-region) only with this prefix.
FORWARDED = "llm_provider-"
GROQ_MARK = "x-groq-region"


_Triple = tuple[float | None, float | None, float | None]  # limit, remaining, reset


@dataclass
class _Quota:
    limit: float | None = None
    remaining: float | None = None
    reset: float | None = None
    output_only: bool = False


@dataclass
class _Found:
    quotas: dict[tuple[str, str, str, str], _Quota] = field(default_factory=dict)

    def quota(self, family: str, scope: str, what: str, window: str) -> _Quota:
        key = (family, scope, what, window)
        if key not in self.quotas:
            self.quotas[key] = _Quota(output_only=what == OUTPUT)
        return self.quotas[key]

    def binding(self, resource: str, window: str) -> _Triple:
        """(limit, remaining, reset) of the quotas of this resource and window."""
        wanted = {resource, OUTPUT} if resource == TOKENS else {resource}
        quotas = [q for (_, _, what, win), q in self.quotas.items()
                  if what in wanted and win == window]
        limits = [q.limit for q in quotas if q.limit is not None and not q.output_only]
        remaining = [q.remaining for q in quotas if q.remaining is not None]
        low = min(remaining) if remaining else None
        # The reset that matters is that of the quota with the least left; without any
        # remaining count, the longest reset is the safe one.
        resets = [q.reset for q in quotas
                  if q.reset is not None and (low is None or q.remaining == low)]
        return (min(limits) if limits else None, low, max(resets) if resets else None)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    for name, value in list(lower.items()):
        if name.startswith(FORWARDED):
            lower.setdefault(name[len(FORWARDED):], value)  # the proxy's own copy wins
    return lower


def is_groq(headers: Mapping[str, str] | None, host: str = "") -> bool:
    """Groq's answer (its request headers count per day), by its header or its address."""
    return "groq.com" in host.lower() or GROQ_MARK in _lower(headers or {})


def parse_rate_limits(
    headers: Mapping[str, str] | None, *, host: str = "", now: float | None = None
) -> RateLimits:
    """The rate-limit headers of an answer, header names in any case.

    ``host`` is the API base URL or host name the answer came from (it tells Groq apart when
    a proxy hides its header); ``now`` is the time RFC 3339 resets are counted from.
    """
    if not headers:
        return RateLimits()
    lower = _lower(headers)
    groq = is_groq(lower, host)
    found = _Found()
    for name, value in lower.items():
        for family in FAMILIES:
            match = family.pattern.fullmatch(name)
            if match is None:
                continue
            parts = match.groupdict()
            what = _WHAT[parts["what"]]
            window = parts.get("window") or MINUTE
            if family.name == "openai" and groq and what == REQUESTS:
                window = DAY  # Groq documents x-ratelimit-*-requests as requests per day
            if window not in (MINUTE, DAY):
                continue
            quota = found.quota(family.name, parts.get("scope") or "", what, window)
            if parts["field"] == "limit":
                quota.limit = _number(value)
            elif parts["field"] == "remaining":
                count = _number(value)
                if count is None and family.name == "litellm":
                    # LiteLLM subtracts use from the limit: below zero means none left.
                    count = 0.0 if _is_negative(value) else None
                quota.remaining = count
            elif family.reset == "time":
                quota.reset = parse_reset_time(value, now)
            else:
                quota.reset = parse_duration(value)
    limit_requests, remaining_requests, reset_requests = found.binding(REQUESTS, MINUTE)
    limit_tokens, remaining_tokens, reset_tokens = found.binding(TOKENS, MINUTE)
    day_limit_requests, day_remaining_requests, day_reset_requests = found.binding(REQUESTS, DAY)
    day_limit_tokens, day_remaining_tokens, day_reset_tokens = found.binding(TOKENS, DAY)
    litellm_tokens = any(
        quota.limit is not None and what == TOKENS and family in LITELLM_FAMILIES
        for (family, _, what, _), quota in found.quotas.items()
    )
    return RateLimits(
        limit_requests=limit_requests,
        remaining_requests=remaining_requests,
        reset_requests=reset_requests,
        limit_tokens=limit_tokens,
        remaining_tokens=remaining_tokens,
        reset_tokens=reset_tokens,
        day_limit_requests=day_limit_requests,
        day_remaining_requests=day_remaining_requests,
        day_reset_requests=day_reset_requests,
        day_limit_tokens=day_limit_tokens,
        day_remaining_tokens=day_remaining_tokens,
        day_reset_tokens=day_reset_tokens,
        books_max_tokens=True if litellm_tokens else None,
    )


def _is_negative(raw: str) -> bool:
    try:
        return float(raw.strip()) < 0
    except ValueError:
        return False
