"""The LiteLLM proxy harness (tests/litellm_proxy.py) starts a real proxy that enforces limits.

One proxy for the module: LiteLLM takes ~10 s to start, every test after that takes
milliseconds (the parallel-limit test waits for the 1 s mock delay it needs).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from tests.litellm_proxy import (
    SEPARATORS_TEXT,
    KeyLimits,
    LiteLLMProxy,
    MockModel,
    litellm_available,
)

pytestmark = [
    pytest.mark.litellm,
    pytest.mark.skipif(not litellm_available(), reason="no LiteLLM proxy installed"),
]

MESSAGES = [{"role": "user", "content": "hi"}]


@pytest.fixture(scope="module")
def proxy() -> Iterator[LiteLLMProxy]:
    models = (
        MockModel("mock", "The mock answer."),
        MockModel("slow", "The slow answer.", delay=1.0),
        MockModel("separators", SEPARATORS_TEXT),
    )
    # A key per test, so no test spends another's window.
    keys = {
        "sk-rpm5": KeyLimits(rpm_limit=5),
        "sk-rpm2": KeyLimits(rpm_limit=2),
        "sk-one": KeyLimits(max_parallel_requests=1),
        "sk-free": KeyLimits(),
    }
    with LiteLLMProxy(models=models, keys=keys) as running:
        yield running


def chat(proxy: LiteLLMProxy, key: str, model: str = "mock") -> httpx.Response:
    return httpx.post(
        f"{proxy.api_base}/chat/completions",
        headers={"Authorization": f"Bearer {key}"},
        json={"model": model, "messages": MESSAGES},
        timeout=30,
    )


def test_ok_answer_carries_the_keys_rate_limit_headers(proxy: LiteLLMProxy) -> None:
    response = chat(proxy, "sk-rpm5")

    assert response.status_code == 200, proxy.log_text()[-2000:]
    assert response.json()["choices"][0]["message"]["content"] == "The mock answer."
    assert response.headers["x-ratelimit-api_key-limit-requests"] == "5"
    assert response.headers["x-ratelimit-api_key-remaining-requests"] == "4"


def test_rpm_limit_is_enforced_with_a_429(proxy: LiteLLMProxy) -> None:
    statuses = [chat(proxy, "sk-rpm2").status_code for _ in range(2)]
    over = chat(proxy, "sk-rpm2")

    assert statuses == [200, 200]
    assert over.status_code == 429
    # LiteLLM always names its whole window, however much of it is left.
    assert over.headers["retry-after"] == "60"
    assert over.headers["rate_limit_type"] == "requests"
    error = over.json()["error"]
    assert error["type"] == "throttling_error"
    assert "Limit type: requests. Current limit: 2, Remaining: 0." in error["message"]


def test_max_parallel_requests_rejects_the_second_call_in_flight(proxy: LiteLLMProxy) -> None:
    # Both calls start together; the 1 s mock delay keeps the first one in flight.
    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda _: chat(proxy, "sk-one", "slow"), range(2)))

    assert sorted(r.status_code for r in responses) == [200, 429]
    rejected = next(r for r in responses if r.status_code == 429)
    assert rejected.headers["rate_limit_type"] == "max_parallel_requests"


def test_unknown_key_is_refused_by_the_auth_hook(proxy: LiteLLMProxy) -> None:
    response = chat(proxy, "sk-nobody")

    assert response.status_code == 401
    assert response.json()["error"]["type"] == "auth_error"


def test_separator_characters_stream_raw_inside_the_sse_json(proxy: LiteLLMProxy) -> None:
    with httpx.stream(
        "POST",
        f"{proxy.api_base}/chat/completions",
        headers={"Authorization": "Bearer sk-free"},
        json={"model": "separators", "messages": MESSAGES, "stream": True},
        timeout=30,
    ) as response:
        raw = response.read().decode("utf-8")

    assert response.status_code == 200
    assert "\u2028" in raw and "\u2029" in raw and "\u0085" in raw
    # SSE events end with a blank line ("\n\n"), never at the separators.
    events = [event for event in raw.split("\n\n") if event]
    assert events[-1] == "data: [DONE]"
    deltas = [json.loads(event.removeprefix("data: ")) for event in events[:-1]]
    text = "".join(d["choices"][0]["delta"].get("content") or "" for d in deltas)
    assert text == SEPARATORS_TEXT
