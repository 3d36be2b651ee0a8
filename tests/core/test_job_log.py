"""A job's log tells every event of its life, with times and a stable event name.

A real job through the real worker and a real OpenAI-compatible server on 127.0.0.1; time is a
FakeClock, so the server's Retry-After, the backoff and the pause between calls cost no real
seconds and their lengths are exact.
"""

from __future__ import annotations

import asyncio
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from core.engine import Engine
from core.job_log import LogEntry, LogEvent
from core.jobs import Job
from core.migrations import MIGRATIONS
from core.paths import db_path
from core.settings import Settings
from core.states import JobState
from tests.core.test_provider_worker import write_marked
from tests.core.test_quit_hands_back import FreeAnalyzer, _stop_mid_call
from tests.fake_clock import FakeClock
from tests.fake_provider import FakeProvider
from tests.helpers import run_cli

PAUSE_S = 5.0


@pytest.fixture
def server() -> Iterator[FakeProvider]:
    with FakeProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", "pk-test-job-log")


def _settings(server: FakeProvider, **kw: Any) -> Settings:
    base = Settings(provider="openai", preset="custom", api_base=server.url,
                    model="fake-model", pause_s=PAUSE_S, context_chars=2000)
    return replace(base, **kw)


def _events(log: list[LogEntry]) -> list[str]:
    return [str(e.event) for e in log]


