"""The OpenAI-compatible analyzer against a real HTTP server on 127.0.0.1 (tests/fake_provider).

No httpx mocks: every call crosses a real socket, so streaming, resets, truncated streams and
error bodies are what a real server would send.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import pytest

from core.analyzers.openai_compat import OpenAICompatAnalyzer, make_openai_analyzer
from core.analyzers.provider_errors import classify_http, parse_error_body, parse_retry_after
from core.errors import ErrorClass, ProviderError
from core.jobs import Profile
from core.settings import Settings, SettingsError
from tests.fake_provider import FakeProvider

KEY = "sk-test-4f7a9c2e1b8d6035"
PROFILE = Profile("Summary", "Summarise the document.")


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def _analyzer(server: FakeProvider, **kw: Any) -> OpenAICompatAnalyzer:
    options: dict[str, Any] = {"max_output_tokens": 20}
    options.update(kw)
    return OpenAICompatAnalyzer(server.url, KEY, "fake-model", **options)


def _part(analyzer: OpenAICompatAnalyzer, text: str = "Some text MARK-7.",
          progress: list[int] | None = None) -> Any:
    sink = progress if progress is not None else []

    async def go() -> Any:
        try:
            return await analyzer.analyze_part(text, PROFILE, index=0, count=1,
                                               progress=sink.append)
        finally:
            await analyzer.aclose()

    return asyncio.run(go())


def _error(analyzer: OpenAICompatAnalyzer) -> ProviderError:
    with pytest.raises(ProviderError) as caught:
        _part(analyzer)
    return caught.value


# ---------------------------------------------------------------------------------- success


def test_streaming_answer_with_usage_headers_and_progress(server: FakeProvider) -> None:
    progress: list[int] = []
    result = _part(_analyzer(server), progress=progress)
    assert result.text == "Analysis of MARK-7."
    assert result.prompt_tokens > 0 and result.completion_tokens == 3
    # the adaptive pacer reads the rate-limit headers from here
    assert result.headers["x-ratelimit-remaining-requests"] == "599"
    # output tokens streamed so far, one report per token: the worker makes them a share
    assert progress == [1, 2, 3]
    (request,) = server.chat_requests
    assert request.stream and request.include_usage
    assert request.authorization == f"Bearer {KEY}"
    assert request.body["model"] == "fake-model" and request.body["max_tokens"] == 20
    assert request.body["messages"][0] == {"role": "system", "content": PROFILE.prompt}


def test_plain_json_answer_when_a_stream_was_asked_for(server: FakeProvider) -> None:
    server.script(["json"])
    result = _part(_analyzer(server))
    assert result.text == "Analysis of MARK-7."
    assert result.prompt_tokens > 0 and result.completion_tokens == 3


def test_non_streaming_mode(server: FakeProvider) -> None:
    result = _part(_analyzer(server, stream=False))
    assert result.text == "Analysis of MARK-7." and result.completion_tokens == 3
    assert not server.chat_requests[0].stream


def test_parts_and_the_combining_call(server: FakeProvider) -> None:
    analyzer = _analyzer(server, context_chars=600)
    text = "\n\n".join(f"MARK-{n} " + "word " * 100 for n in range(1, 4))
    parts = analyzer.split(text)
    assert len(parts) == 3 and all(len(p) <= 600 for p in parts)

    async def go() -> str:
        results = []
        for i, part in enumerate(parts):
            res = await analyzer.analyze_part(part, PROFILE, index=i, count=3,
                                              progress=lambda f: None)
            results.append(res.text)
        final = await analyzer.combine(results, PROFILE, progress=lambda f: None)
        await analyzer.aclose()
        return final.text

    assert asyncio.run(go()) == "Analysis of MARK-1, MARK-2, MARK-3."
    chats = server.chat_requests
    assert [r.markers for r in chats] == [["MARK-1"], ["MARK-2"], ["MARK-3"],
                                          ["MARK-1", "MARK-2", "MARK-3"]]
    assert "part 2 of 3" in chats[1].body["messages"][0]["content"]
    assert PROFILE.prompt in chats[3].body["messages"][0]["content"]


def test_models_list_and_a_model_picked_from_it(server: FakeProvider) -> None:
    analyzer = OpenAICompatAnalyzer(server.url, None, "", preset="lmstudio")
    assert analyzer.engine == "openai:lmstudio"
    result = _part(analyzer)
    assert result.text == "Analysis of MARK-7."
    assert server.chat_requests[0].body["model"] == "fake-model"
    assert server.chat_requests[0].authorization == ""  # no key, no header
    assert asyncio.run(_list(OpenAICompatAnalyzer(server.url, KEY, "m"))) == [
        "fake-model", "fake-model-large"]


async def _list(analyzer: OpenAICompatAnalyzer) -> list[str]:
    try:
        return await analyzer.list_models()
    finally:
        await analyzer.aclose()


# ---------------------------------------------------------------------------------- faults

R, P, S = ErrorClass.RETRYABLE, ErrorClass.PERMANENT, ErrorClass.STOP_QUEUE
FAULTS = [
    ("429", "rate_limited", R, None),
    ("429-retry-after:2", "rate_limited", R, 2.0),
    ("429-retry-after-ms:1500", "rate_limited", R, 1.5),
    ("429-dashscope", "rate_limited", R, None),
    ("429-burst", "rate_limited", R, None),
    ("408", "timeout", R, None),
    ("409", "conflict", R, None),
    ("500", "server_error", R, None),
    ("502", "server_error", R, None),
    ("503", "server_error", R, None),
    ("503-retry-after:7", "server_error", R, 7.0),
    ("reset", "connection", ErrorClass.UNREACHABLE, None),
    ("cut", "truncated", R, None),
    ("truncated", "truncated", R, None),
    ("malformed", "bad_response", R, None),
    ("malformed-sse", "bad_response", R, None),
    ("stream-error", "server_error", R, None),
    ("400", "bad_request", P, None),
    ("400-vllm", "bad_request", P, None),
    ("context", "context_too_long", P, None),
    ("401", "bad_key", S, None),
    ("401-echo", "bad_key", S, None),
    ("403", "bad_key", S, None),
    ("404", "bad_model", S, None),
    ("arrearage", "quota", S, None),
    ("free-tier", "quota", S, None),
    ("429-free-quota", "quota", S, None),
]


@pytest.mark.parametrize(("action", "kind", "cls", "retry_after"), FAULTS,
                         ids=[f[0] for f in FAULTS])
def test_each_fault_is_classified(server: FakeProvider, action: str, kind: str,
                                  cls: ErrorClass, retry_after: float | None) -> None:
    server.script([action])
    error = _error(_analyzer(server, dashscope=True))
    assert (error.kind, error.error_class, error.retry_after) == (kind, cls, retry_after)
    assert KEY not in error.message and KEY[3:] not in error.message
    assert error.message[0].isupper() and error.message.rstrip().endswith((".", "again."))
    if kind == "bad_key":
        assert "bad API key" in error.message


def test_insufficient_quota_is_a_rate_quota_on_dashscope_only(server: FakeProvider) -> None:
    server.script(["429-insufficient-quota", "429-insufficient-quota"])
    assert _error(_analyzer(server, dashscope=True)).kind == "rate_limited"
    error = _error(_analyzer(server, dashscope=False))  # OpenAI: the money ran out
    assert (error.kind, error.error_class) == ("quota", ErrorClass.STOP_QUEUE)


def test_retry_after_as_an_http_date(server: FakeProvider) -> None:
    server.script(["429-retry-after-date:30"])
    error = _error(_analyzer(server))
    assert error.retry_after is not None and 25 <= error.retry_after <= 31
    date = formatdate(1_000_100.0, usegmt=True)
    assert parse_retry_after({"Retry-After": date}, now=1_000_000.0) == 100.0
    assert parse_retry_after({"Retry-After": date}, now=2_000_000.0) == 0.0
    assert parse_retry_after({"retry-after-ms": "250", "Retry-After": "9"}) == 0.25
    assert parse_retry_after({"Retry-After": "soon"}) is None
    assert parse_retry_after({}) is None


def test_the_key_never_reaches_a_message_even_when_the_server_echoes_it(
    server: FakeProvider,
) -> None:
    server.script(["401-echo"])
    error = _error(_analyzer(server))
    assert "Incorrect API key provided: ***" in error.message
    assert KEY not in str(error) and KEY not in repr(error)
    assert KEY not in repr(_analyzer(server))


def test_no_key_says_so(server: FakeProvider) -> None:
    server.script(["401"])
    error = _error(OpenAICompatAnalyzer(server.url, None, "fake-model"))
    assert "no API key is set" in error.message and "bad API key" in error.message


def test_connection_refused_and_read_timeout(server: FakeProvider) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    refused = _error(OpenAICompatAnalyzer(f"http://127.0.0.1:{port}/v1", KEY, "m"))
    assert (refused.kind, refused.error_class) == ("connection", ErrorClass.UNREACHABLE)
    assert "Cannot reach the server at 127.0.0.1" in refused.message
    server.script(["slow:1"])
    slow = _error(_analyzer(server, timeout_s=0.2))
    assert (slow.kind, slow.error_class) == ("timeout", ErrorClass.RETRYABLE)


def test_both_error_body_shapes() -> None:
    nested = parse_error_body(b'{"error": {"message": "m1", "type": "t1", "code": "c1"}}')
    flat = parse_error_body('{"object": "error", "message": "m2", "type": "t2", "code": 400}')
    dashscope = parse_error_body({"code": "Arrearage", "message": "m3", "request_id": "r"})
    html = parse_error_body(b"<html><body>Bad   Gateway</body></html>")
    assert (nested.message, nested.type, nested.code) == ("m1", "t1", "c1")
    assert (flat.message, flat.type, flat.code) == ("m2", "t2", "400")
    assert (dashscope.message, dashscope.code) == ("m3", "Arrearage")
    assert html.message == "<html><body>Bad Gateway</body></html>"
    overdue = classify_http(400, {"code": "Overdue", "message": "Your bill is overdue."})
    assert (overdue.kind, overdue.error_class) == ("quota", ErrorClass.STOP_QUEUE)
    long = classify_http(400, {"code": "InvalidParameter",
                               "message": "Range of input length should be [1, 30720]"},
                         dashscope=True)
    assert long.kind == "context_too_long"


# ---------------------------------------------------------------------------------- factory


def test_presets_and_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    analyzer = make_openai_analyzer(Settings(provider="openai"))
    assert analyzer.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert analyzer.model == "qwen-plus" and analyzer.dashscope
    assert analyzer.engine == "openai:qwen-plus"
    mainland = make_openai_analyzer(Settings(provider="openai", preset="dashscope"))
    assert mainland.base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    local = make_openai_analyzer(Settings(provider="openai", preset="ollama",
                                          api_base="http://127.0.0.1:9/v1/", model="qwen2.5",
                                          context_chars=1234))
    assert local.base_url == "http://127.0.0.1:9/v1" and local.model == "qwen2.5"
    assert local.context_chars == 1234 and not local.dashscope
    with pytest.raises(SettingsError, match="API base URL"):
        make_openai_analyzer(Settings(provider="openai", preset="custom"))
    with pytest.raises(SettingsError, match="Unknown provider preset"):
        make_openai_analyzer(Settings(provider="openai", preset="nope"))
    with pytest.raises(SettingsError, match="http"):
        make_openai_analyzer(Settings(provider="openai", api_base="ftp://x"))


def test_the_part_size_is_a_setting_per_model() -> None:
    from core.analyzers.openai_compat import make_openai_analyzer
    from core.settings import Settings

    settings = Settings(provider="openai", preset="custom", api_base="http://127.0.0.1:9/v1",
                        model="qwen-long", context_chars=2000,
                        context_chars_by_model={"qwen-long": 50_000})
    analyzer = make_openai_analyzer(settings, api_key="k")
    assert analyzer.context_chars == 50_000
    other = make_openai_analyzer(Settings(**{**settings.__dict__, "model": "qwen-turbo"}),
                                 api_key="k")
    assert other.context_chars == 2000


def test_a_429_carries_its_rate_limit_headers_for_the_pacer() -> None:
    from core.analyzers.provider_errors import classify_http

    error = classify_http(429, {"error": {"message": "slow down", "code": "rate_limit"}},
                          {"x-ratelimit-limit-requests": "60", "retry-after": "2"})
    assert error.headers["x-ratelimit-limit-requests"] == "60"
    assert error.retry_after == 2


def test_the_combining_call_fits_the_part_size_however_many_parts() -> None:
    from core.analyzers.openai_compat import shorten

    assert shorten("short text", 100) == "short text"
    long = "word " * 400
    cut = shorten(long, 300)
    assert len(cut) <= 300 and cut.endswith(" …")
