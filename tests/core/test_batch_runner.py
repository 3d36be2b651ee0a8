"""Batch mode end to end: jobs through the engine, the batch runner and a real Batch API server
on 127.0.0.1 (tests/batch_server.py), on the test's clock, so a day at the provider takes no
real time. Lost answers are real dropped connections; a restart is a new engine on the file.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from core.batch_api import custom_id
from core.batches import BatchStage
from core.cli import main as cli_main
from core.engine import Engine
from core.settings import Settings, SettingsError
from core.states import JobState
from tests.batch_server import BatchPlan, BatchServer
from tests.fake_clock import FakeClock

T = TypeVar("T")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[BatchServer]:
    with BatchServer(now=clock.wall) as fake:
        yield fake


def _settings(server: BatchServer, **kw: object) -> Settings:
    return Settings(provider="openai", preset="custom", api_base=server.url,
                    model="qwen-plus", pause_s=0.0, **kw)  # type: ignore[arg-type]


def _docs(folder: Path, count: int, words: int = 40) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        path = folder / f"note-{n}.txt"
        path.write_text(f"Note {n} MARK-{n}. " + "The quarterly figures look fine. " * words,
                        encoding="utf-8")
        paths.append(path)
    return paths


def _with_engine(home: Path, settings: Settings, clock: FakeClock,
                 go: Callable[[Engine], Awaitable[T]]) -> T:
    async def main() -> T:
        engine = await Engine.open(home, settings=settings, clock=clock)
        try:
            return await go(engine)
        finally:
            await engine.close()

    return asyncio.run(main())


def _add_and_batch(paths: list[Path]) -> Callable[[Engine], Awaitable[list[int]]]:
    async def go(engine: Engine) -> list[int]:
        outcome = await engine.add_paths(paths)
        await engine.submit_batch()
        return [job.id for job in outcome.report.accepted]

    return go


async def _run(engine: Engine) -> None:
    await engine.run(until_empty=True)


def test_a_drop_goes_through_one_batch_and_every_job_is_done_once(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)
    ids = _with_engine(tmp_path / "home", settings, clock,
                       _add_and_batch(_docs(tmp_path / "docs", 5)))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        jobs = {j.id: j for j in await engine.jobs()}
        assert {jobs[i].state for i in ids} == {JobState.DONE}
        for n, job_id in enumerate(ids, 1):
            assert f"MARK-{n}" in (jobs[job_id].result or "")
            log = [e.message for e in await engine.job_log(job_id)]
            assert any(m.startswith("sent to batch 1") for m in log)
            assert sum(1 for m in log if m.startswith("done by batch 1")) == 1
        (batch,) = await engine.batches()
        assert batch.stage == BatchStage.FINISHED and batch.status == "completed"
        assert (batch.total, batch.completed, batch.failed) == (5, 5, 0)
        status = await engine.status()
        assert status["batches"][0]["stage"] == "finished"
        assert status["counts"]["done"] == 5
        totals = await engine.totals()
        assert totals["batch_tokens"] == totals["prompt_tokens"] + totals["completion_tokens"] > 0

    _with_engine(tmp_path / "home", settings, clock, check)
    assert (server.uploads, server.creations) == (1, 1)
    assert server.chats == []  # not one normal call
    # the request file is gone once its answers are stored
    assert not any((tmp_path / "home" / "batches").glob("*.jsonl"))


def test_a_long_document_sends_its_parts_in_the_batch_and_combines_them_as_a_normal_call(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server, context_chars=500)
    (long,) = _docs(tmp_path / "docs", 1, words=40)  # ~1,300 characters: 3 parts
    _with_engine(tmp_path / "home", settings, clock, _add_and_batch([long]))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        (job,) = await engine.jobs()
        assert job.state == JobState.DONE
        assert job.parts_planned == job.parts_done == 4
        parts = await engine.store.parts(job.id)
        assert [p.state for p in parts] == ["done"] * 4
        log = [e.message for e in await engine.job_log(job.id)]
        assert any("all 3 parts back from batch 1" in m for m in log)

    _with_engine(tmp_path / "home", settings, clock, check)
    (combine,) = server.chats  # the parts were not sent again: only the combining call
    assert "Part 1 of 3" in json.dumps(combine)
    assert server.uploads == server.creations == 1


def test_an_expired_batch_fails_its_unfinished_jobs_ready_to_run_again(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    # A day of polls every 30 s is 2,880 real requests: every 10 min is enough here.
    settings = _settings(server, batch_poll_s=600.0)
    server.plan_next(BatchPlan(stall_after=1))
    ids = _with_engine(tmp_path / "home", settings, clock,
                       _add_and_batch(_docs(tmp_path / "docs", 3)))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        jobs = [await engine.job(i) for i in ids]
        assert [j.state for j in jobs if j] == [JobState.DONE, JobState.FAILED, JobState.FAILED]
        for job in jobs[1:]:
            assert job and job.error_kind == "batch_expired"
            assert "24-hour window" in (job.error or "") and "Re-trigger" in (job.error or "")
        (batch,) = await engine.batches()
        assert batch.status == "expired"
        again = await engine.retrigger_all(JobState.FAILED, "batch_expired")
        assert sorted(j.id for j in again) == ids[1:]
        # re-triggered as normal calls: the worker sends them to the same server
        await engine.run(until_empty=True)
        assert {j.state for j in await engine.jobs()} == {JobState.DONE}

    _with_engine(tmp_path / "home", settings, clock, check)
    assert len(server.chats) == 2


def test_per_request_errors_become_job_errors_of_the_usual_kinds(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)

    async def submit(engine: Engine) -> list[int]:
        ids = await _add_and_batch(_docs(tmp_path / "docs", 3))(engine)
        leases = {lease.job_id: lease.token for lease in await engine.store.batch_leases(1)}
        server.plan_next(BatchPlan(errors={
            custom_id(ids[0], 0, leases[ids[0]]): "context",
            custom_id(ids[2], 0, leases[ids[2]]): "400",
        }))  # fmt: skip
        return ids

    ids = _with_engine(tmp_path / "home", settings, clock, submit)
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        first, second, third = [await engine.job(i) for i in ids]
        assert first and first.state == JobState.FAILED
        assert first.error_kind == "context_too_long"
        assert second and second.state == JobState.DONE
        assert third and third.state == JobState.FAILED and third.error_kind == "bad_request"
        (batch,) = await engine.batches()
        assert (batch.completed, batch.failed) == (1, 2)

    _with_engine(tmp_path / "home", settings, clock, check)


def test_lost_answers_to_upload_and_create_are_found_not_repeated(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)
    server.fault("upload", "lose")
    server.fault("create", "lose")
    server.fault("retrieve", "500", "lose")
    server.fault("content", "lose")
    ids = _with_engine(tmp_path / "home", settings, clock,
                       _add_and_batch(_docs(tmp_path / "docs", 4)))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        assert {(await engine.job(i)).state for i in ids} == {JobState.DONE}  # type: ignore[union-attr]

    _with_engine(tmp_path / "home", settings, clock, check)
    assert (server.uploads, server.creations) == (1, 1)


def test_a_restart_resumes_polling_and_leaves_the_batch_jobs_running(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)
    home = tmp_path / "home"
    ids = _with_engine(home, settings, clock, _add_and_batch(_docs(tmp_path / "docs", 3)))

    async def until_submitted(engine: Engine) -> None:
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        for _ in range(3):  # prepare, upload, create; then the process "dies"
            (batch,) = await engine.batches(open_only=True)
            assert await runner.step(batch)
        await runner.client.aclose()

    _with_engine(home, settings, clock, until_submitted)

    async def after_restart(engine: Engine) -> None:
        await engine.start_worker("test")  # start-up recovery runs here
        jobs = [await engine.job(i) for i in ids]
        assert {j.state for j in jobs if j} == {JobState.RUNNING}  # not stale
        (batch,) = await engine.batches()
        assert batch.stage == BatchStage.SUBMITTED and batch.remote_batch
        status = await engine.status()
        assert status["orphaned_running"] == 0
        assert status["batches"][0]["counts"]["total"] == 3
        await engine.run(until_empty=True)
        assert {(await engine.job(i)).state for i in ids} == {JobState.DONE}  # type: ignore[union-attr]

    _with_engine(home, settings, clock, after_restart)
    assert (server.uploads, server.creations) == (1, 1)


def test_cancel_before_the_provider_has_it_gives_the_jobs_back_with_nothing_spent(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)

    async def go(engine: Engine) -> None:
        ids = await _add_and_batch(_docs(tmp_path / "docs", 2))(engine)
        await engine.cancel_batch(1)
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        (batch,) = await engine.batches(open_only=True)
        await runner.step(batch)
        await runner.client.aclose()
        jobs = [await engine.job(i) for i in ids]
        assert {(j.state, j.attempts, j.batch_id) for j in jobs if j} == {
            (JobState.QUEUED, 0, None)}
        (batch,) = await engine.batches()
        assert batch.stage == BatchStage.CANCELLED

    _with_engine(tmp_path / "home", settings, clock, go)
    assert server.uploads == 0


def test_cancel_while_it_runs_keeps_what_was_answered(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)
    server.plan_next(BatchPlan(stall_after=1))  # one answer, then it hangs until cancelled

    async def go(engine: Engine) -> list[int]:
        ids = await _add_and_batch(_docs(tmp_path / "docs", 3))(engine)
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        for _ in range(3):
            (batch,) = await engine.batches(open_only=True)
            await runner.step(batch)
        await clock.sleep(3600)  # the first request is answered, then nothing moves
        await engine.cancel_batch(1)
        await runner.client.aclose()
        await engine.run(until_empty=True)
        return ids

    ids = _with_engine(tmp_path / "home", settings, clock, go)

    async def check(engine: Engine) -> None:
        jobs = [await engine.job(i) for i in ids]
        assert [j.state for j in jobs if j] == [JobState.DONE, JobState.FAILED, JobState.FAILED]
        assert {j.error_kind for j in jobs[1:] if j} == {"batch_cancelled"}
        (batch,) = await engine.batches()
        assert batch.status == "cancelled"

    _with_engine(tmp_path / "home", settings, clock, check)
    assert [c.route for c in server.calls].count("cancel") == 1


def test_a_job_cancelled_by_a_person_keeps_that_decision_when_its_answer_comes(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)

    async def go(engine: Engine) -> None:
        ids = await _add_and_batch(_docs(tmp_path / "docs", 2))(engine)
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        (batch,) = await engine.batches(open_only=True)
        await runner.step(batch)  # its request is in the file now
        await engine.cancel([ids[0]])
        (batch,) = await engine.batches(open_only=True)
        assert batch.jobs == 1
        await engine.run(until_empty=True)
        first, second = [await engine.job(i) for i in ids]
        assert first and first.state == JobState.CANCELLED and first.result is None
        assert second and second.state == JobState.DONE
        log = [e.message for e in await engine.job_log(ids[0])]
        assert any("discarded" in m for m in log)

    _with_engine(tmp_path / "home", settings, clock, go)


def test_offline_and_a_preset_without_a_batch_api_are_refused_plainly(
    tmp_path: Path, clock: FakeClock
) -> None:
    for settings, words in ((Settings(), "offline analyzer has none"),
                            (Settings(provider="openai", preset="ollama"),
                             "Ollama has no Batch API")):
        async def go(engine: Engine, settings: Settings = settings) -> str:
            await engine.add_paths(_docs(tmp_path / "docs", 1))
            with pytest.raises(SettingsError) as refused:
                await engine.submit_batch()
            return str(refused.value)

        assert words in _with_engine(tmp_path / "home", settings, clock, go)


def test_the_cli_submits_lists_and_cancels_batches(
    tmp_path: Path, server: BatchServer, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("PACELINE_HOME", str(home))
    (home / "settings.json").write_text(json.dumps({
        "provider": "openai", "preset": "custom", "api_base": server.url, "model": "m"}))
    paths = _docs(tmp_path / "docs", 3)
    assert cli_main(["add", *map(str, paths)]) == 0
    assert cli_main(["batch", "submit"]) == 2
    assert "Give job IDs or --all-queued" in capsys.readouterr().err
    assert cli_main(["batch", "submit", "1", "2"]) == 0
    assert "batch 1: 2 job(s) sent" in capsys.readouterr().out
    assert cli_main(["batch", "list", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert (item["id"], item["stage"], item["jobs"]) == (1, "preparing", 2)
    assert cli_main(["status", "--json"]) == 0
    status = json.loads(capsys.readouterr().out)
    assert status["batches"][0]["id"] == 1 and status["orphaned_running"] == 0
    assert cli_main(["batch", "cancel", "1"]) == 0
    assert "cancel asked" in capsys.readouterr().out
    assert cli_main(["batch", "cancel", "9"]) == 2
    assert "There is no batch 9." in capsys.readouterr().err


def test_a_drop_over_the_threshold_goes_as_a_batch_by_itself(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server, batch_threshold=2)

    async def go(engine: Engine) -> None:
        small = await engine.add_paths(_docs(tmp_path / "small", 2))
        assert small.batch is None and await engine.batches() == []
        big = await engine.add_paths(_docs(tmp_path / "big", 3, words=41))
        assert big.batch is not None and big.batch.jobs == 3
        assert "sent as batch 1" in big.summary
        states = {j.id: (j.state, j.batch_id) for j in await engine.jobs()}
        assert sorted(states.values()) == [(JobState.QUEUED, None)] * 2 + [
            (JobState.RUNNING, 1)] * 3
        await engine.run(until_empty=True)
        assert {j.state for j in await engine.jobs()} == {JobState.DONE}

    _with_engine(tmp_path / "home", settings, clock, go)
    assert len(server.chats) == 2 and server.creations == 1


def test_the_combining_call_can_go_in_a_follow_up_batch(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server, context_chars=500, batch_combine="batch")
    (long,) = _docs(tmp_path / "docs", 1, words=40)
    _with_engine(tmp_path / "home", settings, clock, _add_and_batch([long]))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        (job,) = await engine.jobs()
        assert job.state == JobState.DONE and job.parts_done == job.parts_planned == 4
        assert "job-1-part-combine-" in (job.result or "")  # answered by the second batch
        first, second = sorted(await engine.batches(), key=lambda b: b.id)
        assert (first.total, second.total) == (3, 1)
        log = [e.message for e in await engine.job_log(job.id)]
        assert any("the combining call goes in batch 2" in m for m in log)
        assert job.tokens == (await engine.totals())["batch_tokens"]

    _with_engine(tmp_path / "home", settings, clock, check)
    assert server.chats == [] and server.uploads == server.creations == 2


def test_a_retriggered_job_sends_only_the_parts_not_answered_before(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server, context_chars=500)

    async def submit(engine: Engine) -> int:
        (job_id,) = await _add_and_batch(_docs(tmp_path / "docs", 1, words=40))(engine)
        (lease,) = await engine.store.batch_leases(1)
        server.plan_next(BatchPlan(errors={custom_id(job_id, 1, lease.token): "500"}))
        return job_id

    job_id = _with_engine(tmp_path / "home", settings, clock, submit)
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def again(engine: Engine) -> None:
        job = await engine.job(job_id)
        assert job and job.state == JobState.FAILED and job.parts_done == 2
        await engine.retrigger([job_id])
        await engine.submit_batch([job_id])
        await engine.run(until_empty=True)
        job = await engine.job(job_id)
        assert job and job.state == JobState.DONE

    _with_engine(tmp_path / "home", settings, clock, again)
    second = server.file_lines(sorted(f.id for f in server.files.values()
                                      if f.purpose == "batch")[-1])
    assert [line["custom_id"].split("-")[3] for line in second] == ["1"]  # part 2 only
    assert len(server.chats) == 1  # the combining call


async def _ended(engine: Engine, batch_id: int) -> bool:
    batch = await engine.store.batch(batch_id)
    return batch is not None and not batch.open


async def _until(clock: FakeClock, done: Callable[[], Awaitable[bool]]) -> None:
    """Let the runner work (its calls to the server take real time) while the provider's day
    passes on the test's clock, until ``done``; 30 s of real time at most."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while not await done():
        assert loop.time() < deadline, "the batch did not end"
        await clock.sleep(5)
        await asyncio.sleep(0.01)


