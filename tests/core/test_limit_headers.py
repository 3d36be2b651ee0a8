"""Rate-limit header families (core.ratelimit_headers.FAMILIES) against real answers.

Each header set below was sent by a real server; each names where it was seen. "LiteLLM
1.108.7 capture" means a real LiteLLM proxy (litellm 1.108.7, no database, keys and limits
from a custom auth hook) run on 127.0.0.1 for this file in front of a small upstream that sent
OpenAI-style headers (limit 500/200000, remaining 499/199980, reset 120ms/6ms).

Unprefixed RateLimits fields count per minute, day_ fields per day.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.ratelimit_headers import FAMILIES, RateLimits, is_groq, parse_rate_limits

CAPTURES = Path(__file__).resolve().parent.parent / "captures" / "litellm"

# ------------------------------------------------------------------------------------- OpenAI

# https://github.com/openai/openai-python/issues/416 (a raw POST /v1/chat/completions)
OPENAI_416 = {
    "x-ratelimit-limit-requests": "3500",
    "x-ratelimit-remaining-requests": "3499",
    "x-ratelimit-reset-requests": "17ms",
}
# https://github.com/openai/openai-dotnet/issues/838: an Azure OpenAI resource answering -1
# for "not known".
AZURE_UNKNOWN = {
    "x-ratelimit-limit-tokens": "-1",
    "x-ratelimit-remaining-tokens": "-1",
    "x-ratelimit-reset-tokens": "0",
}

# --------------------------------------------------------------------------------------- Groq

# Groq's answers carry x-groq-region; its x-ratelimit-*-requests count requests PER DAY and
# reset-requests is the time to win one back (86400 s / limit): 1m26.4s for 1000 a day, 6s for
# 14400, 172.8ms for 500000. A 429 adds retry-after.
# https://console.groq.com/docs/rate-limits ("Rate Limit Headers": x-ratelimit-limit-requests
# is RPD, x-ratelimit-limit-tokens is TPM), example values from that page:
GROQ_DOCS = {
    "retry-after": "2",
    "x-ratelimit-limit-requests": "14400",
    "x-ratelimit-limit-tokens": "18000",
    "x-ratelimit-remaining-requests": "14370",
    "x-ratelimit-remaining-tokens": "17997",
    "x-ratelimit-reset-requests": "2m59.56s",
    "x-ratelimit-reset-tokens": "7.66s",
}
# A Groq 400 logged with its headers in a public project's notes (poc-i1110Labs, 2026-07-14,
# found by searching "'x-groq-region': 'bom'"); the cookie and cf- headers are left out.
GROQ_BOM = {
    "date": "Tue, 14 Jul 2026 14:56:38 GMT",
    "content-type": "application/json",
    "server": "cloudflare",
    "x-groq-region": "bom",
    "x-ratelimit-limit-requests": "14400",
    "x-ratelimit-limit-tokens": "6000",
    "x-ratelimit-remaining-requests": "14399",
    "x-ratelimit-remaining-tokens": "5719",
    "x-ratelimit-reset-requests": "6s",
    "x-ratelimit-reset-tokens": "2.81s",
    "x-request-id": "req_01kxgj2hg4fh5s8n4y1bhjws72",
}
# A groq-python debug log (2025-09-23, api.groq.com/openai/v1/chat/completions, 200 OK),
# as LiteLLM 1.108.7 passes it on: litellm_core_utils.llm_response_utils.get_response_headers
# run on it copies limit/remaining unprefixed and everything under llm_provider-.
GROQ_VIA_LITELLM = {
    "llm_provider-date": "Tue, 23 Sep 2025 02:56:11 GMT",
    "llm_provider-content-type": "application/json",
    "llm_provider-x-groq-region": "msp",
    "llm_provider-x-ratelimit-limit-requests": "500000",
    "llm_provider-x-ratelimit-limit-tokens": "300000",
    "llm_provider-x-ratelimit-remaining-requests": "499999",
    "llm_provider-x-ratelimit-remaining-tokens": "299565",
    "llm_provider-x-ratelimit-reset-requests": "172.799999ms",
    "llm_provider-x-ratelimit-reset-tokens": "87ms",
    "llm_provider-x-request-id": "req_01k5t801aveq1sacpavqyf512j",
    "x-ratelimit-limit-requests": "500000",
    "x-ratelimit-remaining-requests": "499999",
    "x-ratelimit-limit-tokens": "300000",
    "x-ratelimit-remaining-tokens": "299565",
    "request-id": "req_01k5t801aveq1sacpavqyf512j",
}

# ------------------------------------------------------------------------------------ LiteLLM

# LiteLLM 1.108.7 capture: key with rpm_limit=2, tpm_limit=5000 in team rpm 10, tpm 100000;
# first call (x-litellm-* cost and timing headers left out).
LITELLM_KEY_FIRST = {
    "x-ratelimit-limit-requests": "500",
    "x-ratelimit-remaining-requests": "499",
    "x-ratelimit-limit-tokens": "200000",
    "x-ratelimit-remaining-tokens": "199980",
    "llm_provider-x-ratelimit-limit-requests": "500",
    "llm_provider-x-ratelimit-remaining-requests": "499",
    "llm_provider-x-ratelimit-reset-requests": "120ms",
    "llm_provider-x-ratelimit-limit-tokens": "200000",
    "llm_provider-x-ratelimit-remaining-tokens": "199980",
    "llm_provider-x-ratelimit-reset-tokens": "6ms",
    "x-ratelimit-api_key-remaining-requests": "1",
    "x-ratelimit-api_key-limit-requests": "2",
    "x-ratelimit-team-remaining-requests": "9",
    "x-ratelimit-team-limit-requests": "10",
    "x-ratelimit-api_key-remaining-tokens": "3975",
    "x-ratelimit-api_key-limit-tokens": "5000",
    "x-ratelimit-team-remaining-tokens": "98975",
    "x-ratelimit-team-limit-tokens": "100000",
    "x-litellm-model-group": "ok",
}
# The same key's second call: its requests for this window are used up.
LITELLM_KEY_SECOND = {
    **LITELLM_KEY_FIRST,
    "x-ratelimit-api_key-remaining-requests": "0",
    "x-ratelimit-team-remaining-requests": "8",
    "x-ratelimit-api_key-remaining-tokens": "3969",
    "x-ratelimit-team-remaining-tokens": "98969",
}
# LiteLLM 1.108.7 capture: upstream 429 (limit 3, remaining 0, reset 20s, retry-after 20);
# LiteLLM drops the unprefixed reset, which survives only as llm_provider-.
LITELLM_UPSTREAM_429 = {
    "llm_provider-retry-after": "20",
    "llm_provider-x-ratelimit-limit-requests": "3",
    "llm_provider-x-ratelimit-remaining-requests": "0",
    "llm_provider-x-ratelimit-reset-requests": "20s",
    "x-ratelimit-limit-requests": "3",
    "x-ratelimit-remaining-requests": "0",
}
# LiteLLM 1.108.7 code: router_utils/pre_call_checks/io_token_rate_limit_check.py
# build_io_token_rate_limit_headers(itpm_limit=30000, otpm_limit=8000, current_itpm=29500,
# current_otpm=8000), the headers of a model group with input and output token limits.
LITELLM_IO_TOKENS = {
    "x-ratelimit-limit-input-tokens": "30000",
    "x-ratelimit-remaining-input-tokens": "500",
    "x-ratelimit-reset-input-tokens": "55",
    "x-ratelimit-limit-output-tokens": "8000",
    "x-ratelimit-remaining-output-tokens": "0",
    "x-ratelimit-reset-output-tokens": "55",
}

# ---------------------------------------------------------------------------------- Anthropic

# https://github.com/anthropics/anthropic-sdk-typescript/issues/357 (a 429; resets are
# RFC 3339 times, the date header says when the answer was sent).
ANTHROPIC_357 = {
    "anthropic-ratelimit-requests-limit": "5",
    "anthropic-ratelimit-requests-remaining": "0",
    "anthropic-ratelimit-requests-reset": "2024-03-26T20:00:00Z",
    "anthropic-ratelimit-tokens-limit": "25000",
    "anthropic-ratelimit-tokens-remaining": "16000",
    "anthropic-ratelimit-tokens-reset": "2024-03-26T20:00:00Z",
    "content-type": "application/json",
    "date": "Tue, 26 Mar 2024 19:59:59 GMT",
    "request-id": "req_01T5fCVnYdf9X5ZW6KayReBK",
    "x-should-retry": "true",
}
ANTHROPIC_357_SENT = 1711483199.0  # Tue, 26 Mar 2024 19:59:59 GMT
# A Tier 1 key's limits as a project wrote them down from its answers (input and output
# tokens are limited apart; https://docs.anthropic.com/en/api/rate-limits#response-headers).
ANTHROPIC_TIER1 = {
    "anthropic-ratelimit-input-tokens-limit": "30000",
    "anthropic-ratelimit-output-tokens-limit": "8000",
    "anthropic-ratelimit-requests-limit": "50",
}

# ----------------------------------------------------------------------- windows in the name

# Cerebras names the window: requests per day, tokens per minute; resets in seconds.
# https://inference-docs.cerebras.ai/support/rate-limits, values as recorded from a live
# answer by a public project's tests ("CEREBRAS_HEADERS").
CEREBRAS = {
    "x-ratelimit-limit-requests-day": "14400",
    "x-ratelimit-limit-tokens-minute": "60000",
    "x-ratelimit-remaining-requests-day": "13693",
    "x-ratelimit-remaining-tokens-minute": "60000",
    "x-ratelimit-reset-requests-day": "11726.2840924263",
    "x-ratelimit-reset-tokens-minute": "26.28409242630005",
}
# https://github.com/mistralai/client-ts/issues/169 (curl -v against api.mistral.ai)
MISTRAL = {
    "x-ratelimit-limit-tokens-minute": "5000000",
    "x-ratelimit-remaining-tokens-minute": "4999911",
    "x-ratelimit-tokens-query-cost": "52",
    "x-ratelimit-limit-req-minute": "720",
    "x-ratelimit-remaining-req-minute": "717",
}

# ---------------------------------------------------------------------------------- DashScope

# DashScope sends no rate-limit headers at all. A 400 from
# https://dashscope.aliyuncs.com/compatible-mode/v1/chat/completions in an httpx debug log
# (2025-08-16):
DASHSCOPE = {
    "vary": "Origin,Access-Control-Request-Method,Access-Control-Request-Headers, "
    "Accept-Encoding",
    "x-request-id": "c99fa8f2-1154-9420-a8ce-57717ca32ee6",
    "x-dashscope-call-gateway": "true",
    "content-type": "application/json",
    "req-cost-time": "81",
    "req-arrive-time": "1755334401435",
    "resp-start-time": "1755334401517",
    "x-envoy-upstream-service-time": "79",
    "content-encoding": "gzip",
    "date": "Sat, 16 Aug 2025 08:53:21 GMT",
    "server": "istio-envoy",
    "transfer-encoding": "chunked",
}


def test_openai_family() -> None:
    limits = parse_rate_limits(OPENAI_416)
    assert (limits.limit_requests, limits.remaining_requests) == (3500, 3499)
    assert limits.reset_requests == pytest.approx(0.017)
    assert limits.day_limit_requests is None  # OpenAI's counts are per minute


def test_azure_minus_one_means_not_known() -> None:
    limits = parse_rate_limits(AZURE_UNKNOWN)
    assert (limits.limit_tokens, limits.remaining_tokens, limits.reset_tokens) == (None, None, 0)


@pytest.mark.parametrize(
    ("headers", "host"),
    [(GROQ_DOCS, "https://api.groq.com/openai/v1"), (GROQ_BOM, ""), (GROQ_VIA_LITELLM, "")],
    ids=["docs-with-host", "region-header", "behind-litellm"],
)
def test_groq_requests_count_per_day_and_tokens_per_minute(
    headers: dict[str, str], host: str
) -> None:
    limits = parse_rate_limits(headers, host=host)
    assert is_groq(headers, host)
    assert limits.limit_requests is None and limits.remaining_requests is None
    assert limits.day_limit_requests == float(headers.get("x-ratelimit-limit-requests", 0))
    assert limits.day_remaining_requests is not None
    assert limits.limit_tokens == float(headers["x-ratelimit-limit-tokens"])  # per minute
    assert limits.day_limit_tokens is None


@pytest.mark.parametrize("headers", [GROQ_BOM, GROQ_VIA_LITELLM], ids=["bom", "msp"])
def test_groq_request_reset_is_a_days_share(headers: dict[str, str]) -> None:
    # Why the window is a day: a request comes back every 86400 s / limit (6 s for 14400,
    # 172.8 ms for 500000), which is what a per-minute limit would never give.
    limits = parse_rate_limits(headers)
    assert limits.day_limit_requests is not None
    assert limits.day_reset_requests == pytest.approx(86400 / limits.day_limit_requests)


def test_groq_docs_example_in_detail() -> None:
    limits = parse_rate_limits(GROQ_DOCS, host="api.groq.com")
    assert limits == RateLimits(
        limit_tokens=18000, remaining_tokens=17997, reset_tokens=pytest.approx(7.66),
        day_limit_requests=14400, day_remaining_requests=14370,
        day_reset_requests=pytest.approx(179.56),
    )


def test_groq_headers_without_a_sign_of_groq_read_as_per_minute() -> None:
    # Nothing in these names says "day": without Groq's header or address they are OpenAI's.
    bare = {k: v for k, v in GROQ_BOM.items() if k != "x-groq-region"}
    assert not is_groq(bare)
    assert parse_rate_limits(bare).limit_requests == 14400
    # A long reset alone does not make a daily window: OpenAI resets tokens in "6m0s".
    assert parse_rate_limits({"x-ratelimit-limit-requests": "60",
                              "x-ratelimit-reset-requests": "6m0s"}).day_limit_requests is None


def test_litellm_key_and_team_limits_bind_over_the_upstreams() -> None:
    first = parse_rate_limits(LITELLM_KEY_FIRST)
    assert (first.limit_requests, first.remaining_requests) == (2, 1)  # the key's, not 500
    assert (first.limit_tokens, first.remaining_tokens) == (5000, 3975)
    # LiteLLM says nothing about when its window ends, and the upstream's 120ms reset is
    # for a quota with plenty left: no reset is reported rather than the wrong one.
    assert first.reset_requests is None
    second = parse_rate_limits(LITELLM_KEY_SECOND)
    assert second.remaining_requests == 0


def test_litellm_keeps_the_upstreams_reset_under_its_prefix() -> None:
    limits = parse_rate_limits(LITELLM_UPSTREAM_429)
    assert (limits.limit_requests, limits.remaining_requests, limits.reset_requests) == (3, 0, 20)


def test_a_spent_output_quota_holds_but_does_not_set_the_token_limit() -> None:
    limits = parse_rate_limits(LITELLM_IO_TOKENS)
    assert limits.limit_tokens == 30000  # input tokens: what a Paceline call mostly spends
    assert (limits.remaining_tokens, limits.reset_tokens) == (0, 55)  # output used up


def test_litellm_over_its_limit_means_none_left() -> None:
    # LiteLLM subtracts use from the limit (router.get_remaining_model_group_usage does
    # rpm_limit - current_rpm); past the limit that goes below zero.
    limits = parse_rate_limits({"x-ratelimit-api_key-limit-requests": "2",
                                "x-ratelimit-api_key-remaining-requests": "-1"})
    assert limits.remaining_requests == 0


def test_anthropic_family() -> None:
    limits = parse_rate_limits(ANTHROPIC_357, now=ANTHROPIC_357_SENT)
    assert (limits.limit_requests, limits.remaining_requests, limits.reset_requests) == (5, 0, 1)
    assert (limits.limit_tokens, limits.remaining_tokens, limits.reset_tokens) == (
        25000, 16000, 1)
    tier1 = parse_rate_limits(ANTHROPIC_TIER1)
    assert (tier1.limit_requests, tier1.limit_tokens) == (50, 30000)  # not the 8000 output


def test_anthropic_reset_in_the_past_is_now() -> None:
    limits = parse_rate_limits(ANTHROPIC_357, now=ANTHROPIC_357_SENT + 3600)
    assert limits.reset_requests == 0


def test_windows_named_in_the_header() -> None:
    cerebras = parse_rate_limits(CEREBRAS)
    assert (cerebras.day_limit_requests, cerebras.day_remaining_requests) == (14400, 13693)
    assert cerebras.day_reset_requests == pytest.approx(11726.28, abs=0.01)
    assert (cerebras.limit_tokens, cerebras.remaining_tokens) == (60000, 60000)
    assert cerebras.reset_tokens == pytest.approx(26.28, abs=0.01)
    assert cerebras.limit_requests is None
    mistral = parse_rate_limits(MISTRAL)
    assert (mistral.limit_requests, mistral.remaining_requests) == (720, 717)
    assert (mistral.limit_tokens, mistral.remaining_tokens) == (5000000, 4999911)


def test_dashscope_sends_nothing_to_read() -> None:
    assert parse_rate_limits(DASHSCOPE).empty


def test_every_family_is_seen_in_a_capture() -> None:
    streamed = json.loads((CAPTURES / "ok_streamed.json").read_text(encoding="utf-8"))
    captures = [OPENAI_416, GROQ_BOM, LITELLM_KEY_FIRST, ANTHROPIC_357, CEREBRAS, MISTRAL,
                streamed["headers"]]
    names = {name.lower().removeprefix("llm_provider-") for c in captures for name in c}
    for family in FAMILIES:
        assert any(family.pattern.fullmatch(n) for n in names), family.name


def test_header_names_in_any_case_and_junk_values() -> None:
    limits = parse_rate_limits({"Anthropic-Ratelimit-Requests-Limit": "50",
                                "X-RateLimit-Limit-Tokens-Minute": "lots",
                                "anthropic-ratelimit-requests-reset": "soon"})
    assert limits == RateLimits(limit_requests=50)


def test_litellm_streamed_answers_carry_only_the_keys_limits() -> None:
    # tests/captures/litellm/ok_streamed.json: LiteLLM 1.108.7, key with rpm_limit=30, stream
    headers = json.loads((CAPTURES / "ok_streamed.json").read_text(encoding="utf-8"))["headers"]
    limits = parse_rate_limits(headers)
    assert (limits.limit_requests, limits.remaining_requests) == (30.0, None)
    assert parse_rate_limits({"x-litellm-key-tpm-limit": "6000"}).limit_tokens == 6000.0


def test_litellm_tokens_limits_are_said_to_book_max_tokens() -> None:
    # LiteLLM 1.108.7's parallel_request_limiter_v3 books prompt/4 + max_tokens while a call
    # runs (seen through the proxy: 4788 left of 6000 during a streamed call whose prompt had
    # 627 characters, 5509 once it reported 429 tokens); an upstream's limit it passes on,
    # and OpenAI's own, count as usual.
    streamed = parse_rate_limits({"x-litellm-key-tpm-limit": "6000"})
    assert (streamed.limit_tokens, streamed.books_max_tokens) == (6000.0, True)
    per_key = parse_rate_limits({"x-ratelimit-api_key-limit-tokens": "6000",
                                 "x-ratelimit-api_key-remaining-tokens": "4788"})
    assert (per_key.remaining_tokens, per_key.books_max_tokens) == (4788.0, True)
    assert parse_rate_limits(OPENAI_416).books_max_tokens is None
    # a requests limit alone says nothing about tokens
    assert parse_rate_limits({"x-litellm-key-rpm-limit": "30"}).books_max_tokens is None
