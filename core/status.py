"""What the queue is doing, for the status bar, the banner and ``paceline-cli status``: the wait
and its reason (from the stored waits every process reads alike), the ETA, counts and totals.

A mixin of :class:`core.engine.Engine`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core import effective_config, providers
from core.batches import Batch, batch_eta, cost
from core.eta import CallTimes, EtaInputs, queue_eta
from core.states import JobState

if TYPE_CHECKING:
    from core.analyzers.base import Analyzer
    from core.clock import Clock
    from core.pacing import Pacer
    from core.settings import Settings
    from core.store import Store
    from core.worker import Worker


class QueueStatus:
    store: Store
    clock: Clock
    pacer: Pacer
    settings: Settings
    worker: Worker | None
    home: Path

    analyzer: Callable[[], Analyzer]  # the Engine's
    worker_holder: Callable[[], dict[str, Any] | None]  # the Engine's

    async def stored_wait(self) -> tuple[float, str | None, str | None]:
        """(seconds left, kind, reason) of the queue's wait, from the stored values that every
        process reads alike; a pacer's own rate wait (adaptive) when this process runs it."""
        stored = await self.store.stored_wait()
        wall = self.clock.wall()
        left, kind, reason = stored.backoff_left(wall), stored.kind, stored.reason
        paced = self.analyzer().paced
        pause_s = self.pacer.eta_pacing()[0] if paced else 0.0
        pause_left = stored.pause_left(wall, pause_s)
        if pause_left > left:
            left, kind, reason = pause_left, "pause", f"Pausing {pause_s:g} s between calls"
        if self.worker is not None:
            live = self.pacer.current_wait()
            if live.kind == "throttle" and live.seconds_left(self.clock.now()) > left:
                left, kind, reason = live.seconds_left(self.clock.now()), live.kind, live.reason
        if left <= 0:
            return 0.0, None, None
        return left, kind, reason

    async def eta(self) -> tuple[dict[int, float], float]:
        jobs = await self.store.queued_in_order()
        # A job in a provider's batch is done when its batch is, not in the worker's turn.
        etas, total = queue_eta([j for j in jobs if j.batch_id is None],
                                await self.eta_inputs())
        in_batches = {j.id: j.batch_id for j in jobs if j.batch_id is not None}
        if in_batches:
            now = self.clock.wall()
            for batch in await self.store.batches(open_only=True):
                left = batch_eta(batch, now)
                if left is None:
                    continue
                for job_id, batch_id in in_batches.items():
                    if batch_id == batch.id:
                        etas[job_id] = left
        return etas, total

    async def eta_inputs(self) -> EtaInputs:
        """Everything :func:`core.eta.queue_eta` needs besides the jobs.

        For a caller that already holds the queued jobs in order (the window's model) and
        computes the ETA itself, a slice at a time, instead of reading every row again.
        """
        analyzer = self.analyzer()
        times = (
            self.worker.times
            if self.worker is not None
            else CallTimes(analyzer.engine, await self.store.recent_calls(analyzer.engine))
        )
        wait_left, _, _ = await self.stored_wait()
        pause_s, parallel = self.pacer.eta_pacing()
        return EtaInputs(
            times=times,
            pause_s=pause_s,
            parallel=parallel,
            paced=analyzer.paced,
            part_chars=analyzer.part_chars,
            wait_left=wait_left,
            call_elapsed=await self._call_elapsed(),
        )

    async def _call_elapsed(self) -> dict[int, float]:
        """Seconds since each running job's call in flight started.

        This process's worker knows its own calls; another process's are read from the stored
        start of the last paid call (a lower bound for any call started before it).
        """
        if self.worker is not None:
            now = self.clock.now()
            return {
                job_id: now - running.call_started
                for job_id, running in self.worker.running.items()
                if running.call_started is not None
            }
        last_call = (await self.store.stored_wait()).last_call
        if last_call is None:
            return {}
        elapsed = max(0.0, self.clock.wall() - last_call)
        return dict.fromkeys(await self.store.ids_in_state(JobState.RUNNING), elapsed)

    def endpoint_json(self) -> dict[str, Any]:
        try:
            target = effective_config.endpoint(self.settings)
        except providers.UnknownPreset:
            return {"provider": self.settings.preset, "label": "unknown preset", "base_url": "",
                    "host": "", "model": self.settings.model}
        data = target.to_json()
        # A model left blank is named by the server once the worker asked it.
        data["model"] = self.analyzer().model or target.model
        return data

    async def status(self) -> dict[str, Any]:
        counts = await self.store.counts()
        meta = self.store.meta
        left, kind, reason = await self.stored_wait()
        _, eta_total = await self.eta()
        now = self.clock.wall()
        batches = await self.store.batches()
        # Open batches, and the last few finished for a look back; the ETA waits for them.
        batches = [b for b in batches if b.open] + [b for b in batches if not b.open][:10]
        eta_total = max([eta_total, *(batch_eta(b, now) or 0.0 for b in batches)])
        totals = await self.store.totals()
        tokens = int(totals["prompt_tokens"] + totals["completion_tokens"])
        backoff = kind in ("backoff", "retry_after", "throttle", "unreachable")
        stored = await self.store.stored_wait()
        since = stored.since if kind == "unreachable" else None
        worker = self.worker_holder()
        # Jobs 'running' with no worker alive were left by one that stopped: only a worker
        # (the window or paceline-cli run) marks them stale, so say so instead of changing them.
        # (Jobs in a provider's batch are the batch's, not a worker's.)
        in_batches = sum(b.jobs for b in batches if b.open)
        orphaned = max(0, counts["running"] - in_batches) if worker is None else 0
        return {
            "counts": counts,
            "total": sum(counts.values()),
            "eta_seconds": round(eta_total, 1) if counts["queued"] + counts["running"] else 0.0,
            "paused": meta.paused,
            "pause_reason": meta.pause_reason,
            "pause_kind": meta.pause_kind,
            "backoff_seconds_left": round(left, 1) if backoff else 0.0,
            "backoff_reason": reason if backoff else None,
            "wait_kind": kind,
            "wait_seconds_left": round(left, 1),
            "wait_reason": reason,
            # wall time (Unix seconds) since when the server cannot be reached, or null
            "unreachable_since": since,
            "provider": self.settings.provider,
            "model": self.analyzer().model,
            # where calls go, as the window's status bar and Settings say it
            "endpoint": self.endpoint_json(),
            # settings not at their default, and where each came from (file or environment)
            "settings_sources": {
                name: origin.to_json()
                for name, origin in effective_config.origins(self.home).items()
                if origin.source != effective_config.DEFAULT and name != "settings_version"
            },
            "pacing": self.settings.pacing,
            "tokens": {
                "prompt": int(totals["prompt_tokens"]),
                "completion": int(totals["completion_tokens"]),
                "total": tokens,
            },
            "cost": round(cost(tokens, int(totals["batch_tokens"]),
                               self.settings.price_per_1k_tokens), 4),
            "batches": [_batch_item(b, now) for b in batches],
            "worker": worker,
            "orphaned_running": orphaned,
        }


def _batch_item(batch: Batch, now: float) -> dict[str, Any]:
    """A batch in ``status --json``: its id, stage, counts, times and ETA."""
    left = batch_eta(batch, now)
    return {
        "id": batch.id,
        "remote_id": batch.remote_batch,
        "stage": batch.label,
        "counts": {"total": batch.total, "completed": batch.completed, "failed": batch.failed},
        "jobs": batch.jobs,
        "created": batch.created_at,
        "expires": batch.expires_at,
        "finished": batch.finished_at,
        "eta_seconds": None if left is None else round(left, 1),
        "cancel_requested": batch.cancel_requested,
        "error": batch.error,
    }
