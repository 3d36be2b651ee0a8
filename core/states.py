"""Job states and the one table of legal transitions.

Everything that changes a job's state goes through :func:`check_transition`, so the store
can never write a transition this table does not allow.
"""

from __future__ import annotations

from enum import StrEnum


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    STALE = "stale"


ALL_STATES: tuple[JobState, ...] = tuple(JobState)
ACTIVE_STATES = frozenset({JobState.QUEUED, JobState.RUNNING})
FINISHED_STATES = frozenset({JobState.DONE, JobState.FAILED, JobState.CANCELLED, JobState.STALE})
RETRIGGERABLE_STATES = frozenset({JobState.STALE, JobState.FAILED, JobState.CANCELLED})

# The error kind of a job that is done, but whose answer (or one part's) stopped at the output
# limit (finish_reason "length"). It is the one done job that may be re-triggered: running it
# again with a larger limit is how a person gets the whole answer.
OUTPUT_TRUNCATED = "output_truncated"

# The error kind of a job whose extracted text looks garbled (core/documents/quality.py): it
# failed before any paid call. Re-triggering it is the person's word that the text is fine:
# the job is then sent anyway.
DOUBTFUL_TEXT = "doubtful_text"

# Why each transition exists:
#   queued -> running      the worker claims it (attempts += 1 at claim time)
#   running -> done        result stored in the same transaction
#   running -> failed      permanent error, or attempts exhausted
#   running -> queued      retryable error (keeps its place) or stop-the-queue error
#   running -> cancelled   the person cancelled the running job
#   running -> stale       only at start-up recovery: it was running when the app stopped
#   stale|failed|cancelled -> queued   re-trigger
#   done -> queued         re-trigger of an answer cut at the output limit (OUTPUT_TRUNCATED
#                          only: core.queue_edits checks the kind)
#   queued -> cancelled    the person cancelled a waiting job
TRANSITIONS: dict[JobState, frozenset[JobState]] = {
    JobState.QUEUED: frozenset({JobState.RUNNING, JobState.CANCELLED}),
    JobState.RUNNING: frozenset(
        {JobState.DONE, JobState.FAILED, JobState.QUEUED, JobState.CANCELLED, JobState.STALE}
    ),
    JobState.DONE: frozenset({JobState.QUEUED}),
    JobState.FAILED: frozenset({JobState.QUEUED}),
    JobState.CANCELLED: frozenset({JobState.QUEUED}),
    JobState.STALE: frozenset({JobState.QUEUED}),
}

# A job in one of these states may be removed from the list; active ones must be cancelled first.
REMOVABLE_STATES = FINISHED_STATES


class IllegalTransition(ValueError):
    """Raised when code asks for a state change the table does not allow."""

    def __init__(self, job_id: int, old: JobState, new: JobState) -> None:
        super().__init__(f"job {job_id} cannot go from {old} to {new}")
        self.job_id = job_id
        self.old = old
        self.new = new


def can_transition(old: JobState, new: JobState) -> bool:
    return new in TRANSITIONS[old]


def check_transition(job_id: int, old: JobState, new: JobState) -> None:
    if not can_transition(old, new):
        raise IllegalTransition(job_id, old, new)
