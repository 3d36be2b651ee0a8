"""Batch mode's steps: write the requests, upload, create, poll, download, settle.

Each open batch (core/batch_queue.py) is moved on one step at a time, and each step commits
its outcome before the next begins:

- ``preparing``: read each job's document (in the sandbox, as the worker does), cut it into
  parts and write the request file; the file's hash and requests are committed with the next
  stage. A document that cannot be read fails alone.
- ``uploading``: the file on the provider's side, found by its hash-named filename before it is
  sent (core/batch_api.py), so an upload whose answer was lost is never sent twice.
- ``creating``: the batch, found by its metadata (queue, file hash, step) before it is made.
- ``submitted``: polled every ``poll_s``; a cancel asked for from any process is sent here.
- ``downloading``: the output and error files read, every job settled in one transaction.

A step that fails for a passing reason (no connection, a server error, throttling) is tried
again after a capped backoff, with the reason on the batch's row for the window to show; a
refusal of the whole file fails its jobs with the provider's reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from dataclasses import replace
from pathlib import Path

from core.analyzers.openai_compat import OpenAICompatAnalyzer
from core.batch_api import (
    POLL_INTERVAL_S,
    BatchClient,
    BatchFile,
    BatchInfo,
    BatchRequest,
    RequestTooLarge,
    build_files,
    jsonl_line,
    parse_custom_id,
)
from core.batches import Batch, BatchStage, PlannedRequest
from core.clock import Clock
from core.documents import Limits, extract_async
from core.errors import DocumentError, ErrorClass, ProviderError
from core.jobs import Lease, Profile
from core.part_inputs import cut_document, text_sha
from core.states import DOUBTFUL_TEXT
from core.store import Store

log = logging.getLogger(__name__)

# A passing failure is tried again after poll_s, doubling up to this.
MAX_RETRY_S = 300.0
# A refused key or an exhausted quota waits for the person to mend it; looked at again after:
STOP_RETRY_S = 300.0
# The stages that send something new to the provider: held while the queue is paused.
SENDING = frozenset({BatchStage.PREPARING, BatchStage.UPLOADING, BatchStage.CREATING})
# A request's part name for the call that merges a document's parts (core/batch_api.py).
COMBINE = "combine"
# How far before a batch's own row the provider's clock may be when its batch is looked for.
CLOCK_SLACK_S = 600


def doubt_message(name: str, doubt: str) -> str:
    """Why a doubtful document was not sent (the worker says the same)."""
    return (
        f"The text read from {name} looks garbled: {doubt}. It was not sent, so nothing was "
        "spent. Open the file to check it; if it reads correctly there, re-trigger the job to "
        "send it anyway."
    )


class BatchRunner:
    """Moves this queue's open batches on, one committed step at a time."""

    def __init__(
        self,
        store: Store,
        analyzer: OpenAICompatAnalyzer,
        client: BatchClient,
        clock: Clock,
        *,
        folder: Path,
        limits: Limits,
        poll_s: float = POLL_INTERVAL_S,
        combine_in_batch: bool = False,
    ) -> None:
        self.store = store
        self.analyzer = analyzer
        self.client = client
        self.clock = clock
        self.folder = folder  # where request files wait for their upload
        self.limits = limits
        self.poll_s = poll_s
        # A document's parts all back: its combining call in a follow-up batch (half price,
        # another wait of up to a day) or as a normal call now (the person's choice).
        self.combine_in_batch = combine_in_batch
        self._wake = asyncio.Event()
        self._due: dict[int, float] = {}  # batch id -> clock time of its next poll or retry
        self._failures: dict[int, int] = {}
        self._stopping = False

    def wake(self) -> None:
        """Look at every open batch now, polls not due yet too ("Check now", a submit, a
        cancel or a resume in this process)."""
        self._due.clear()
        self._wake.set()

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()

    async def run(self, *, until_idle: bool = False) -> None:
        """Move batches on until stopped (or, with ``until_idle``, until none is open)."""
        await asyncio.to_thread(self._forget_orphans_sync, await self._open_shas())
        while not self._stopping:
            batches = await self.store.batches(open_only=True)
            if not batches and until_idle:
                return
            moved = False
            for batch in sorted(batches, key=lambda b: b.id):
                if self._stopping:
                    return
                if self._due.get(batch.id, 0.0) > self.clock.now() and not batch.cancel_requested:
                    continue
                if (self.store.meta.paused and batch.stage in SENDING
                        and not batch.cancel_requested):
                    continue  # paused: nothing new goes out; batches already sent are polled
                moved |= await self._attempt(batch)
            if not moved:
                await self._pause()

    async def _pause(self) -> None:
        now = self.clock.now()
        nearest = min(self._due.values(), default=now + self.poll_s)
        wait = max(0.0, min(self.poll_s, nearest - now)) or 0.0
        self._wake.clear()
        sleeper = asyncio.ensure_future(self.clock.sleep(wait if wait > 0 else self.poll_s))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _attempt(self, batch: Batch) -> bool:
        """One step of one batch; True if it moved on a stage."""
        try:
            moved = await self.step(batch)
        except ProviderError as exc:
            await self._failed_step(batch, exc)
            return False
        self._failures.pop(batch.id, None)
        if batch.error and moved:
            with contextlib.suppress(Exception):
                await self.store.batch_step(batch.id, error=None)
        return moved

    async def _failed_step(self, batch: Batch, exc: ProviderError) -> None:
        if exc.error_class == ErrorClass.PERMANENT and batch.stage in (
            BatchStage.UPLOADING, BatchStage.CREATING
        ):
            # The provider refused the file or the batch itself: its jobs fail with the reason.
            await self._fail_all(batch, exc)
            return
        failures = self._failures.get(batch.id, 0) + 1
        self._failures[batch.id] = failures
        if exc.error_class == ErrorClass.STOP_QUEUE:
            delay = STOP_RETRY_S
        else:
            delay = min(MAX_RETRY_S, self.poll_s * 2 ** (failures - 1))
            delay = max(delay, exc.retry_after or 0.0)
        self._due[batch.id] = self.clock.now() + delay
        log.info("batch %s: %s failed (%s); again in %.0f s", batch.id, batch.stage, exc.kind,
                 delay)
        await self.store.batch_step(batch.id, error=f"{exc.message} Trying again in "
                                    f"{delay:.0f} s.")

    async def _fail_all(self, batch: Batch, exc: ProviderError) -> None:
        for lease in await self.store.batch_leases(batch.id):
            await self.store.fail_job_in_batch(lease, exc.kind, exc.message)
        await self.store.batch_step(batch.id, BatchStage.FINISHED, error=exc.message,
                                    finished_at=self.clock.wall())
        self._forget(batch)

    # ------------------------------------------------------------------ the steps

    async def step(self, batch: Batch) -> bool:
        """Do the step ``batch.stage`` names and commit the next; True if it moved on."""
        if batch.stage == BatchStage.PREPARING:
            return await self._prepare(batch)
        if batch.stage == BatchStage.UPLOADING:
            return await self._upload(batch)
        if batch.stage == BatchStage.CREATING:
            return await self._create(batch)
        if batch.stage == BatchStage.SUBMITTED:
            return await self._poll(batch)
        if batch.stage == BatchStage.DOWNLOADING:
            return await self._download(batch)
        return False

    async def _prepare(self, batch: Batch) -> bool:
        if batch.cancel_requested:
            await self.store.give_back_batch(batch.id, "its batch was cancelled before it "
                                             "was sent; nothing was spent")
            return True
        analyzer = self.analyzer
        model = await analyzer.resolve_model()
        requests: list[BatchRequest] = []
        planned: dict[str, PlannedRequest] = {}
        limits = replace(self.limits, render_images=analyzer.vision is not None)
        for lease in await self.store.batch_leases(batch.id):
            made = await self._requests_for(lease, model, limits)
            size = sum(len(jsonl_line(request)) for request, _ in made)
            if len(made) > self.client.max_requests or size > self.client.max_bytes:
                # A document's parts go in one batch, so they come back together; one that
                # alone is more than a whole batch file goes as normal calls.
                await self.store.fail_job_in_batch(lease, "too_large", (
                    f"{lease.job.name} makes {len(made):,} requests of {size:,} bytes in all, "
                    f"more than one batch file may hold ({self.client.max_requests:,} "
                    f"requests, {self.client.max_bytes:,} bytes). Re-trigger it to send it "
                    "as normal calls."))
                continue
            for request, plan in made:
                requests.append(request)
                planned[plan.custom_id] = plan
        while True:
            try:
                files = build_files(requests, max_requests=self.client.max_requests,
                                    max_bytes=self.client.max_bytes)
                break
            except RequestTooLarge as exc:  # one giant part: that job fails, the rest go
                found = parse_custom_id(exc.custom_id)
                job_id = found[0] if found else -1
                requests = [r for r in requests if r.job_id != job_id]
                for lease in await self.store.batch_leases(batch.id):
                    if lease.job_id == job_id:
                        await self.store.fail_job_in_batch(lease, "too_large", str(exc))
        if not files:
            await self.store.batch_step(batch.id, BatchStage.FINISHED,
                                        finished_at=self.clock.wall())
            return True
        await asyncio.to_thread(self._write_files_sync, files)
        await self.store.batch_prepared(batch.id, [
            (f.sha256, len(f.content), [planned[name] for name in f.custom_ids])
            for f in files
        ])  # fmt: skip
        return True

    async def _requests_for(
        self, lease: Lease, model: str, limits: Limits
    ) -> list[tuple[BatchRequest, PlannedRequest]]:
        """A job's requests, one per part; [] when its document cannot go (it failed)."""
        job = lease.job
        try:
            document = await extract_async(job.path, limits, expect_sha256=job.sha256)
        except DocumentError as exc:
            await self.store.fail_job_in_batch(lease, exc.kind, exc.message)
            return []
        if document.doubt and not job.doubt_accepted:
            await self.store.fail_job_in_batch(lease, DOUBTFUL_TEXT,
                                               doubt_message(job.name, document.doubt))
            return []
        analyzer = self.analyzer
        chunks = cut_document(document, analyzer)
        profile = Profile(job.profile, job.prompt)
        size = analyzer.part_chars
        # Parts answered before (an earlier batch, a re-triggered job) are not paid for again,
        # as the worker keeps them: only parts of the same cut count.
        stored = {
            p.idx: p.result for p in await self.store.parts(job.id)
            if p.state == "done" and p.result is not None and p.idx < len(chunks)
            and (p.text_sha, p.part_size) == (chunks[p.idx].sha, size)
        } if len(chunks) > 1 else {}
        made: list[tuple[BatchRequest, PlannedRequest]] = []
        if len(chunks) > 1 and len(stored) == len(chunks):
            # Every part is back: this batch makes the combining call.
            results = [stored[i] for i in range(len(chunks))]
            messages = analyzer.combine_messages(results, profile)
            body = analyzer.request_body(model, messages, stream=False)
            request = BatchRequest(job.id, COMBINE, lease.token, body)
            joined = "\n\n".join(results)
            made.append((request, PlannedRequest(
                request.custom_id, job.id, len(chunks), len(chunks),
                text_sha("combine\0" + "\0".join(c.sha for c in chunks)), size, len(joined))))
            return made
        for idx, chunk in enumerate(chunks):
            if idx in stored:
                continue
            messages = analyzer.part_messages(chunk.text, profile, index=idx, count=len(chunks),
                                              images=chunk.images)
            body = analyzer.request_body(model, messages, stream=False)
            request = BatchRequest(job.id, idx, lease.token, body)
            made.append((request, PlannedRequest(
                request.custom_id, job.id, idx, len(chunks), chunk.sha, size, chunk.units)))
        return made

    async def _upload(self, batch: Batch) -> bool:
        if batch.cancel_requested:
            await self.store.give_back_batch(batch.id, "its batch was cancelled before it "
                                             "was sent; nothing was spent")
            return True
        content = await asyncio.to_thread(self._read_file_sync, batch.file_sha or "")
        if content is None:  # the file was lost (or changed) before its upload: write it again
            await self.store.batch_step(batch.id, BatchStage.PREPARING)
            return True
        names = [r.custom_id for r in await self.store.batch_requests(batch.id)]
        remote = await self.client.ensure_uploaded(BatchFile(content, tuple(names)))
        await self.store.batch_step(batch.id, BatchStage.CREATING, remote_file=remote.id)
        return True

    async def _create(self, batch: Batch) -> bool:
        assert batch.remote_file and batch.file_sha
        since = int(batch.created_at) - CLOCK_SLACK_S
        if batch.cancel_requested:
            found = await self.client.find_batch(batch.file_sha, batch.step, since=since,
                                                 file_id=batch.remote_file)
            if found is None:
                await self.store.give_back_batch(batch.id, "its batch was cancelled before "
                                                 "the provider started it; nothing was spent")
                return True
            await self._submitted(batch, found)
            return True
        info = await self.client.ensure_batch(batch.remote_file, batch.file_sha, batch.step,
                                              since=since)
        await self._submitted(batch, info)
        twins, self.client.twins_cancelled[:] = list(self.client.twins_cancelled), []
        if twins:  # a gateway repeated the creation: say so, the copies would have been billed
            await self.store.batch_note(batch.id, f"the provider had made this batch "
                                        f"{len(twins) + 1} times (a gateway repeated the "
                                        f"request); cancelled the copies {', '.join(twins)}")
        return True

    async def _submitted(self, batch: Batch, info: BatchInfo) -> None:
        await self.store.batch_step(
            batch.id, BatchStage.SUBMITTED, remote_batch=info.id,
            remote_created=float(info.created_at) or None,
            expires_at=float(info.expires_at) if info.expires_at else None,
            **_counts(info),
        )  # fmt: skip
        await self.store.batch_note(batch.id, f"batch {batch.id} is with the provider as "
                                    f"{info.id} ({info.status})")
        self._due[batch.id] = self.clock.now() + self.poll_s

    async def _poll(self, batch: Batch) -> bool:
        assert batch.remote_batch
        cancel = batch.cancel_requested and batch.status not in ("cancelling", "cancelled",
                                                                   "completed", "failed",
                                                                   "expired")
        if cancel:
            info = await self.client.cancel(batch.remote_batch)
        else:
            info = await self.client.retrieve(batch.remote_batch)
        self._due[batch.id] = self.clock.now() + self.poll_s
        changed = (info.status, info.counts.completed, info.counts.failed) != (
            batch.status, batch.completed, batch.failed)
        if info.finished:
            self._due.pop(batch.id, None)  # its results are read at once, not a poll later
            await self.store.batch_step(batch.id, BatchStage.DOWNLOADING, **_counts(info))
            return True
        if changed or cancel:
            await self.store.batch_step(batch.id, **_counts(info))
        return False

    async def _download(self, batch: Batch) -> bool:
        assert batch.remote_batch
        info = await self.client.retrieve(batch.remote_batch)
        requests = await self.store.batch_requests(batch.id)
        results = await self.client.results(info, [r.custom_id for r in requests])
        limit = self.analyzer.max_output_tokens
        answers = {k: replace(a, output_limit=limit) for k, a in results.answers.items()}
        settled = await self.store.settle_batch(
            batch.id, answers, results.errors, engine=self.analyzer.engine,
            follow_up=self.combine_in_batch,
        )  # fmt: skip
        log.info("batch %s settled: %d done, %d to combine, %d failed, %d discarded", batch.id,
                 len(settled.done), len(settled.requeued), len(settled.failed),
                 len(settled.discarded))
        self._forget(batch)
        return True

    def _forget(self, batch: Batch) -> None:
        self._due.pop(batch.id, None)
        self._failures.pop(batch.id, None)
        if batch.file_sha:
            with contextlib.suppress(OSError):
                self._path(batch.file_sha).unlink()

    # ------------------------------------------------------------------ request files

    def _path(self, sha: str) -> Path:
        return self.folder / f"{sha}.jsonl"

    def _write_files_sync(self, files: list[BatchFile]) -> None:
        """Each file durably on disk before its hash is committed: written, synced, renamed."""
        self.folder.mkdir(parents=True, exist_ok=True)
        for file in files:
            target = self._path(file.sha256)
            partial = target.with_suffix(".part")
            with open(partial, "wb") as out:
                out.write(file.content)
                out.flush()
                os.fsync(out.fileno())
            os.replace(partial, target)

    def _read_file_sync(self, sha: str) -> bytes | None:
        try:
            content = self._path(sha).read_bytes()
        except OSError:
            return None
        return content if BatchFile(content, ()).sha256 == sha else None

    async def _open_shas(self) -> set[str]:
        return {b.file_sha for b in await self.store.batches(open_only=True) if b.file_sha}

    def _forget_orphans_sync(self, keep: set[str]) -> None:
        """Request files no open batch names (a process stopped while writing them)."""
        if not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.suffix in (".jsonl", ".part") and path.stem not in keep:
                with contextlib.suppress(OSError):
                    path.unlink()


def _counts(info: BatchInfo) -> dict[str, object]:
    counts: dict[str, object] = {"status": info.status, "completed": info.counts.completed,
                                 "failed": info.counts.failed}
    if info.counts.total:  # 0 while it validates: the row keeps the count of its file
        counts["total"] = info.counts.total
    return counts
