"""Error kinds: a short stable word for scripts plus a message written for a person.

Every failure the worker records is one of these. ``ErrorClass`` decides what the worker does.
"""

from __future__ import annotations

from enum import StrEnum

# Where a person raises each limit a message tells them to raise: the Settings dialog's own
# words, so a message never names a limit the dialog does not have (a GUI test checks them).
RAISE_SETTING = {
    "max_file_mb": 'raise "Largest document" in Settings → Queue',
    "max_chars": 'raise "Most text per document" in Settings → Queue',
    "max_output_tokens": 'raise "Output limit" in Settings → Provider',
    "max_queue": 'raise "Queue limit" in Settings → Queue',
    "context_chars": 'lower "Part size" in Settings → Provider',
}


def resave_advice(program: str, as_format: str | None = None) -> str:
    """What a person does with a file Paceline cannot read as it is (damaged, an old format,
    an encoding it does not know): the program that reads it writes a fresh copy. One
    sentence, so every format says it alike."""
    how = f"save it as {as_format} under a new name" if as_format else "save it under a new name"
    return f"Open it in {program}, {how}, and add that copy."


class ErrorClass(StrEnum):
    RETRYABLE = "retryable"  # try the same job again after a backoff
    PERMANENT = "permanent"  # the job fails; the queue goes on
    STOP_QUEUE = "stop_queue"  # pause the whole queue (bad key, no quota); no job is burned
    # The server cannot be reached (refused, reset before answering, DNS, connect timeout):
    # not the job's fault, so no attempt is used; the queue waits and probes until it answers.
    UNREACHABLE = "unreachable"


class JobError(Exception):
    """A failure with a stable ``kind`` and a human ``message``."""

    error_class: ErrorClass = ErrorClass.PERMANENT

    def __init__(
        self,
        kind: str,
        message: str,
        *,
        error_class: ErrorClass | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        if error_class is not None:
            self.error_class = error_class
        # Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said.
        self.retry_after = retry_after
        # The answer's headers, when the failure was an HTTP answer.
        self.headers: dict[str, str] = {}

    def __str__(self) -> str:
        return self.message


class DocumentError(JobError):
    """The document cannot be read: always permanent for the job."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(kind, message, error_class=ErrorClass.PERMANENT)


class ProviderError(JobError):
    """A remote provider refused or failed a call."""


class StorageError(Exception):
    """The queue database cannot be used right now (busy, disk full, read-only, disk error).

    Not a JobError: no job is at fault. ``kind`` is a short stable word (busy, disk_full,
    read_only, disk_error, cannot_open, corrupt); the message is written for a person.
    """

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message


class LeaseRevoked(Exception):
    """A worker write was refused: the job was cancelled, re-triggered or removed meanwhile.

    ``what`` says what happened for a person ("the job was cancelled at 12:03:04").
    """

    def __init__(self, job_id: int, what: str) -> None:
        super().__init__(f"job {job_id}: {what}")
        self.job_id = job_id
        self.what = what


class WorkerLocked(Exception):
    """Another worker already owns this database."""


class SchemaTooNew(Exception):
    pass
