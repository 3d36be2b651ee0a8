"""Paceline against a real LiteLLM proxy: the cases a new user met, each ending as it should.

LiteLLM is the gateway people put in front of their providers, and its answers are its own:
per-key 429s naming the limit, a minute-long Retry-After, "No connected db." for a wrong key,
raw U+2028 in streamed JSON. These tests start the real proxy (tests/litellm_proxy.py, mock
deployments, no database) and run the real engine on the real clock, because the proxy's time
is real: none of them waits for a backoff (an outage is probed within seconds, a one-call key
needs no wait). Skipped where LiteLLM is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.engine import Engine
from core.settings import Settings
from core.states import JobState
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

MODELS = (
    MockModel("mock", "A short summary."),
    MockModel("slow", "A slow summary.", delay=1.0),
    MockModel("separators", SEPARATORS_TEXT),
)
KEYS = {"sk-free": KeyLimits(), "sk-one": KeyLimits(max_parallel_requests=1)}


@pytest.fixture(scope="module")
def proxy() -> Iterator[LiteLLMProxy]:
    with LiteLLMProxy(models=MODELS, keys=KEYS) as running:
        yield running


@pytest.fixture(scope="module")
def proxy_without_db() -> Iterator[LiteLLMProxy]:
    """No custom auth: every key but the master key is looked up in a database there is not."""
    with LiteLLMProxy(models=MODELS, keys=None) as running:
        yield running


def _docs(folder: Path, count: int) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(count):
        path = folder / f"note{n}.txt"
        path.write_text(f"Note {n}: a short document about pacing, number {n}.\n")
        paths.append(path)
    return paths


async def _engine(home: Path, proxy: LiteLLMProxy, model: str, **settings: object) -> Engine:
    chosen = Settings(provider="openai", preset="custom", api_base=proxy.api_base, model=model,
                      pause_s=0.0, **settings)  # type: ignore[arg-type]  # fmt: skip
    return await Engine.open(home, settings=chosen)


def _with_key(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", key)


async def _throttles(engine: Engine) -> int:
    count = 0
    for job in await engine.store.list_jobs():
        count += sum("(rate_limited)" in e.message for e in await engine.store.job_log(job.id))
    return count


def test_an_answer_holding_unicode_line_separators_comes_back_whole(
    proxy: LiteLLMProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key(monkeypatch, "sk-free")

    async def go() -> None:
        engine = await _engine(tmp_path / "home", proxy, "separators")
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 1))
            await engine.run(until_empty=True)
            (job,) = await engine.store.list_jobs()
            assert (job.state, job.attempts) == (JobState.DONE, 1), job.error
            assert job.result == SEPARATORS_TEXT
        finally:
            await engine.close()

    asyncio.run(go())


def test_an_unknown_model_pauses_the_queue_and_fails_no_job(
    proxy: LiteLLMProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key(monkeypatch, "sk-free")

    async def go() -> None:
        engine = await _engine(tmp_path / "home", proxy, "no-such-model")
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 3))
            await engine.run(until_empty=True)
            meta = engine.store.meta
            assert meta.paused and meta.pause_kind == "bad_model", meta
            assert "no-such-model" in (meta.pause_reason or "")
            jobs = await engine.store.list_jobs()
            assert [(j.state, j.attempts) for j in jobs] == [(JobState.QUEUED, 0)] * 3
        finally:
            await engine.close()

    asyncio.run(go())


def test_a_wrong_key_without_a_database_pauses_the_queue_and_fails_no_job(
    proxy_without_db: LiteLLMProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key(monkeypatch, "sk-not-a-key")

    async def go() -> None:
        engine = await _engine(tmp_path / "home", proxy_without_db, "mock")
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 3))
            await engine.run(until_empty=True)
            meta = engine.store.meta
            assert meta.paused and meta.pause_kind == "bad_key", meta
            assert "No connected db." in (meta.pause_reason or "")
            jobs = await engine.store.list_jobs()
            assert [(j.state, j.attempts) for j in jobs] == [(JobState.QUEUED, 0)] * 3
        finally:
            await engine.close()

    asyncio.run(go())


def test_a_key_allowed_one_call_at_a_time_gets_one_call_at_a_time(
    proxy: LiteLLMProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key(monkeypatch, "sk-one")

    async def go() -> None:
        engine = await _engine(tmp_path / "home", proxy, "slow", pacing="adaptive")
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 12))
            await engine.run(until_empty=True)
            jobs = await engine.store.list_jobs()
            assert [j.state for j in jobs] == [JobState.DONE] * 12
            # The window grew to 2 once, was refused, and stayed at 1: at most one 429 more
            # for calls already on their way, and no minute-long Retry-After was waited out.
            assert await _throttles(engine) <= 2
            window = engine.pacer.window  # type: ignore[attr-defined]
            assert window.limit == 1 and engine.pacer.max_in_flight == 1
        finally:
            await engine.close()

    started = time.monotonic()
    asyncio.run(go())
    assert time.monotonic() - started < 50  # ~12 calls of 1 s plus the slow start


def test_an_outage_uses_no_attempt_and_work_resumes_within_20_s_of_the_servers_return(
    proxy: LiteLLMProxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_key(monkeypatch, "sk-free")
    back_at: list[float] = []

    async def go() -> None:
        engine = await _engine(tmp_path / "home", proxy, "mock")
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 3))
            proxy.stop()  # down: connections are refused
            run = asyncio.create_task(engine.run(until_empty=True))
            await asyncio.sleep(12)  # several probes meet a refused connection
            status = await engine.status()
            assert status["wait_kind"] == "unreachable", status
            assert status["unreachable_since"] is not None
            await asyncio.to_thread(proxy.start)  # blocks until the proxy answers again
            back_at.append(time.time())
            await asyncio.wait_for(run, 60)
            jobs = await engine.store.list_jobs()
            assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 1)] * 3
            first_done = min(j.finished_at or 0.0 for j in jobs)
            assert first_done - back_at[0] <= 20.0, first_done - back_at[0]
        finally:
            await engine.close()

    asyncio.run(go())
