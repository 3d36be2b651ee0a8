"""The fake provider of the meddling trial: faults at random and a log of every call's life.

It is :class:`~tests.reliability.tagged_provider.TaggedProvider` (every answer names the request
it answers, ``[r12]``) with three additions the meddling trial needs to judge a run afterwards:

- **Faults at random, from a seed**: each chat request draws ``ok`` or a fault (429 with a
  Retry-After, 500, a connection reset, a stream that ends cleanly without finishing) and a
  think time: a few hundred milliseconds with jitter, sometimes 1-3 s, so that calls are in
  flight when the meddler cancels and the harness kills. A 429 comes back at once, as real
  servers send it. The harness may also ask for one 429 now and then, to kill the worker
  after it and see whether the next worker still waits.
- **A log of every call's life** on one monotonic clock (``time.monotonic``, which on Linux is
  one clock for every process, so the meddler's and the harness's times compare with it): when
  the request arrived, the (job, part) it carries, what the server did, when the answer (of any
  kind) was completely written, and when the client hung up instead.
- **Hang-ups are seen while thinking**: the server thinks in short slices and looks at the
  socket between them (``select`` + ``recv(MSG_PEEK)``; an empty read is the client closing),
  so a call abandoned by a SIGKILL or a cancel ends in the log when the client went away, not
  when the server would have answered. Without that, a call hung up by a killed worker would
  look as if it were still in flight when the next worker sends it again.
"""

from __future__ import annotations

import json
import random
import select
import socket
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tests.fake_provider import Recorded
from tests.reliability.tagged_provider import TAG, TaggedProvider, _TellingHandler

# (job id, call index as the worker numbers it, is it the job's final call)
Key = tuple[int, int, bool]
Keyer = Callable[[str], Key | None]

POLL_SLICE_S = 0.01  # how often a thinking server looks whether the client has gone


@dataclass(frozen=True)
class FaultPlan:
    """What the provider answers, drawn per chat request from one seeded generator."""

    rate_429: float = 0.08
    retry_after_s: tuple[int, int] = (1, 2)  # whole seconds, as real servers send them
    rate_500: float = 0.05
    rate_reset: float = 0.04
    rate_truncated: float = 0.04
    think_s: tuple[float, float] = (0.15, 0.45)  # the usual call
    long_share: float = 0.08
    long_think_s: tuple[float, float] = (1.0, 3.0)  # a slow call now and then
    throttle_think_s: tuple[float, float] = (0.01, 0.05)  # a 429 is answered at once


@dataclass
class Call:
    """One chat request, as the server saw it. Times are ``time.monotonic()`` seconds."""

    n: int  # the request number, also the ``[rN]`` tag of its answer
    arrived: float
    action: str  # ok | 429 | 500 | reset | truncated
    think_s: float
    retry_after: int | None = None  # seconds, for a 429
    key: Key | None = None
    markers: tuple[str, ...] = ()
    carried: tuple[int, ...] = ()  # the [rN] tags in the text sent: a combining call's parts
    torn: bool = False  # no messages arrived: the sender died while sending (an empty body)
    written: float | None = None  # the whole answer (of any kind) was written and flushed
    hung_up: float | None = None  # the client closed before the answer was written

    @property
    def ok(self) -> bool:
        """A paid answer the client could have read in full."""
        return self.action == "ok" and self.written is not None

    @property
    def end(self) -> float | None:
        return self.written if self.written is not None else self.hung_up


class _MeddleHandler(_TellingHandler):
    def _act(self, record: Recorded) -> None:
        provider = self.provider
        assert isinstance(provider, MeddleProvider)
        call = provider.call(record.n)
        if call is not None and not self._think(call.think_s):
            provider._hung_up(record.n)
            self.close_connection = True
            return
        try:
            super()._act(record)  # writes the answer, then notes it as written
        except OSError:
            # BrokenPipe / ConnectionReset while writing: the client is gone. The base
            # handler closes the connection for those two; anything else ends the thread.
            provider._hung_up(record.n)
            raise

    def _think(self, seconds: float) -> bool:
        """Sleep ``seconds`` in slices; False as soon as the client has closed the connection."""
        deadline = time.monotonic() + seconds
        sock = self.connection
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return True
            try:
                readable, _, _ = select.select([sock], [], [], min(left, POLL_SLICE_S))
                if readable and sock.recv(1, socket.MSG_PEEK) == b"":
                    return False  # an orderly close (or the kernel's, for a killed process)
            except OSError:
                return False  # reset by the peer
            if readable:
                # Bytes from the client while it waits (it should send none): do not spin.
                time.sleep(min(max(0.0, left), POLL_SLICE_S))


