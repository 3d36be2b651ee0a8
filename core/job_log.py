"""What a job's log holds: one entry per event in the job's life, each with a stable name.

The message is written for the person reading the Log tab; the event name is for scripts
(``paceline-cli show ID --json``), so it never changes once released. ``note`` is anything else
worth knowing (what reading the document noticed, a call hung up, a result file written).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class LogEvent(StrEnum):
    ADDED = "added"
    CLAIMED = "claimed"
    CALL_STARTED = "call_started"
    THROTTLED = "throttled"  # the pacer held the call back: the wait and why
    PART_DONE = "part_done"
    RETRIED = "retried"  # back in the queue after a failed call: why, and the wait
    REQUEUED = "requeued"  # back in the queue with nothing sent (a pause, a stop)
    PAUSED = "paused"  # its error paused the queue; it waits in its place
    DISCARDED = "discarded"  # an answer came back after a person took the job away
    STALE = "stale"
    RETRIGGERED = "retriggered"
    CANCELLED = "cancelled"
    DONE = "done"
    FAILED = "failed"
    NOTE = "note"


@dataclass(frozen=True)
class LogEntry:
    id: int  # increasing: a reader asks only for entries after the last one it has
    at: float  # wall time, unix seconds
    event: LogEvent | str  # a newer Paceline may write names this one does not know
    message: str

    def to_dict(self) -> dict[str, object]:
        return {"at": self.at, "event": str(self.event), "message": self.message}


def duration_words(value: float) -> str:
    """A duration in a log line: "0.42 s", "7.3 s", "2 min 5 s"."""
    if value >= 60:
        minutes, rest = divmod(round(value), 60)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    return f"{value:.2f} s" if value < 1 else f"{value:.1f} s"
