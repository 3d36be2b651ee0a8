"""When is a file that appeared in a watch folder complete? Pure bookkeeping, no I/O.

A scanner, a mail rule or a sync client writes a file over seconds; enqueuing it half-written
would analyse half a document. A file counts as complete when

- its size and mtime have stayed the same for ``stable_s`` (the rule that works everywhere,
  network shares included, which send no notifications), or
- it was renamed into place (the way careful writers publish a finished file), or its writer
  closed it (Linux reports that), and it did not change for ``settle_s`` after that.

Any change of size or mtime, or a new write, starts the wait again. Time is passed in, so tests
choose it; the caller stats files (off the event loop) and reports what it saw.
"""

from __future__ import annotations

from dataclasses import dataclass

Stat = tuple[int, int]  # (size, mtime in ns)


@dataclass
class _Candidate:
    stat: Stat | None = None  # what the last look saw; None: not looked at yet
    since: float = 0.0  # when ``stat`` was first seen
    finished_at: float | None = None  # renamed into place or closed by its writer, at
    due: float = 0.0  # when to look again


class StabilityTracker:
    def __init__(self, stable_s: float, settle_s: float) -> None:
        self.stable_s = stable_s
        self.settle_s = min(settle_s, stable_s)
        self._files: dict[str, _Candidate] = {}

    def __len__(self) -> int:
        return len(self._files)

    def __contains__(self, path: object) -> bool:
        return path in self._files

    def touched(self, path: str, now: float) -> None:
        """Something was written to ``path`` (created, modified): look at it soon, and a
        close or rename seen before no longer vouches for it."""
        c = self._files.setdefault(path, _Candidate())
        c.finished_at = None
        c.due = now

    def finished(self, path: str, now: float) -> None:
        """``path`` was renamed into place, or its writer closed it."""
        c = self._files.setdefault(path, _Candidate())
        c.finished_at = now
        c.due = now

    def forget(self, path: str) -> None:
        self._files.pop(path, None)

    def forget_under(self, prefix: str) -> None:
        for path in [p for p in self._files if p.startswith(prefix)]:
            del self._files[path]

    def due(self, now: float) -> list[str]:
        """The files to stat now."""
        return [p for p, c in self._files.items() if c.due <= now]

    def next_due(self) -> float | None:
        return min((c.due for c in self._files.values()), default=None)

    def observe(self, path: str, stat: Stat | None, now: float) -> bool:
        """Report what a stat of ``path`` found (None: it is gone). True: it is complete now
        (and no longer tracked); False: it is looked at again later."""
        c = self._files.setdefault(path, _Candidate())
        if stat is None:
            del self._files[path]
            return False
        if stat != c.stat:
            c.stat, c.since = stat, now
            # A close or rename seen before this change vouches for nothing written after it;
            # one reported at the same moment (the event that made us look) still counts.
            if c.finished_at is not None and c.finished_at < now - self.settle_s:
                c.finished_at = None
        if c.finished_at is not None:
            ready_at = max(c.finished_at, c.since) + self.settle_s
        else:
            ready_at = c.since + self.stable_s
        if now >= ready_at:
            del self._files[path]
            return True
        c.due = ready_at
        return False