def test_a_job_with_a_throttle_and_a_retry_logs_each_event_in_order(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    doc = write_marked(tmp_path / "report.txt", 2)
    # part 1: throttled with Retry-After; then part 1 answers, part 2 fails with a server
    # error (a retry with backoff), and the third attempt sends only part 2 and the combining
    # call: part 1's answer was kept.
    server.script(["429-retry-after:7", "ok", "500", "ok", "ok"])
    clock = FakeClock()
    host = server.url.split("//", 1)[1].split("/", 1)[0]

    async def go() -> tuple[Job, list[LogEntry]]:
        engine = await Engine.open(home, settings=_settings(server), clock=clock)
        try:
            await engine.add_paths([doc])
            await engine.run(until_empty=True)
            (job,) = await engine.jobs()
            assert job.state == JobState.DONE, job.error
            assert job.attempts == 3
            log = await engine.job_log(job.id)
            # a reader that has the log so far asks only for what came after
            assert await engine.job_log(job.id, after=log[-3].id) == log[-2:]
            return job, log
        finally:
            await engine.close()

    job, log = asyncio.run(go())
    assert _events(log) == [
        "added",
        "claimed", "call_started", "retried",
        "claimed", "call_started", "part_done", "throttled", "call_started", "retried",
        "claimed", "call_started", "part_done", "throttled", "call_started", "part_done",
        "done",
    ]  # fmt: skip
    messages = [e.message for e in log]
    assert messages[0] == (
        f"added to the queue ({doc.stat().st_size:,} bytes, profile Summary), "
        f"to be sent to fake-model · custom endpoint · {host}"
    )
    assert messages[1] == "claimed (attempt 1 of 5)"
    assert messages[2] == f"call started: part 1 of 2 to fake-model at {host}"
    assert messages[3].startswith("attempt 1 of 5 failed (rate_limited): ")
    assert messages[3].endswith(" — retrying in 7.0 s, as the server asked (Retry-After)")
    assert messages[4] == "claimed (attempt 2 of 5)"
    assert re.fullmatch(r"part 1 of 2 done: [\d,]+ tokens sent, 3 received, in 0\.00 s",
                        messages[6]), messages[6]  # fmt: skip
    # part 2 waits out the pause since part 1's start; the line says why, before the wait
    assert messages[7] == "throttled: part 2 of 2 waits 5.0 s: pausing 5 s between calls"
    assert messages[8] == f"call started: part 2 of 2 to fake-model at {host}"
    failed = re.fullmatch(
        r"attempt 2 of 5 failed \(server_error\): .+ — retrying in (\d+\.\d) s, "
        r"backing off after 1 failed call in a row", messages[9])
    assert failed is not None, messages[9]
    assert 12.0 <= float(failed[1]) <= 15.0  # 15 s less up to 20 % jitter
    assert messages[11] == f"call started: part 2 of 2 to fake-model at {host}"
    assert messages[13] == "throttled: the combining call waits 5.0 s: pausing 5 s between calls"
    assert messages[14] == f"call started: the combining call to fake-model at {host}"
    assert messages[15].startswith("the combining call done: ")
    done = re.fullmatch(
        r"done: ([\d,]+) tokens in all \(([\d,]+) sent, ([\d,]+) received\), calls took "
        r"0\.00 s, (\d+\.\d) s from claim to done", messages[16])
    assert done is not None, messages[16]
    assert [int(n.replace(",", "")) for n in done.groups()[:3]] == [
        job.tokens, job.prompt_tokens, job.completion_tokens]
    # the claim of the last attempt, the pause before the combining call, then done
    assert float(done[4]) == pytest.approx(PAUSE_S, abs=0.05)

    # times are the clock's wall time, and never go backwards
    times = [e.at for e in log]
    assert times == sorted(times)
    assert times[4] - times[3] == pytest.approx(7.0)  # Retry-After, then the claim
    assert times[8] - times[5] == pytest.approx(PAUSE_S)  # part 2 starts a pause after part 1

    # paceline-cli show --json returns the same log, each entry with its event
    shown = run_cli(home, "show", str(job.id), "--json")
    assert shown.returncode == 0, shown.stderr
    entries = json.loads(shown.stdout)["log"]
    assert [(e["event"], e["message"]) for e in entries] == [
        (str(e.event), e.message) for e in log]
    assert all(set(e) == {"at", "event", "message"} for e in entries)
    assert entries[0]["at"] == pytest.approx(log[0].at)


def test_a_permanent_failure_logs_its_kind_and_message(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    doc = write_marked(tmp_path / "one.txt", 1)
    server.script(["400"])

    async def go() -> list[LogEntry]:
        engine = await Engine.open(home, settings=_settings(server), clock=FakeClock())
        try:
            await engine.add_paths([doc])
            await engine.run(until_empty=True)
            (job,) = await engine.jobs()
            assert job.state == JobState.FAILED
            return await engine.job_log(job.id)
        finally:
            await engine.close()

    log = asyncio.run(go())
    assert _events(log) == ["added", "claimed", "call_started", "failed"]
    assert log[2].message.startswith("call started: the whole document to fake-model at ")
    assert log[3].message.startswith("failed (bad_request): ")
    assert "temperature" in log[3].message  # the server's own words


def test_offline_cancel_and_retrigger_are_logged(home: Path, tmp_path: Path) -> None:
    doc = tmp_path / "notes.txt"
    doc.write_text("Paceline keeps a log of every job. " * 20, encoding="utf-8")

    async def go() -> list[LogEntry]:
        engine = await Engine.open(home, settings=Settings(), clock=FakeClock())
        try:
            (job,) = (await engine.add_paths([doc])).report.accepted
            await engine.cancel([job.id])
            await engine.retrigger([job.id])
            await engine.run(until_empty=True)
            assert (await engine.job(job.id)).state == JobState.DONE  # type: ignore[union-attr]
            return await engine.job_log(job.id)
        finally:
            await engine.close()

    log = asyncio.run(go())
    assert _events(log) == [
        "added", "cancelled", "retriggered", "claimed", "call_started", "done"]
    assert log[0].message.endswith("to be analysed offline")
    assert log[4].message == (
        "analysis started: the whole document, offline with the built-in analyzer")
    assert log[5].message.startswith("done: ")


def test_an_older_database_keeps_its_log_and_gets_event_names(home: Path) -> None:
    db = db_path(home)
    old = sqlite3.connect(db)  # a queue written before log lines had event names
    for version in range(5):
        for statement in MIGRATIONS[version]:
            old.execute(statement)
    old.execute("PRAGMA user_version = 5")
    lines = [
        "claimed (attempt 1)", "sending part 1 of 2", "attempt 1 failed (rate_limited): "
        "Slow down.; will retry", "server unreachable (connection): refused; no attempt used",
        "answer discarded: the job was cancelled at 10:00:00", "marked stale: it was running",
        "re-triggered", "cancelled", "done", "failed (bad_request): no", "queue paused: bad key",
        "reading: 2 pages had no text",
    ]
    old.executemany("INSERT INTO job_log (job_id, at, message) VALUES (1, ?, ?)",
                    [(1_700_000_000.0 + i, m) for i, m in enumerate(lines)])
    old.commit()
    old.close()

    async def go() -> list[LogEntry]:
        engine = await Engine.open(home, settings=Settings(), clock=FakeClock())
        try:
            return await engine.job_log(1)
        finally:
            await engine.close()

    log = asyncio.run(go())
    assert [e.message for e in log] == lines
    assert [e.event for e in log] == [
        LogEvent.CLAIMED, LogEvent.CALL_STARTED, LogEvent.RETRIED, LogEvent.RETRIED,
        LogEvent.DISCARDED, LogEvent.STALE, LogEvent.RETRIGGERED, LogEvent.CANCELLED,
        LogEvent.DONE, LogEvent.FAILED, LogEvent.PAUSED, LogEvent.NOTE,
    ]  # fmt: skip


def test_a_job_handed_back_at_quit_is_logged_as_requeued_once(tmp_path: Path) -> None:
    async def go() -> list[LogEntry]:
        store, job_id, _, _ = await _stop_mid_call(tmp_path, FreeAnalyzer)
        try:
            return await store.job_log(job_id)
        finally:
            await store.close()

    log = asyncio.run(go())
    assert _events(log) == ["added", "claimed", "call_started", "requeued"]
    assert log[-1].message.startswith("handed back at quit: ")


def test_a_wait_too_short_to_matter_gets_no_throttle_line(
    home: Path, server: FakeProvider, tmp_path: Path
) -> None:
    doc = write_marked(tmp_path / "two.txt", 2)
    clock = FakeClock()

    async def go() -> list[LogEntry]:
        engine = await Engine.open(home, settings=_settings(server, pause_s=0.05), clock=clock)
        try:
            await engine.add_paths([doc])
            await engine.run(until_empty=True)
            (job,) = await engine.jobs()
            return await engine.job_log(job.id)
        finally:
            await engine.close()

    log = asyncio.run(go())
    assert clock.sleeps == pytest.approx([0.05, 0.05])  # the pacer held each later call back
    assert _events(log) == ["added", "claimed", "call_started", "part_done", "call_started",
                            "part_done", "call_started", "part_done", "done"]  # fmt: skip
