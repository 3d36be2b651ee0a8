"""The Job record: everything needed to run a job again after a restart."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from core.states import JobState


@dataclass(frozen=True)
class Profile:
    """An analysis profile snapshot: the job keeps the prompt it was queued with."""

    name: str
    prompt: str


@dataclass(frozen=True)
class Job:
    id: int
    path: str
    size: int
    mtime: float
    sha256: str
    profile: str
    prompt: str
    provider: str
    model: str
    state: JobState
    position: int
    priority: int = 0
    attempts: int = 0
    max_attempts: int = 5
    created_at: float = 0.0
    updated_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    parts_done: int = 0
    parts_planned: int = 0
    part_fraction: float = 0.0  # progress inside the current part (streamed tokens), 0..1
    units: int = 0  # work units (characters) of the document, for ETA learning
    prompt_tokens: int = 0
    completion_tokens: int = 0
    duration_s: float = 0.0  # time spent in calls, summed over attempts
    result: str | None = None
    error_kind: str | None = None
    error: str | None = None
    stale_reason: str | None = None
    lease: str | None = None  # the token of the claim that runs it; None when nobody may write
    not_before: float | None = None  # wall time before which it is not claimed (retry wait)
    doubt: str | None = None  # why its extracted text looks garbled (core/documents/quality.py)
    doubt_accepted: bool = False  # the person chose to send the doubtful text anyway
    # host[:port] its calls go to; with provider (a preset's key, or "custom") and model, where
    # the document went (core/effective_config.py). "" offline, and for jobs never sent.
    host: str = ""
    batch_id: int | None = None  # the provider batch it is in while running (core/batch_queue)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def progress(self) -> float:
        """0..1: parts done of parts planned plus the streamed share of the current part."""
        if self.state == JobState.DONE:
            return 1.0
        if self.parts_planned <= 0:
            return 0.0
        done = self.parts_done + min(max(self.part_fraction, 0.0), 0.999)
        return min(done / self.parts_planned, 1.0)

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @property
    def name(self) -> str:
        from pathlib import PurePath

        return PurePath(self.path).name

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["state"] = str(self.state)
        data["progress"] = round(self.progress, 4)
        data["tokens"] = self.tokens
        data.pop("extra", None)
        data.pop("lease", None)
        return data


@dataclass(frozen=True)
class NewJob:
    """What the caller knows about a document when it enqueues it."""

    path: str
    size: int
    mtime: float
    sha256: str
    profile: str
    prompt: str
    provider: str
    model: str
    host: str = ""
    priority: int = 0
    max_attempts: int = 5


@dataclass
class AddReport:
    accepted: list[Job] = field(default_factory=list)
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (path, existing job id)
    rejected: list[tuple[str, str, str]] = field(default_factory=list)  # (path, kind, message)

    def to_dict(self) -> dict[str, Any]:
        return {
            "accepted": [{"id": j.id, "path": j.path} for j in self.accepted],
            "duplicates": [{"path": p, "existing_id": i} for p, i in self.duplicates],
            "rejected": [{"path": p, "kind": k, "reason": m} for p, k, m in self.rejected],
        }


@dataclass(frozen=True)
class Lease:
    """A claim on a job: the job as claimed and the token every worker write must name."""

    job: Job
    token: str

    @property
    def job_id(self) -> int:
        return self.job.id


STALE_IN_FLIGHT = (
    "Paceline stopped while a paid call for this job was in flight; it may have been charged. "
    "Re-trigger it to send it again."
)
STALE_RUNNING = "Paceline stopped while this job was running. Re-trigger it to run it again."
