"""The engine and worker driving the OpenAI-compatible analyzer against a real local server.

Time is a FakeClock, so pauses and backoff cost no real seconds; the HTTP calls are real.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.export import export
from core.logs import setup_logging
from core.settings import Settings
from core.states import JobState
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider

# Deliberately not "sk-..." shaped: the log scrubber's pattern would hide that one anyway, and
# this test must prove that nothing writes the key in the first place.
KEY = "pk-live-9f8e7d6c5b4a3210ZZ"


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", KEY)


def _settings(server: FakeProvider, **kw: Any) -> Settings:
    base = Settings(provider="openai", preset="custom", api_base=server.url,
                    model="fake-model", pause_s=10.0, context_chars=2000)
    return replace(base, **kw)


def write_marked(path: Path, parts: int, size: int = 1500) -> Path:
    """A document whose k-th part (at context_chars=2000) carries the marker MARK-k.

    The words carry the file's name, so two documents are never duplicates of each other."""
    sections = []
    for n in range(1, parts + 1):
        words = " ".join(f"{path.stem}w{n}x{i}" for i in range(size // 10))
        sections.append(f"MARK-{n} {words}."[:size])
    path.write_text("\n\n".join(sections) + "\n", encoding="utf-8")
    return path


async def _open(home: Path, settings: Settings, clock: FakeClock) -> Engine:
    return await Engine.open(home, settings=settings, clock=clock)


def test_a_long_document_takes_three_parts_and_a_combining_call(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    doc = write_marked(tmp_path / "long.txt", 3)
    clock = FakeClock()

    async def go() -> None:
        engine = await _open(home, _settings(server), clock)
        await engine.add_paths([doc])
        await engine.run(until_empty=True)
        (job,) = await engine.store.list_jobs()
        assert job.state == JobState.DONE, job.error
        assert job.result == "Analysis of MARK-1, MARK-2, MARK-3."
        assert (job.parts_done, job.parts_planned, job.attempts) == (4, 4, 1)
        assert job.prompt_tokens > 1000 and job.completion_tokens == 3 * 3 + 5
        status = await engine.status()
        assert status["model"] == "fake-model" and status["tokens"]["total"] == job.tokens
        await engine.close()

    asyncio.run(go())
    assert [r.markers for r in server.chat_requests] == [
        ["MARK-1"], ["MARK-2"], ["MARK-3"], ["MARK-1", "MARK-2", "MARK-3"]]
    assert clock.sleeps == [10.0, 10.0, 10.0]  # the fixed pause between call starts


def test_throttling_and_server_errors_are_retried_with_the_servers_wait(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    doc = write_marked(tmp_path / "short.txt", 1)
    server.script(["429-retry-after:2", "503", "reset", "ok"])
    clock = FakeClock()

    async def go() -> None:
        engine = await _open(home, _settings(server, pause_s=0.0), clock)
        await engine.add_paths([doc])
        await engine.run(until_empty=True)
        (job,) = await engine.store.list_jobs()
        # the reset before any answer is the server's outage, not the job's: no attempt used
        assert job.state == JobState.DONE and job.attempts == 3
        await engine.close()

    asyncio.run(go())
    assert len(server.chat_requests) == 4
    assert clock.sleeps[0] == 2.0  # Retry-After wins over the computed backoff
    assert 24.0 <= clock.sleeps[1] <= 30.0  # 2nd failure: 15 s × 2, less up to 20 % jitter
    assert 1.8 <= clock.sleeps[2] <= 2.0  # unreachable: probe again after 2 s


def test_a_bad_key_pauses_the_queue_and_burns_no_job(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    docs = [write_marked(tmp_path / f"d{i}.txt", 1) for i in range(3)]
    server.default = "401"

    async def go() -> None:
        engine = await _open(home, _settings(server), FakeClock())
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        meta = engine.store.meta
        assert meta.paused and meta.pause_kind == "bad_key"
        assert "bad API key" in (meta.pause_reason or "")
        jobs = await engine.store.list_jobs()
        assert [j.state for j in jobs] == [JobState.QUEUED] * 3
        assert [j.attempts for j in jobs] == [0, 0, 0]
        assert len(server.chat_requests) == 1
        # The person fixes the key and resumes: everything runs.
        server.default = "ok"
        await engine.resume()
        await engine.run(until_empty=True)
        assert [j.state for j in await engine.store.list_jobs()] == [JobState.DONE] * 3
        await engine.close()

    asyncio.run(go())


def test_a_permanent_error_fails_only_its_job(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    docs = [write_marked(tmp_path / f"d{i}.txt", 1) for i in range(2)]
    server.script(["context", "ok"])
    clock = FakeClock()

    async def go() -> None:
        engine = await _open(home, _settings(server), clock)
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        first, second = await engine.store.list_jobs()
        assert (first.state, first.error_kind) == (JobState.FAILED, "context_too_long")
        assert "too long for the model's context" in (first.error or "")
        assert second.state == JobState.DONE
        await engine.close()

    asyncio.run(go())
    assert clock.sleeps == [10.0]  # the pause only: a permanent error causes no backoff


def test_the_key_is_in_no_file_paceline_writes(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    docs = [write_marked(tmp_path / f"doc{i}.txt", parts) for i, parts in enumerate((1, 3, 1))]
    # The server echoes the key in its 401 message, fails one job permanently, and throttles.
    server.script(["401-echo", "ok", "429", "ok", "ok", "ok", "ok", "400"])
    root = logging.getLogger()
    level = root.level
    log_file = setup_logging(home, "paceline-test", logging.DEBUG)  # httpx/httpcore too

    async def go() -> None:
        engine = await _open(home, _settings(server), FakeClock())
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        assert engine.store.meta.pause_kind == "bad_key"
        await engine.resume()
        await engine.run(until_empty=True)
        jobs = await engine.store.list_jobs()
        assert [j.state for j in jobs] == [JobState.DONE, JobState.DONE, JobState.FAILED]
        for fmt in ("md", "json", "csv"):
            (home / f"export.{fmt}").write_text(export(jobs, fmt), encoding="utf-8")
        logs = [e.message for j in jobs for e in await engine.store.job_log(j.id)]
        assert any("***" in m for m in logs), "the echoed key was seen and redacted"
        await engine.close()

    try:
        asyncio.run(go())
    finally:
        for handler in [h for h in root.handlers if getattr(h, "_paceline", False)]:
            handler.close()
            root.removeHandler(handler)
        root.setLevel(level)
    assert server.chat_requests[0].authorization == f"Bearer {KEY}"  # it was really used
    assert log_file.stat().st_size > 0
    files = [p for p in home.rglob("*") if p.is_file()]
    assert {"paceline.sqlite3", "paceline-test.log", "export.csv"} <= {p.name for p in files}
    for path in files:
        data = path.read_bytes()
        for form in (KEY.encode(), KEY.encode("utf-16-le"), KEY[8:].encode()):
            assert form not in data, f"the API key leaked into {path.name}"


def test_three_jobs_failing_alike_pause_the_queue_instead_of_failing_all(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    docs = [write_marked(tmp_path / f"d{i}.txt", 1) for i in range(6)]
    server.default = "400"  # the same refusal for every job: about the server, not the jobs

    async def go() -> None:
        engine = await _open(home, _settings(server), FakeClock())
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        meta = engine.store.meta
        assert meta.paused and meta.pause_kind == "bad_request"
        assert "3 jobs in a row failed with the same error" in (meta.pause_reason or "")
        jobs = await engine.store.list_jobs()
        assert [j.state for j in jobs] == [JobState.FAILED] * 2 + [JobState.QUEUED] * 4
        assert jobs[2].attempts == 0  # the third job keeps its attempt
        assert len(server.chat_requests) == 3
        await engine.close()

    asyncio.run(go())


def test_a_success_between_identical_failures_keeps_the_queue_going(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    docs = [write_marked(tmp_path / f"d{i}.txt", 1) for i in range(5)]
    server.script(["400", "400", "ok", "400", "400"])

    async def go() -> None:
        engine = await _open(home, _settings(server), FakeClock())
        await engine.add_paths(docs)
        await engine.run(until_empty=True)
        assert not engine.store.meta.paused
        jobs = await engine.store.list_jobs()
        assert [j.state for j in jobs] == [JobState.FAILED] * 2 + [JobState.DONE] + [
            JobState.FAILED] * 2  # fmt: skip
        await engine.close()

    asyncio.run(go())
