"""Small immutable events published by the core, and a tiny synchronous event bus.

Subscribers are plain callables; the GUI adapts them to row-level model updates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.batches import Batch
from core.jobs import Job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class JobAdded:
    job: Job


@dataclass(frozen=True)
class JobChanged:
    job: Job
    fields: frozenset[str]


@dataclass(frozen=True)
class JobRemoved:
    job_id: int


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    parts_done: int
    parts_planned: int
    part_fraction: float


@dataclass(frozen=True)
class QueueStateChanged:
    """Paused flag and its reason, and the pacer's wait (if any)."""

    paused: bool
    pause_reason: str | None
    pause_kind: str | None
    wait_until: float | None  # on the injected clock's scale
    wait_reason: str | None
    wait_kind: str | None  # "pause" | "backoff" | "retry_after" | "throttle" | None
    wait_failures: int = 0  # consecutive failed calls behind a backoff, for "after K failures"
    wait_since: float | None = None  # wall time the server became unreachable ("unreachable")


@dataclass(frozen=True)
class OrderChanged:
    """Queue positions changed for several jobs at once (move to top, etc.)."""

    positions: dict[int, int]


@dataclass(frozen=True)
class BatchChanged:
    """A provider batch was made, moved on a step, or ended (core/batch_queue.py)."""

    batch: Batch


Event = (
    JobAdded | JobChanged | JobRemoved | JobProgress | QueueStateChanged | OrderChanged
    | BatchChanged
)
Subscriber = Callable[[Event], None]


class EventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: Event) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:  # a broken subscriber must not stop the worker
                log.exception("event subscriber failed on %r", type(event).__name__)
