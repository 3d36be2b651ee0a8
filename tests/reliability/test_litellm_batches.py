"""Batch mode through a real LiteLLM proxy in front of a real Batch API (tests/batch_server.py).

LiteLLM's /v1/files and /v1/batches forward to an upstream provider's Batch API: here to the
test's own server, on 127.0.0.1 and the real clock (a batch takes about a second). What these
tests show about LiteLLM 1.108.7 (no database, files_settings with custom_llm_provider openai):

- ids, filenames, metadata, input_file_id, created_at and request counts come back as the
  upstream made them: nothing is rewritten (LiteLLM encodes ids only when a request names a
  model, which Paceline's file and batch calls do not);
- the upstream sees the gateway's key, never Paceline's;
- GET /v1/files reaches the upstream without ``limit`` and ``after`` (only ``purpose``): a
  listing longer than the upstream's default page cannot be paged (core/batch_api.py ends
  such a listing instead of asking for the first page forever; find-before-upload then sees
  the newest files only, which is where a lost upload is);
- LiteLLM's OpenAI client retries a request whose upstream answer was lost, twice. For an
  upload ``files_settings: max_retries: 0`` turns that off, so the lost upload reaches
  Paceline as a 500 and Paceline finds it in the listing. For ``POST /batches`` no setting
  does (the provider-routed path passes only the deployment's credentials, and
  ``max_retries=None`` becomes the SDK's 2): the upstream makes the batch again and LiteLLM
  answers with the copy. Paceline cancels the copies it finds by their metadata right after
  creating (``BatchClient.twins_cancelled``), before the upstream starts them.

Skipped where LiteLLM is not installed; ``.ci/run`` installs it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.batch_api import BatchClient, BatchFile, BatchInfo, BatchRequest, build_files
from core.batches import BatchStage
from core.clock import SystemClock
from core.engine import Engine
from core.errors import ProviderError
from core.settings import Settings
from core.states import JobState
from tests.batch_server import BatchServer
from tests.litellm_proxy import KeyLimits, LiteLLMProxy, litellm_available

pytestmark = [
    pytest.mark.litellm,
    pytest.mark.skipif(not litellm_available(), reason="no LiteLLM proxy installed"),
]

MODEL = "qwen-plus"
UPSTREAM_KEY = "sk-upstream-batch-4d1f"  # what LiteLLM sends the provider
KEY = "sk-free"  # what Paceline sends LiteLLM


class BatchProxy(LiteLLMProxy):
    """LiteLLM with one OpenAI deployment and its files/batches settings on ``upstream``."""

    def __init__(self, upstream: str) -> None:
        self.upstream = upstream
        super().__init__(models=(), keys={KEY: KeyLimits()})

    def config(self) -> dict[str, object]:
        config = super().config()
        credentials = {"api_base": self.upstream, "api_key": UPSTREAM_KEY}
        # The deployment gives the batch calls their upstream (LiteLLM takes the credentials
        # of any openai deployment the key may use), and the chat call a long document's
        # combining step makes.
        config["model_list"] = [
            {"model_name": MODEL, "litellm_params": {"model": f"openai/{MODEL}", **credentials}}
        ]
        # Uploads take files_settings; max_retries 0: no second upload of a lost one.
        config["files_settings"] = [
            {"custom_llm_provider": "openai", "max_retries": 0, **credentials}
        ]
        return config


@pytest.fixture(scope="module")
def server() -> Iterator[BatchServer]:
    # validating_s: LiteLLM retries a lost creation 0.5-1 s later, twice (up to ~3 s), and
    # the copies must still be unstarted when Paceline looks, as at a real provider, whose
    # validation takes minutes. A copy that finished first was run and billed: too late.
    with BatchServer(now=time.time, key=UPSTREAM_KEY, validating_s=5.0, request_s=0.01,
                     finalizing_s=0.3, cancelling_s=0.3) as upstream:  # fmt: skip
        yield upstream


@pytest.fixture(scope="module")
def proxy(server: BatchServer) -> Iterator[BatchProxy]:
    with BatchProxy(server.url) as running:
        yield running


def _docs(folder: Path, count: int, tag: str) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(1, count + 1):
        path = folder / f"note-{n}.txt"
        path.write_text(f"Note {n} MARK-{n} ({tag}). The quarterly figures look fine.\n",
                        encoding="utf-8")
        paths.append(path)
    return paths


def _file(tag: str, jobs: int = 3) -> BatchFile:
    requests = [
        BatchRequest(job, 0, "a1b2c3d4e5f60718", {
            "model": MODEL,
            "messages": [{"role": "user", "content": f"Document {job} MARK-{job} ({tag})"}],
            "max_tokens": 50,
        })
        for job in range(1, jobs + 1)
    ]  # fmt: skip
    (file,) = build_files(requests)
    return file


def _calls_since(server: BatchServer, start: int) -> list[tuple[str, str]]:
    return [(c.route, c.answer) for c in server.calls[start:]]


def test_the_engine_runs_a_drop_through_litellm_once(
    proxy: BatchProxy, server: BatchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", KEY)
    uploads, creations, start = server.uploads, server.creations, len(server.calls)
    settings = Settings(provider="openai", preset="custom", api_base=proxy.api_base,
                        model=MODEL, pause_s=0.0, batch_poll_s=0.2)  # fmt: skip

    async def go() -> None:
        engine = await Engine.open(tmp_path / "home", settings=settings)
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 5, "engine"))
            await engine.submit_batch()
            await asyncio.wait_for(engine.run(until_empty=True), 40)
            jobs = sorted(await engine.jobs(), key=lambda j: j.id)
            assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 1)] * 5
            for n, job in enumerate(jobs, 1):
                assert f"MARK-{n}" in (job.result or "")
            (batch,) = await engine.batches()
            assert batch.stage == BatchStage.FINISHED and batch.status == "completed"
            assert (batch.total, batch.completed, batch.failed) == (5, 5, 0)
            # LiteLLM passed the upstream's ids through unchanged
            assert batch.remote_batch in server.batches
            assert batch.remote_file in server.files
        finally:
            await engine.close()

    asyncio.run(go())
    assert (server.uploads - uploads, server.creations - creations) == (1, 1)
    assert {c.authorization for c in server.calls[start:]} == {f"Bearer {UPSTREAM_KEY}"}


def test_the_engine_cancels_the_copy_litellm_made_and_says_so(
    proxy: BatchProxy, server: BatchServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PACELINE_API_KEY", KEY)
    uploads, creations = server.uploads, server.creations
    settings = Settings(provider="openai", preset="custom", api_base=proxy.api_base,
                        model=MODEL, pause_s=0.0, batch_poll_s=0.2)  # fmt: skip
    server.fault("upload", "lose")
    server.fault("create", "lose")

    async def go() -> None:
        engine = await Engine.open(tmp_path / "home", settings=settings)
        try:
            await engine.add_paths(_docs(tmp_path / "docs", 3, "engine twins"))
            await engine.submit_batch()
            await asyncio.wait_for(engine.run(until_empty=True), 40)
            jobs = await engine.jobs()
            assert [(j.state, j.attempts) for j in jobs] == [(JobState.DONE, 1)] * 3
            (batch,) = await engine.batches()
            copies = [b for b in server.batches if b != batch.remote_batch
                      and server.batches[b].input_file_id == batch.remote_file]  # fmt: skip
            assert len(copies) == 1
            assert server.batch(copies[0])["request_counts"]["completed"] == 0
            for job in jobs:
                log = [e.message for e in await engine.job_log(job.id)]
                assert sum(f"cancelled the copies {copies[0]}" in m for m in log) == 1, log
        finally:
            await engine.close()

    asyncio.run(go())
    assert (server.uploads - uploads, server.creations - creations) == (1, 2)


def test_a_lost_upload_is_found_in_litellms_file_listing(
    proxy: BatchProxy, server: BatchServer
) -> None:
    file = _file("lost upload")
    uploads, start = server.uploads, len(server.calls)
    server.fault("upload", "lose")

    async def go() -> tuple[str, str, ProviderError]:
        async with BatchClient(proxy.api_base, KEY, queue="q-upload") as client:
            with pytest.raises(ProviderError) as lost:
                await client.upload(file)  # LiteLLM answers the dropped upstream call: 500
            found = await client.ensure_uploaded(file)
            again = await client.ensure_uploaded(file)
            return found.id, again.id, lost.value

    found, again, lost = asyncio.run(go())
    assert lost.kind == "server_error"
    assert found == again and server.files[found].filename == file.filename
    assert server.uploads - uploads == 1
    assert _calls_since(server, start) == [("upload", "lost"), ("list_files", "200"),
                                           ("list_files", "200")]
    # Paceline asked for a page of FILES_PAGE; LiteLLM forwarded the purpose only.
    listing = [c.path for c in server.calls[start:] if c.route == "list_files"]
    assert listing == ["/v1/files?purpose=batch"] * 2


def test_a_batch_litellm_created_twice_is_cancelled_and_the_other_runs(
    proxy: BatchProxy, server: BatchServer
) -> None:
    file = _file("lost create")
    creations, start = server.creations, len(server.calls)

    async def go() -> tuple[BatchInfo, list[str], BatchInfo, set[str]]:
        async with BatchClient(proxy.api_base, KEY, queue="q-create") as client:
            remote = await client.ensure_uploaded(file)
            server.fault("create", "lose")  # LiteLLM sends the creation again, and answers
            kept = await client.ensure_batch(remote.id, file.sha256, "1")
            done = await client.wait(kept.id, SystemClock(), interval_s=0.2)
            results = await client.results(done, file.custom_ids)
            assert not results.errors
            return kept, list(client.twins_cancelled), done, set(results.answers)

    kept, twins, done, answered = asyncio.run(go())
    assert server.creations - creations == 2
    assert [a for r, a in _calls_since(server, start) if r == "create"] == ["lost", "200"]
    (twin,) = twins
    assert kept.metadata["paceline_step"] == "1" and kept.input_file_id in server.files
    assert done.status == "completed" and answered == set(file.custom_ids)
    copy = server.batch(twin)
    assert copy["status"] in ("cancelling", "cancelled")
    assert copy["request_counts"]["completed"] == 0  # the copy never ran a request


def test_a_creation_lost_on_every_litellm_try_is_found_by_its_metadata(
    proxy: BatchProxy, server: BatchServer
) -> None:
    file = _file("lost thrice")
    creations, start = server.creations, len(server.calls)

    async def go() -> tuple[BatchInfo, list[str]]:
        async with BatchClient(proxy.api_base, KEY, queue="q-thrice") as client:
            remote = await client.ensure_uploaded(file)
            server.fault("create", "lose", "lose", "lose")  # LiteLLM's try and both retries
            kept = await client.ensure_batch(remote.id, file.sha256, "1")
            again = await client.ensure_batch(remote.id, file.sha256, "1")  # as a restart
            assert again.id == kept.id
            return kept, list(client.twins_cancelled)

    kept, twins = asyncio.run(go())
    assert server.creations - creations == 3
    assert [a for r, a in _calls_since(server, start) if r == "create"] == ["lost"] * 3
    # The newest is kept (found through LiteLLM's listing by Paceline's metadata); the two
    # older copies are cancelled before they run.
    made = sorted((b for b in server.batches.values() if b.metadata
                   and b.metadata.get("paceline_queue") == "q-thrice"),
                  key=lambda b: b.id)  # fmt: skip
    assert kept.id == made[-1].id and sorted(twins) == [b.id for b in made[:-1]]
    for twin in twins:
        assert server.batch(twin)["request_counts"]["completed"] == 0