def test_a_paused_queue_sends_no_new_batch_but_keeps_polling_the_one_sent(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)

    async def go(engine: Engine) -> None:
        await _add_and_batch(_docs(tmp_path / "a", 2))(engine)
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        for _ in range(3):  # batch 1 is with the provider
            (batch,) = await engine.batches(open_only=True)
            await runner.step(batch)
        await runner.client.aclose()
        await engine.pause()
        await engine.add_paths(_docs(tmp_path / "b", 2, words=41))
        await engine.submit_batch()  # batch 2 waits for the resume
        task = asyncio.ensure_future(engine.run())
        await _until(clock, lambda: _ended(engine, 1))
        first, second = await engine.store.batch(1), await engine.store.batch(2)
        assert first and first.stage == BatchStage.FINISHED
        assert second and second.stage == BatchStage.PREPARING and server.uploads == 1
        await engine.resume()
        await _until(clock, lambda: _ended(engine, 2))
        second = await engine.store.batch(2)
        assert second and second.stage == BatchStage.FINISHED
        assert engine.worker is not None
        engine.worker.stop()
        await task

    _with_engine(tmp_path / "home", settings, clock, go)
    assert server.uploads == server.creations == 2


def test_a_drop_over_the_providers_limits_becomes_several_batches(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server, context_chars=500)

    async def go(engine: Engine) -> None:
        paths = _docs(tmp_path / "short", 4, words=5) + _docs(tmp_path / "long", 1, words=41)
        await engine.add_paths(paths)
        await engine.submit_batch()
        await engine.start_worker("test")
        runner = engine.batch_runner
        assert runner is not None
        runner.client.max_requests = 3  # OpenAI's is 50,000: the same rule, smaller
        await runner.client.aclose()
        await engine.run(until_empty=True)
        batches = sorted(await engine.batches(), key=lambda b: b.id)
        # the 3-part document goes whole in a file of its own rather than straddle two
        assert [b.total for b in batches] == [3, 1, 3]
        assert {b.stage for b in batches} == {BatchStage.FINISHED}
        assert {j.state for j in await engine.jobs()} == {JobState.DONE}

    _with_engine(tmp_path / "home", settings, clock, go)
    assert server.uploads == server.creations == 3


def test_a_batch_the_provider_refuses_fails_its_jobs_with_the_reason(
    tmp_path: Path, server: BatchServer, clock: FakeClock
) -> None:
    settings = _settings(server)
    server.plan_next(BatchPlan(invalid="Line 1: the model qwen-plus is not available for batch."))
    ids = _with_engine(tmp_path / "home", settings, clock,
                       _add_and_batch(_docs(tmp_path / "docs", 2)))
    _with_engine(tmp_path / "home", settings, clock, _run)

    async def check(engine: Engine) -> None:
        for job_id in ids:
            job = await engine.job(job_id)
            assert job and job.state == JobState.FAILED and job.error_kind == "batch_failed"
            assert "not available for batch" in (job.error or "")
        (batch,) = await engine.batches()
        assert batch.status == "failed" and batch.stage == BatchStage.FINISHED

    _with_engine(tmp_path / "home", settings, clock, check)
