"""A provider batch as the queue database records it (core/batch_queue.py writes it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class BatchStage(StrEnum):
    """The step a batch takes next; the runner does it and commits the next stage."""

    PREPARING = "preparing"  # its jobs are chosen; their requests are not written yet
    UPLOADING = "uploading"  # the request file is written (its hash kept): upload it
    CREATING = "creating"  # the file is on the provider's side: create the batch
    SUBMITTED = "submitted"  # the provider runs it: poll (and cancel, if asked)
    DOWNLOADING = "downloading"  # it ended: read its result files, settle its jobs
    FINISHED = "finished"  # its jobs are settled
    CANCELLED = "cancelled"  # cancelled before the provider had it: its jobs went back


OPEN_STAGES = frozenset({BatchStage.PREPARING, BatchStage.UPLOADING, BatchStage.CREATING,
                         BatchStage.SUBMITTED, BatchStage.DOWNLOADING})

BATCH_COLUMNS = (
    "id, stage, status, step, provider, model, host, file_sha, file_bytes, remote_file, "
    "remote_batch, total, completed, failed, created_at, updated_at, remote_created, "
    "expires_at, finished_at, cancel_requested, error, seq"
)


@dataclass(frozen=True)
class Batch:
    """A batch as the queue database records it."""

    id: int
    stage: BatchStage
    status: str  # the provider's stage: validating, in_progress, finalizing, completed, ...
    step: str
    provider: str
    model: str
    host: str
    file_sha: str | None
    file_bytes: int
    remote_file: str | None
    remote_batch: str | None
    total: int
    completed: int
    failed: int
    created_at: float
    updated_at: float
    remote_created: float | None
    expires_at: float | None
    finished_at: float | None
    cancel_requested: bool
    error: str | None
    jobs: int = 0  # its jobs still running in it

    @property
    def open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def label(self) -> str:
        """Its stage as a person reads it: the provider's word once it has the batch."""
        if self.stage == BatchStage.SUBMITTED and self.status:
            return self.status.replace("_", " ")
        return str(self.stage)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["stage"] = str(self.stage)
        data["label"] = self.label
        return data


def row_to_batch(row: Sequence[Any], jobs: int = 0) -> Batch:
    return Batch(
        id=row[0], stage=BatchStage(row[1]), status=row[2], step=row[3], provider=row[4],
        model=row[5], host=row[6], file_sha=row[7], file_bytes=row[8], remote_file=row[9],
        remote_batch=row[10], total=row[11], completed=row[12], failed=row[13],
        created_at=row[14], updated_at=row[15], remote_created=row[16], expires_at=row[17],
        finished_at=row[18], cancel_requested=bool(row[19]), error=row[20], jobs=jobs,
    )  # fmt: skip


@dataclass(frozen=True)
class PlannedRequest:
    """One request of a batch's file: a part of a job under the job's batch lease."""

    custom_id: str
    job_id: int
    idx: int
    parts: int  # the job's parts: 1 means its answer is the job's result
    text_sha: str
    part_size: int
    units: int


# The provider's batch discount: the Batch APIs Paceline targets charge half the real-time price.
BATCH_PRICE_FACTOR = 0.5


def batch_eta(batch: Batch, now: float) -> float | None:
    """Seconds until the batch is likely done (wall clock), or None when it is not open.

    From the pace its requests have been answered at since the provider took it; before the
    first answer, the rest of its 24-hour window (the provider's own promise).
    """
    if not batch.open:
        return None
    left = batch.total - batch.completed - batch.failed
    started = batch.remote_created
    settled = batch.completed + batch.failed
    if started is not None and settled > 0 and now > started:
        return max(0.0, left * (now - started) / settled)
    if batch.expires_at is not None:
        return max(0.0, batch.expires_at - now)
    return None


def cost(tokens: int, batch_tokens: int, price_per_1k: float) -> float:
    """What the tokens cost at the person's price, batch tokens at the batch price."""
    full = max(0, tokens - batch_tokens)
    return (full + batch_tokens * BATCH_PRICE_FACTOR) / 1000 * price_per_1k
