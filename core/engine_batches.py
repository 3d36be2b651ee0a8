"""The engine's door to batch mode: send jobs as a provider batch, cancel one, list them.

Any process may submit or cancel (it is a row in the database); only the process holding the
worker lock runs the batch runner (core/batch_runner.py) beside its worker, as it alone runs
the worker.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path

from core import providers
from core.analyzers.base import Analyzer
from core.analyzers.openai_compat import OpenAICompatAnalyzer
from core.batch_api import make_batch_client
from core.batch_runner import BatchRunner
from core.batches import Batch
from core.clock import Clock
from core.documents import Limits
from core.settings import Settings, SettingsError
from core.store import Store
from core.worker import Worker

log = logging.getLogger(__name__)

BATCHES_FOLDER = "batches"  # request files wait here for their upload


class BatchDoor:
    home: Path
    settings: Settings
    store: Store
    clock: Clock
    worker: Worker | None
    batch_runner: BatchRunner | None
    limits: Limits
    analyzer: Callable[[], Analyzer]
    _make_worker: Callable[[], Awaitable[Worker]]

    def batch_refusal(self) -> str | None:
        """Why these settings cannot send a batch, said to the person; None when they can."""
        if self.settings.provider == "offline":
            return ("Batch mode sends documents to a provider's Batch API; the offline analyzer "
                    "has none. Choose DashScope, OpenAI or a custom URL in Settings.")
        preset = providers.PRESETS.get(self.settings.preset)
        if preset is not None and not preset.batch:
            return (f"{preset.label} has no Batch API: a server on this machine answers at "
                    "once anyway. Batch mode is for DashScope, OpenAI or a custom URL whose "
                    "server has one.")
        return None

    async def submit_batch(self, ids: Iterable[int] | None = None) -> Batch:
        """Queued jobs (``ids``, or every queued job) into a new batch.

        Raises SettingsError when these settings have no Batch API, and ValueError when none
        of the jobs is queued.
        """
        refusal = self.batch_refusal()
        if refusal:
            raise SettingsError(refusal)
        analyzer = self.analyzer()
        model = getattr(analyzer, "model", "") or self.settings.model
        host = getattr(analyzer, "host", "")
        batch = await self.store.submit_batch(
            None if ids is None else list(ids), provider=self.settings.preset, model=model,
            host=host,
        )  # fmt: skip
        if batch is None:
            raise ValueError("None of those jobs is waiting in the queue: only queued jobs "
                             "can be sent as a batch.")
        if self.batch_runner is not None:
            self.batch_runner.wake()
        return batch

    async def cancel_batch(self, batch_id: int) -> Batch:
        """Ask for a batch to be cancelled; what it already answered is kept."""
        batch = await self.store.cancel_batch(batch_id)
        if batch is None:
            raise ValueError(f"There is no batch {batch_id}.")
        if self.batch_runner is not None:
            self.batch_runner.wake()
        return batch

    async def batches(self, *, open_only: bool = False) -> list[Batch]:
        return await self.store.batches(open_only=open_only)

    async def _prepare_batches(self) -> None:
        """The batch runner for the worker's process, when the settings have a Batch API."""
        self.batch_runner = None
        analyzer = self.analyzer()
        if self.batch_refusal() or not isinstance(analyzer, OpenAICompatAnalyzer):
            return
        try:
            client = make_batch_client(self.settings, queue=await self.store.queue_id(),
                                       home=self.home)
        except SettingsError as exc:  # no key yet: the normal calls will say so too
            log.info("batch mode is off: %s", exc)
            return
        self.batch_runner = BatchRunner(
            self.store, analyzer, client, self.clock, folder=self.home / BATCHES_FOLDER,
            limits=self.limits, poll_s=self.settings.batch_poll_s,
            combine_in_batch=self.settings.batch_combine == "batch",
        )  # fmt: skip

    async def _run_with_batches(self, worker: Worker, *, until_empty: bool) -> None:
        """The worker and the batch runner side by side. Until empty, that means until no
        batch is open and nothing is queued: a settled batch may hand combining calls back."""
        runner = self.batch_runner
        if runner is None:
            await worker.run(until_empty=until_empty)
            return
        batches = asyncio.ensure_future(runner.run(until_idle=until_empty))
        try:
            while True:
                await worker.run(until_empty=until_empty)
                if not until_empty or worker.stopping:
                    return
                await batches
                # Combining calls a settled batch handed back wait in the queue: run them,
                # unless the queue is paused (the worker ended for that, as it does alone).
                if self.store.meta.paused or not await self.store.has_queued():
                    return
                worker = self.worker = await self._make_worker()
                batches = asyncio.ensure_future(runner.run(until_idle=True))
        finally:
            # Every step commits its intent before it starts: cutting one short is safe.
            batches.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await batches
            await runner.client.aclose()