class MeddleProvider(TaggedProvider):
    """TaggedProvider with seeded faults, think times and a per-call log (see the module)."""

    def __init__(self, plan: FaultPlan | None = None, seed: int = 1) -> None:
        super().__init__(latency=0.0)  # the think time is per call, drawn below
        self._httpd.RequestHandlerClass = _MeddleHandler
        self.plan = plan or FaultPlan()
        self.rng = random.Random(seed)
        self.keyer: Keyer | None = None  # set by the harness once it knows the job ids
        self.calls: dict[int, Call] = {}
        self.ok_written = 0  # OK answers completely written, for the harness's kill moments
        self._throttle_at: int | None = None  # see throttle_call()

    # ------------------------------------------------------------------ drawing

    def _draw(self) -> tuple[str, str, float, int | None]:
        """(logged action, fake-provider action, think seconds, Retry-After) for one call."""
        plan, rng = self.plan, self.rng
        roll = rng.random()
        think = rng.uniform(*plan.think_s)
        if rng.random() < plan.long_share:
            think = rng.uniform(*plan.long_think_s)
        edge = plan.rate_429
        if roll < edge:
            seconds = rng.randint(*plan.retry_after_s)
            return "429", f"429-retry-after:{seconds}", rng.uniform(*plan.throttle_think_s), seconds
        for action, rate in (
            ("500", plan.rate_500),
            ("reset", plan.rate_reset),
            ("truncated", plan.rate_truncated),
        ):
            edge += rate
            if roll < edge:
                return action, action, think, None
        return "ok", "ok", think, None

    # ------------------------------------------------------------------ hooks

    def _record(self, record: Recorded, take_action: bool) -> Recorded:
        record = super()._record(record, take_action)
        if not take_action:
            return record  # GET /models: not a paid call
        with self._arrived:
            action, fake_action, think, retry_after = self._draw()
            if self._throttle_at is not None and len(self.calls) + 1 >= self._throttle_at:
                # Asked for by the harness: this call is throttled with the longest wait.
                self._throttle_at = None
                seconds = self.plan.retry_after_s[1]
                action, fake_action, retry_after = "429", f"429-retry-after:{seconds}", seconds
                think = self.rng.uniform(*self.plan.throttle_think_s)
            record.action = fake_action
            self.calls[record.n] = Call(
                n=record.n,
                arrived=self.arrived_at[record.n],
                action=action,
                think_s=think,
                retry_after=retry_after,
                key=self.keyer(record.user_text) if self.keyer else None,
                markers=tuple(record.markers),
                carried=tuple(int(t) for t in TAG.findall(record.user_text)),
                # The base handler reads an empty body as {}: a client killed between its
                # headers and its body. Not a call anyone could be charged for.
                torn=not record.body.get("messages"),
            )
            self._arrived.notify_all()
        return record

    def _answered(self, record: Recorded) -> None:
        with self._arrived:
            call = self.calls.get(record.n)
            if call is not None and call.end is None:
                call.written = self.now()
                if call.action == "ok":
                    self.ok_written += 1
        super()._answered(record)

    def _hung_up(self, n: int) -> None:
        with self._arrived:
            call = self.calls.get(n)
            if call is not None and call.end is None:
                call.hung_up = self.now()
            self._arrived.notify_all()

    # ------------------------------------------------------------------ for the harness

    def call(self, n: int) -> Call | None:
        with self._lock:
            return self.calls.get(n)

    def throttle_call(self, nth: int | None) -> None:
        """Answer the ``nth`` chat call from now with 429 and the longest Retry-After of the
        plan (once; None: no more): the harness kills the worker after it, to see the next life
        wait."""
        with self._lock:
            self._throttle_at = None if nth is None else len(self.calls) + nth

    def snapshot(self) -> list[Call]:
        """A copy of the log, in arrival order."""
        with self._lock:
            return [Call(**asdict(c)) for _, c in sorted(self.calls.items())]

    def actions(self) -> Counter[str]:
        with self._lock:
            return Counter(c.action for c in self.calls.values())

    def dump(self, path: Path) -> None:
        """The call log as JSON lines, for a kept work folder."""
        with open(path, "w", encoding="utf-8") as out:
            for call in self.snapshot():
                data: dict[str, Any] = asdict(call)
                data["ok"] = call.ok
                out.write(json.dumps(data) + "\n")
