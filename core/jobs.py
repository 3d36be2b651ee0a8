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
        return data
