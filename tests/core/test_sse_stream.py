"""Server-sent events as the spec reads them, against the real local server (tests/fake_provider).

- Lines end at CR, LF or CRLF only: a line or paragraph separator, NEL or a form feed inside an
  answer is text, not a line break (``str.splitlines`` would cut the event there).
- After ``[DONE]`` the body is read to its end, so the connection goes back to the pool and the
  next call reuses it; a server that keeps the stream open after ``[DONE]`` costs at most a
  couple of seconds, then the connection is closed instead.
- Error answers are read whole too, so they do not cost a connection either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from core.analyzers.base import CallResult
from core.analyzers.openai_compat import OpenAICompatAnalyzer
from core.errors import ProviderError
from core.jobs import Profile
from tests.fake_provider import FakeProvider

PROFILE = Profile("Summary", "Summarise the document.")
REPLY = "Analysis of MARK-7."

# Every character str.splitlines() breaks at besides CR and LF.
SEPARATORS = {
    "2028": "line separator",
    "2029": "paragraph separator",
    "85": "next line (NEL)",
    "b": "line tabulation",
    "c": "form feed",
    "1c": "file separator",
    "1d": "group separator",
    "1e": "record separator",
}


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


def _analyzer(server: FakeProvider, **kw: Any) -> OpenAICompatAnalyzer:
    return OpenAICompatAnalyzer(server.url, "sk-test", "fake-model", max_output_tokens=20, **kw)


def _calls(analyzer: OpenAICompatAnalyzer, count: int) -> list[CallResult | ProviderError]:
    """``count`` sequential calls through one analyzer (one client, one connection pool)."""

    async def go() -> list[CallResult | ProviderError]:
        outcomes: list[CallResult | ProviderError] = []
        try:
            for _ in range(count):
                try:
                    outcomes.append(await analyzer.analyze_part(
                        "Some text MARK-7.", PROFILE, index=0, count=1, progress=lambda f: None))
                except ProviderError as error:
                    outcomes.append(error)
        finally:
            await analyzer.aclose()
        return outcomes

    return asyncio.run(go())


def _text(outcome: CallResult | ProviderError) -> str:
    assert isinstance(outcome, CallResult), outcome
    return outcome.text


# ---------------------------------------------------------------------------------- lines


@pytest.mark.parametrize("code", list(SEPARATORS), ids=list(SEPARATORS.values()))
def test_a_separator_inside_a_streamed_answer_comes_through_intact(
    server: FakeProvider, code: str
) -> None:
    server.script([f"text:{code}"])
    (outcome,) = _calls(_analyzer(server), 1)
    assert _text(outcome) == f"Before{chr(int(code, 16))}after. {REPLY}"


@pytest.mark.parametrize("newline", ["\n", "\r", "\r\n"], ids=["LF", "CR", "CRLF"])
def test_events_split_on_lf_cr_and_crlf(server: FakeProvider, newline: str) -> None:
    server.newline = newline
    server.script(["text:2028", "ok"])
    first, second = _calls(_analyzer(server), 2)
    assert _text(first) == f"Before\u2028after. {REPLY}"
    assert _text(second) == REPLY


def test_a_separator_in_a_plain_json_answer(server: FakeProvider) -> None:
    server.script(["text:2029"])
    (outcome,) = _calls(_analyzer(server, stream=False), 1)
    assert _text(outcome) == f"Before\u2029after. {REPLY}"


# ---------------------------------------------------------------------------------- reuse


def test_streamed_calls_reuse_one_connection(server: FakeProvider) -> None:
    outcomes = _calls(_analyzer(server), 5)
    assert [_text(o) for o in outcomes] == [REPLY] * 5
    assert len(server.chat_requests) == 5
    assert server.connections == 1


def test_error_answers_are_read_whole_and_keep_the_connection(server: FakeProvider) -> None:
    server.script(["400", "ok", "429-retry-after:1", "context", "404", "ok"])
    outcomes = _calls(_analyzer(server), 6)
    kinds = [o.kind if isinstance(o, ProviderError) else "answer" for o in outcomes]
    assert kinds[1] == kinds[5] == "answer"
    assert all(k != "answer" for k in (kinds[0], kinds[2], kinds[3], kinds[4])), kinds
    assert server.connections == 1


def test_plain_json_answers_reuse_one_connection(server: FakeProvider) -> None:
    outcomes = _calls(_analyzer(server, stream=False), 3)
    assert [_text(o) for o in outcomes] == [REPLY] * 3
    assert server.connections == 1


def test_a_stream_held_open_after_done_is_closed_within_seconds(server: FakeProvider) -> None:
    server.script(["linger:30", "ok"])
    started = time.monotonic()
    first, second = _calls(_analyzer(server), 2)
    assert time.monotonic() - started < 10  # not the 30 s the server holds the stream
    assert _text(first) == REPLY and _text(second) == REPLY
    # The held connection could not go back to the pool: the next call opened a new one.
    assert server.connections == 2


# ---------------------------------------------------------------------------------- finish


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "json"])
def test_the_finish_reason_and_output_limit_are_reported(
    server: FakeProvider, stream: bool
) -> None:
    server.script(["length", "ok"])
    cut, whole = _calls(_analyzer(server, stream=stream), 2)
    assert isinstance(cut, CallResult) and isinstance(whole, CallResult)
    assert cut.text == REPLY and cut.finish_reason == "length" and cut.cut_off
    assert cut.output_limit == 20
    assert whole.finish_reason == "stop" and not whole.cut_off
