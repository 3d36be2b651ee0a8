"""Waits are data: the queue's "not before" lives in the database, on the wall clock.

Two values, kept in the ``meta`` table:
- ``last_call``: when the last paid call started; the pause between calls counts from it, with
  whatever pause the settings say now (so a changed pause applies at once);
- ``wait``: a backoff or a server's Retry-After: until when, of which kind, why, and after how
  many failed calls in a row.

They are written in the same transaction as the event that causes them (a call's start, a failed
call's requeue), so a worker that restarts (a new process, or this one after a settings change)
starts from them, and ``status --json`` in another terminal reads the same values the window's
countdown shows.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from core.db import Tx

UPSERT_META = (
    "INSERT INTO meta (key, value) VALUES (?, ?) "
    "ON CONFLICT(key) DO UPDATE SET value = excluded.value"
)


@dataclass(frozen=True)
class StoredWait:
    until: float | None = None  # wall time the backoff or Retry-After ends
    kind: str | None = None  # "backoff" | "retry_after" | "throttle"
    reason: str | None = None
    failures: int = 0  # consecutive failed calls behind it
    last_call: float | None = None  # wall time the last paid call started
    since: float | None = None  # wall time the server became unreachable ("unreachable")

    def backoff_left(self, wall_now: float) -> float:
        return max(0.0, self.until - wall_now) if self.until is not None else 0.0

    def pause_left(self, wall_now: float, pause_s: float) -> float:
        if self.last_call is None or pause_s <= 0:
            return 0.0
        return max(0.0, self.last_call + pause_s - wall_now)


async def read_wait(tx: Tx) -> StoredWait:
    values = dict(
        await tx.all("SELECT key, value FROM meta WHERE key IN ('wait', 'last_call')")
    )
    last_call = _float(values.get("last_call"))
    try:
        data = json.loads(values.get("wait") or "{}")
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return StoredWait(
        until=_float(data.get("until")),
        kind=data.get("kind") or None,
        reason=data.get("reason") or None,
        failures=int(data.get("failures") or 0),
        last_call=last_call,
        since=_float(data.get("since")),
    )


async def write_backoff(
    tx: Tx, until: float | None, kind: str | None, reason: str | None, failures: int,
    since: float | None = None,
) -> None:
    data = {"until": until, "kind": kind, "reason": reason, "failures": failures}
    if since is not None:
        data["since"] = since
    payload = json.dumps(data) if until is not None else ""
    await tx.all(UPSERT_META, ("wait", payload))


async def write_last_call(tx: Tx, wall: float | None) -> None:
    await tx.all(UPSERT_META, ("last_call", "" if wall is None else repr(wall)))


def _float(raw: object) -> float | None:
    try:
        value = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None
