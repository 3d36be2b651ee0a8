"""Reading a provider's rate-limit headers (OpenAI's ``x-ratelimit-*`` family).

OpenAI, Groq, vLLM-based gateways and others send, on every answer::

    x-ratelimit-limit-requests: 60        requests allowed per minute
    x-ratelimit-remaining-requests: 59    requests left right now
    x-ratelimit-reset-requests: 1s        time until the request quota is full again
    x-ratelimit-limit-tokens / -remaining-tokens / -reset-tokens   the same for tokens

Durations use Go's format ("1s", "6m0s", "12ms", "1m30.5s"); some servers send plain seconds.
DashScope sends none of these, which is why the adaptive pacer can also probe.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

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


def _number(raw: str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw.strip())
    except ValueError:
        return None
    return value if value >= 0 else None


@dataclass(frozen=True)
class RateLimits:
    """What one answer said about the quota; None where the server did not say."""

    limit_requests: float | None = None  # per minute
    remaining_requests: float | None = None
    reset_requests: float | None = None  # seconds
    limit_tokens: float | None = None  # per minute
    remaining_tokens: float | None = None
    reset_tokens: float | None = None  # seconds

    @property
    def empty(self) -> bool:
        return all(v is None for v in self.__dict__.values())


def parse_rate_limits(headers: Mapping[str, str] | None) -> RateLimits:
    """The ``x-ratelimit-*`` headers of an answer, header names in any case."""
    if not headers:
        return RateLimits()
    lower = {str(k).lower(): str(v) for k, v in headers.items()}

    def get(name: str) -> str | None:
        return lower.get(f"x-ratelimit-{name}")

    return RateLimits(
        limit_requests=_number(get("limit-requests")),
        remaining_requests=_number(get("remaining-requests")),
        reset_requests=parse_duration(get("reset-requests")),
        limit_tokens=_number(get("limit-tokens")),
        remaining_tokens=_number(get("remaining-tokens")),
        reset_tokens=parse_duration(get("reset-tokens")),
    )
