"""The Batch API client (core/batch_api.py) against a real Batch API server on 127.0.0.1.

tests/batch_server.py keeps its batches on the test's clock: a batch moves from validating to
completed as the clock advances, and the client's polls sleep on the same clock, so a day in
the provider's batch engine takes no real time. Lost answers are real dropped connections.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from core.batch_api import (
    BATCH_KINDS,
    BATCH_MESSAGES,
    BatchClient,
    BatchFile,
    BatchInfo,
    BatchRequest,
    RequestTooLarge,
    build_files,
    custom_id,
    make_batch_client,
    parse_custom_id,
    parse_result_lines,
)
from core.error_kinds import ERROR_KINDS
from core.errors import ErrorClass, ProviderError
from core.settings import Settings, SettingsError
from tests.batch_server import WINDOW_S, BatchPlan, BatchServer
from tests.fake_clock import FakeClock

KEY = "sk-batch-test-7c1e93ab"
QUEUE = "queue-5f2a"
LEASE = "a1b2c3d4e5f60718"
T = TypeVar("T")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def server(clock: FakeClock) -> Iterator[BatchServer]:
    with BatchServer(now=clock.wall, key=KEY) as fake:
        yield fake


def _request(job: int, part: int | str = 0, *, pad: int = 0) -> BatchRequest:
    text = f"Document {job} part {part} MARK-{job}{part if part != 'combine' else 9}"
    return BatchRequest(job, part, LEASE, {
        "model": "fake-model",
        "messages": [{"role": "system", "content": "Summarise the document."},
                     {"role": "user", "content": text + " x" * pad}],
        "max_tokens": 50,
    })


def _jobs(*parts: int) -> list[BatchRequest]:
    """Jobs 1, 2, ... with the given number of parts each."""
    return [_request(job, part) for job, count in enumerate(parts, 1) for part in range(count)]


def _run(server: BatchServer, go: Callable[[BatchClient], Awaitable[T]], **kw: Any) -> T:
    async def main() -> T:
        async with BatchClient(server.url, kw.pop("key", KEY), queue=QUEUE, **kw) as client:
            return await go(client)

    return asyncio.run(main())


async def _submit(client: BatchClient, file: BatchFile, step: str = "1") -> BatchInfo:
    remote = await client.ensure_uploaded(file)
    return await client.ensure_batch(remote.id, file.sha256, step)


# ---------------------------------------------------------------------------------- requests


def test_custom_ids_name_job_part_and_lease_and_read_back() -> None:
    assert custom_id(12, 0, LEASE) == f"job-12-part-0-{LEASE}"
    assert parse_custom_id(custom_id(12, 3, LEASE)) == (12, 3, LEASE)
    assert parse_custom_id(custom_id(7, "combine", LEASE)) == (7, "combine", LEASE)
    assert parse_custom_id("request-1") is None


def test_the_same_requests_always_make_the_same_file() -> None:
    first = build_files(_jobs(2, 1))
    reordered = [BatchRequest(r.job_id, r.part, r.lease, dict(reversed(list(r.body.items()))))
                 for r in _jobs(2, 1)]
    again = build_files(reordered)
    assert len(first) == 1 and first[0].content == again[0].content
    assert first[0].filename == f"paceline-{first[0].sha256}.jsonl"
    assert first[0].custom_ids == tuple(r.custom_id for r in _jobs(2, 1))
    other_lease = build_files([BatchRequest(1, 0, "ffff", _request(1).body)])
    assert other_lease[0].sha256 != build_files([_request(1)])[0].sha256


def test_a_drop_over_the_limits_is_split_keeping_each_jobs_parts_together() -> None:
    files = build_files(_jobs(2, 2, 1, 3, 4), max_requests=3)
    by_file = [[parse_custom_id(n)[:2] for n in f.custom_ids] for f in files]  # type: ignore[index]
    assert by_file == [
        [(1, 0), (1, 1)],
        [(2, 0), (2, 1), (3, 0)],
        [(4, 0), (4, 1), (4, 2)],
        [(5, 0), (5, 1), (5, 2)],  # a job larger than a file is the only one split
        [(5, 3)],
    ]
    line = len(build_files([_request(1)])[0].content)
    by_size = build_files(_jobs(1, 1, 1, 1, 1), max_bytes=2 * line + 10)
    assert [len(f.custom_ids) for f in by_size] == [2, 2, 1]
    assert all(len(f.content) <= 2 * line + 10 for f in by_size)
    with pytest.raises(RequestTooLarge, match="normal call"):
        build_files([_request(1, pad=100)], max_bytes=line)


# ---------------------------------------------------------------------------------- end to end


def test_a_small_batch_goes_through_end_to_end(server: BatchServer, clock: FakeClock) -> None:
    requests = _jobs(1, 2, 1)
    (file,) = build_files(requests)
    seen: list[tuple[str, int]] = []

    async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo, Any]:
        created = await _submit(client, file)
        done = await client.wait(created.id, clock,
                                 on_change=lambda b: seen.append((b.status, b.counts.completed)))
        return created, done, await client.results(done, file.custom_ids)

    created, done, results = _run(server, go)
    assert created.status == "validating"
    assert created.metadata == {"paceline_queue": QUEUE, "paceline_file": file.sha256,
                                "paceline_step": "1"}
    assert created.expires_at == created.created_at + WINDOW_S
    stages = list(dict.fromkeys(status for status, _ in seen))
    assert stages == ["validating", "in_progress", "finalizing", "completed"]
    assert done.counts.total == 4 and done.counts.completed == 4 and done.counts.failed == 0
    assert done.error_file_id is None and "completed_at" in done.times
    assert not results.errors and results.unreadable == 0
    assert set(results.answers) == set(file.custom_ids)
    for request in requests:
        answer = results.answers[request.custom_id]
        assert request.custom_id in answer.text
        assert f"MARK-{request.job_id}{request.part}" in answer.text
        assert answer.prompt_tokens > 0 and answer.completion_tokens > 0
        assert answer.finish_reason == "stop"
    # What the server stored is the file as built, and every call carried the key.
    stored = server.file_lines(done.input_file_id)
    assert [line["custom_id"] for line in stored] == list(file.custom_ids)
    assert {line["url"] for line in stored} == {"/v1/chat/completions"}
    assert {call.authorization for call in server.calls} == {f"Bearer {KEY}"}
    assert server.uploads == 1 and server.creations == 1
    # The batch took virtual minutes; polls slept on the test's clock only.
    assert clock.sleeps and set(clock.sleeps) == {30.0}


def test_split_files_each_become_a_batch_the_server_accepts(clock: FakeClock) -> None:
    with BatchServer(now=clock.wall, key=KEY, max_requests=3) as server:
        files = build_files(_jobs(2, 2, 1, 3), max_requests=3)

        async def go(client: BatchClient) -> list[Any]:
            out = []
            for n, file in enumerate(files):
                batch = await _submit(client, file, step=f"s{n}")
                done = await client.wait(batch.id, clock)
                out.append(await client.results(done, file.custom_ids))
            return out

        results = _run(server, go)
        assert len(files) == 3 and server.uploads == 3 and server.creations == 3
        answered = {name for r in results for name in r.answers}
        assert answered == {r.custom_id for r in _jobs(2, 2, 1, 3)}

        # A file over the server's limits is refused with OpenAI's error shape, read as such.
        (too_big,) = build_files(_jobs(2, 2))

        async def refused(client: BatchClient) -> ProviderError:
            with pytest.raises(ProviderError) as caught:
                await client.ensure_uploaded(too_big)
            return caught.value

        error = _run(server, refused)
        assert error.kind == "bad_request" and error.error_class is ErrorClass.PERMANENT
        assert "the limit is 3" in error.message
        assert server.uploads == 3


# ---------------------------------------------------------------------------------- errors


def test_per_request_errors_get_the_usual_kinds(server: BatchServer, clock: FakeClock) -> None:
    (file,) = build_files(_jobs(1, 1, 1, 1, 1))
    names = file.custom_ids
    server.plan_next(BatchPlan(errors={names[0]: "context", names[1]: "500", names[2]: "400",
                                       names[3]: "404"}))

    async def go(client: BatchClient) -> tuple[BatchInfo, Any]:
        done = await client.wait((await _submit(client, file)).id, clock)
        return done, await client.results(done, names)

    done, results = _run(server, go)
    assert done.status == "completed"
    assert (done.counts.completed, done.counts.failed) == (1, 4)
    kinds = {name: (e.kind, e.error_class) for name, e in results.errors.items()}
    assert kinds == {
        names[0]: ("context_too_long", ErrorClass.PERMANENT),
        names[1]: ("server_error", ErrorClass.RETRYABLE),
        names[2]: ("bad_request", ErrorClass.PERMANENT),
        names[3]: ("bad_model", ErrorClass.STOP_QUEUE),
    }
    assert "maximum context length" in results.errors[names[0]].message
    assert set(results.answers) == {names[4]}


def test_an_expired_batch_returns_its_unfinished_requests_as_batch_expired(
    server: BatchServer, clock: FakeClock
) -> None:
    (file,) = build_files(_jobs(1, 1, 1, 1, 1))
    server.plan_next(BatchPlan(stall_after=2))

    async def go(client: BatchClient) -> tuple[BatchInfo, Any]:
        done = await client.wait((await _submit(client, file)).id, clock, interval_s=3600)
        return done, await client.results(done, file.custom_ids)

    done, results = _run(server, go)
    assert done.status == "expired" and done.times["expired_at"] == done.expires_at
    assert (done.counts.completed, done.counts.failed) == (2, 0)
    assert set(results.answers) == set(file.custom_ids[:2])
    assert set(results.errors) == set(file.custom_ids[2:])
    for error in results.errors.values():
        assert error.kind == "batch_expired" and error.error_class is ErrorClass.PERMANENT
        assert "24-hour window" in error.message and "Re-trigger" in error.message
    # The expired lines came from the server's error file, with OpenAI's code.
    assert done.error_file_id is not None
    codes = {line["error"]["code"] for line in server.file_lines(done.error_file_id)}
    assert codes == {"batch_expired"}


def test_a_batch_that_fails_validation_fails_every_request_with_its_reason(
    server: BatchServer, clock: FakeClock
) -> None:
    (file,) = build_files(_jobs(1, 1))
    server.plan_next(BatchPlan(invalid="The model fake-model does not support batches."))

    async def go(client: BatchClient) -> tuple[BatchInfo, Any]:
        done = await client.wait((await _submit(client, file)).id, clock)
        return done, await client.results(done, file.custom_ids)

    done, results = _run(server, go)
    assert done.status == "failed" and done.output_file_id is None
    assert done.errors == ("invalid_request: The model fake-model does not support batches. "
                           "(line 1)",)
    assert set(results.errors) == set(file.custom_ids)
    assert {e.kind for e in results.errors.values()} == {"batch_failed"}
    assert "does not support batches" in results.errors[file.custom_ids[0]].message


def test_result_lines_of_any_shape_are_read_or_counted() -> None:
    names = [custom_id(n, 0, LEASE) for n in range(1, 6)]
    lines = [
        {"custom_id": names[0], "response": {"status_code": 200, "body": {
            "choices": [{"message": {"content": ""}, "finish_reason": "content_filter"}]}}},
        {"custom_id": names[1], "response": None,
         "error": {"code": "request_timeout", "message": "The model call timed out."}},
        {"custom_id": names[2], "response": None,
         "error": {"code": "InvalidParameter", "message": "Something odd."}},
        {"custom_id": names[3], "response": {"status_code": 200, "body": {"nope": 1}}},
        {"custom_id": names[4], "response": None,
         "error": {"code": "batch_cancelled", "message": "The batch was cancelled."}},
    ]
    raw = b"".join(json.dumps(line).encode() + b"\n" for line in lines) + b"{broken\n\n"
    results = parse_result_lines(raw)
    kinds = {name: error.kind for name, error in results.errors.items()}
    assert kinds == {names[0]: "content_filter", names[1]: "timeout",
                     names[2]: "bad_request", names[3]: "bad_response",
                     names[4]: "batch_cancelled"}
    assert "in the batch" in results.errors[names[2]].message
    assert results.unreadable == 1 and not results.answers


def test_the_batch_kinds_are_named_and_explained() -> None:
    # core/error_kinds.py gets these lines when batch mode is wired into the queue.
    assert set(BATCH_MESSAGES) == set(BATCH_KINDS)
    assert set(BATCH_KINDS) <= set(ERROR_KINDS)


def test_a_refused_key_is_classified_and_never_shown(server: BatchServer) -> None:
    (file,) = build_files(_jobs(1))

    async def go(client: BatchClient) -> ProviderError:
        with pytest.raises(ProviderError) as caught:
            await client.ensure_uploaded(file)
        return caught.value

    error = _run(server, go, key="sk-wrong-key-0000")
    assert error.kind == "bad_key" and error.error_class is ErrorClass.STOP_QUEUE
    assert "sk-wrong-key-0000" not in error.message
    assert server.uploads == 0


# ---------------------------------------------------------------------------------- lost answers


def test_a_lost_upload_answer_is_found_again_not_repeated(server: BatchServer) -> None:
    (file,) = build_files(_jobs(1, 2))
    server.fault("upload", "lose")

    async def go(client: BatchClient) -> tuple[str, str]:
        first = await client.ensure_uploaded(file)
        again = await client.ensure_uploaded(file)  # as after a restart: found, not sent
        return first.id, again.id

    first, again = _run(server, go)
    assert first == again
    assert server.uploads == 1
    assert server.routes() == ["list_files", "upload", "list_files", "list_files"]
    assert [c.answer for c in server.calls if c.route == "upload"] == ["lost"]


def test_a_lost_create_answer_is_found_by_its_metadata_not_repeated(
    server: BatchServer, clock: FakeClock
) -> None:
    (file,) = build_files(_jobs(1, 2))
    server.fault("upload", "lose")
    server.fault("create", "lose")

    async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo, BatchInfo]:
        first = await _submit(client, file)
        again = await _submit(client, file)  # a restart repeats the steps: both are found
        return first, again, await client.wait(first.id, clock)

    first, again, done = _run(server, go)
    assert first.id == again.id and done.status == "completed"
    assert server.uploads == 1 and server.creations == 1
    assert [c.answer for c in server.calls if c.route == "create"] == ["lost"]


def test_a_batch_a_gateway_created_twice_is_cancelled_and_the_other_kept(
    server: BatchServer, clock: FakeClock
) -> None:
    # As LiteLLM does when the provider's answer is lost on its side: it sends the creation
    # again and answers with the second batch; the first runs on, unseen.
    (file,) = build_files(_jobs(1, 2))
    create = server.create
    server.create = lambda body: (create(body), create(body))[1]  # type: ignore[method-assign]

    async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo, list[str]]:
        kept = await _submit(client, file)
        again = await _submit(client, file)  # a restart finds the kept one, nothing cancelled
        return kept, again, list(client.twins_cancelled)

    kept, again, twins = _run(server, go)
    assert server.creations == 2 and again.id == kept.id
    (twin,) = twins
    assert twin != kept.id
    clock.advance(3600)
    assert server.batch(twin)["status"] == "cancelled"
    assert server.batch(twin)["request_counts"]["completed"] == 0  # nothing of it was billed
    assert server.batch(kept.id)["status"] == "completed"
    assert server.routes().count("cancel") == 1


def test_a_refused_create_is_raised_and_makes_nothing(server: BatchServer) -> None:
    (file,) = build_files(_jobs(1))
    server.fault("create", "429")

    async def go(client: BatchClient) -> ProviderError:
        remote = await client.ensure_uploaded(file)
        with pytest.raises(ProviderError) as caught:
            await client.ensure_batch(remote.id, file.sha256, "1")
        return caught.value

    error = _run(server, go)
    assert error.kind == "rate_limited"
    assert server.creations == 0
    # A refusal says nothing was made: no second look at the list after it.
    assert server.routes() == ["list_files", "upload", "list_batches", "create"]


def test_a_new_step_for_the_same_file_is_a_new_batch_found_across_pages(
    server: BatchServer,
) -> None:
    (file,) = build_files(_jobs(1))

    async def go(client: BatchClient) -> list[BatchInfo]:
        remote = await client.ensure_uploaded(file)
        made = [await client.ensure_batch(remote.id, file.sha256, f"step-{n}") for n in range(5)]
        found = await client.find_batch(file.sha256, "step-0")
        assert found is not None and found.id == made[0].id
        assert await client.find_batch(file.sha256, "step-9") is None
        return made

    made = _run(server, go, batches_page=2)
    assert len({b.id for b in made}) == 5 and server.creations == 5
    # step-0 is the oldest: it was on the third page of two.
    paged = [c.path for c in server.calls if c.route == "list_batches"][-6:]
    assert sum("after=" in path for path in paged) >= 2


def test_find_batch_stops_at_batches_older_than_the_step(
    server: BatchServer, clock: FakeClock
) -> None:
    (file,) = build_files(_jobs(1))

    async def go(client: BatchClient) -> BatchInfo | None:
        remote = await client.ensure_uploaded(file)
        for n in range(4):
            await client.create_batch(remote.id, file.sha256, f"old-{n}")
        clock.advance(600)
        since = int(clock.wall())
        before = len(server.calls)
        found = await client.find_batch(file.sha256, "new", since=since)
        assert len(server.calls) - before == 1  # one page: the newest batch is already older
        return found

    assert _run(server, go, batches_page=2) is None


def test_a_gateway_that_drops_after_ends_the_listing_instead_of_looping(
    server: BatchServer,
) -> None:
    # LiteLLM 1.108 forwards GET /files without limit or after: the upstream answers its
    # first page every time, has_more still true.
    listing = server.list_files
    server.list_files = lambda query: listing({"limit": "2"})  # type: ignore[method-assign]
    files = [build_files(_jobs(n))[0] for n in (1, 2, 3)]

    async def go(client: BatchClient) -> tuple[str, Any]:
        for file in files:
            await client.upload(file)
        newest = await client.find_upload(files[-1])
        assert newest is not None
        # the oldest is on a page the gateway cannot show: not found, and asked once more only
        return newest.filename, await client.find_upload(files[0])

    newest, oldest = _run(server, go, files_page=2)
    assert newest == files[-1].filename and oldest is None
    assert server.routes().count("list_files") == 4  # two lookups, two pages each


# ---------------------------------------------------------------------------------- poll, cancel


def test_wait_rides_out_failed_polls(server: BatchServer, clock: FakeClock) -> None:
    (file,) = build_files(_jobs(1))
    server.fault("retrieve", "503", "lose")

    async def go(client: BatchClient) -> BatchInfo:
        return await client.wait((await _submit(client, file)).id, clock)

    assert _run(server, go).status == "completed"
    assert [c.answer for c in server.calls if c.route == "retrieve"][:3] == ["503", "lost", "200"]


def test_cancel_keeps_what_was_done_and_fails_the_rest(
    server: BatchServer, clock: FakeClock
) -> None:
    (file,) = build_files(_jobs(1, 1, 1, 1, 1, 1))

    async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo, BatchInfo, Any]:
        batch = await _submit(client, file)
        clock.advance(server.validating_s + 2.5 * server.request_s)  # two requests done
        server.fault("cancel", "lose")
        with pytest.raises(ProviderError):
            await client.cancel(batch.id)  # done on the server, but the answer was lost
        cancelling = await client.cancel(batch.id)
        twice = await client.cancel(batch.id)
        done = await client.wait(batch.id, clock)
        return cancelling, twice, done, await client.results(done, file.custom_ids)

    cancelling, twice, done, results = _run(server, go)
    assert cancelling.status == "cancelling" and twice.status == "cancelling"
    assert done.status == "cancelled" and "cancelled_at" in done.times
    assert set(results.answers) == set(file.custom_ids[:2])
    assert {e.kind for e in results.errors.values()} == {"batch_cancelled"}
    assert set(results.errors) == set(file.custom_ids[2:])


# ---------------------------------------------------------------------------------- settings


def test_the_client_uses_the_analyzers_base_url_and_key(server: BatchServer) -> None:
    settings = Settings(provider="openai", preset="custom", api_base=server.url)
    client = make_batch_client(settings, queue=QUEUE, api_key=KEY)
    assert client.base_url == server.url and client.queue == QUEUE
    (file,) = build_files(_jobs(1))

    async def go() -> str:
        async with client:
            return (await client.ensure_uploaded(file)).filename

    assert asyncio.run(go()) == file.filename  # the key reached the server: no 401
    with pytest.raises(SettingsError, match="unencrypted"):
        make_batch_client(Settings(provider="openai", preset="custom",
                                   api_base="http://batch.example.com/v1"),
                          queue=QUEUE, api_key=KEY)
    with pytest.raises(SettingsError, match="Batch mode"):
        make_batch_client(Settings(provider="offline"), queue=QUEUE)


def test_dashscope_batches_carry_pacelines_names_in_its_own_two_metadata_keys(
    server: BatchServer,
) -> None:
    file = build_files(_jobs(1, 1))[0]

    async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo]:
        remote = await client.ensure_uploaded(file)
        server.fault("create", "lose")
        first = await client.ensure_batch(remote.id, file.sha256, "s1")
        again = await client.ensure_batch(remote.id, file.sha256, "s1")
        return first, again

    first, again = _run(server, go, dashscope=True)
    assert first.id == again.id and server.creations == 1
    assert set(first.metadata) == {"ds_name", "ds_description"}
    assert first.metadata["ds_name"] == "paceline s1"
    assert f"paceline_file={file.sha256}" in first.metadata["ds_description"]


def test_a_provider_that_keeps_no_metadata_still_finds_a_batch_by_its_input_file(
    clock: FakeClock,
) -> None:
    with BatchServer(now=clock.wall, key=KEY, keep_metadata=False) as server:
        file = build_files(_jobs(2))[0]

        async def go(client: BatchClient) -> tuple[BatchInfo, BatchInfo | None]:
            remote = await client.ensure_uploaded(file)
            server.fault("create", "lose")
            made = await client.ensure_batch(remote.id, file.sha256, "s2")
            other = await client.find_batch(file.sha256, "s2", file_id="file-unknown")
            return made, other

        made, other = _run(server, go)
        assert server.creations == 1 and made.metadata == {}
        assert other is None  # another file's batch is never taken for this one
