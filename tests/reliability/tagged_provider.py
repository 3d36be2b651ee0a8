"""The fake provider with what the reliability trials need to judge a run afterwards.

- Every answer carries the number of the request it answers (``Analysis of MARK-7 [r12].``), so
  a stored result names the very call it came from, and a re-sent call can be told apart.
- The server notes when each request arrived and when its answer was completely written, and
  wakes anyone waiting for either: the soak kills the client right after an answer is out, in
  the gap between the response and its commit.
- Arrival times come from an injectable ``now`` (a FakeClock's, in the backoff storm tests).
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

from tests.fake_provider import FakeProvider, Recorded, _Handler

TAG = re.compile(r"\[r(\d+)\]")


def tag_of(text: str | None) -> int | None:
    """The request number a stored result came from, or None."""
    found = TAG.findall(text or "")
    return int(found[-1]) if found else None


class _TellingHandler(_Handler):
    def _act(self, record: Recorded) -> None:
        super()._act(record)
        # Reached only when the whole answer was written and flushed (a client that went
        # away raises before this), so "answered" means the client could have read it all.
        provider = self.provider
        assert isinstance(provider, TaggedProvider)
        provider._answered(record)


class TaggedProvider(FakeProvider):
    def __init__(self, *args: Any, now: Callable[[], float] = time.monotonic, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self._httpd.RequestHandlerClass = _TellingHandler
        self.now = now
        self.arrived_at: dict[int, float] = {}
        self.answered_at: dict[int, float] = {}
        self.replies: dict[int, str] = {}

    # ------------------------------------------------------------------ hooks

    def reply_for(self, record: Recorded) -> str:
        reply = f"{super().reply_for(record).rstrip('.')} [r{record.n}]."
        with self._lock:
            self.replies[record.n] = reply
        return reply

    def _record(self, record: Recorded, take_action: bool) -> Recorded:
        at = self.now()
        record = super()._record(record, take_action)
        with self._arrived:
            self.arrived_at[record.n] = at
        return record

    def _answered(self, record: Recorded) -> None:
        with self._arrived:
            self.answered_at[record.n] = self.now()
            self._arrived.notify_all()

    # ------------------------------------------------------------------ for trials

    @property
    def answered_count(self) -> int:
        with self._lock:
            return len(self.answered_at)

    @property
    def chat_count(self) -> int:
        return len(self.chat_requests)

    def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` (checked on every arrival and answer) or the timeout.

        ``predicate`` runs with the server's lock held: it may read the counters above through
        their underlying dicts, not through properties that take the lock again.
        """
        with self._arrived:
            return self._arrived.wait_for(predicate, timeout)

    def answered(self, n: int) -> bool:
        with self._lock:
            return n in self.answered_at
