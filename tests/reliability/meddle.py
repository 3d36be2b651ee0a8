"""The meddling trial: a worker, a meddler, SIGKILLs and a faulty provider, judged afterwards.

Used by ``benchmarks/meddle_soak.py`` (the long run, 300+ jobs) and by the CI-sized trial in
``tests/reliability/test_meddle.py``. Everything is real: a ``paceline-cli run`` subprocess per
worker life, real SIGKILLs, the real SQLite file, a real HTTP provider in a thread of this
process (``meddle_provider.MeddleProvider``), and the meddler, a second Python process
(``python -m tests.reliability.meddle meddler ...``) that acts the way a person in another
terminal would, at random moments:

- ``cancel ID``, half the time aimed at a call that has been in flight for 0.2 s (so it is
  probably a slow one, still going when the command lands), else mostly at a running job or the
  head of the queue; sometimes followed at once by ``retrigger ID`` (a change of mind before the
  worker may have noticed the cancel);
- ``retrigger ID`` (mostly a stale job left by a kill, or a cancelled or failed one);
- ``remove ID`` (a finished job; the job's stored answers are read just before, so the judge
  knows what was saved before it went);
- a move (top, bottom, up, down) through ``core.engine.Engine.move`` in a short script, since the
  command line has no move command;
- ``pause``, a short wait, ``resume``;
- ``BEGIN EXCLUSIVE`` on the database file, held longer than the worker's busy timeout
  (``PACELINE_BUSY_TIMEOUT_S``), then ``ROLLBACK``.

It writes every action, with its start and end on the same monotonic clock as the provider's
log, to a JSON-lines file. Meanwhile this harness SIGKILLs the worker (right after an answer was
written, in the middle of a call, 0.35-0.9 s after a 429, or at a random moment) and starts it
again. After the planned
kills the meddler is stopped, the queue resumed and one last worker life runs ``run
--until-empty`` without kills. Then the run is judged from the provider's call log, the
meddler's action log, the list of worker lives and the database, before anything re-triggers a
job (see :class:`Judge`). Only after that, for the "nothing lost" figure, stale and failed jobs
are re-triggered and drained.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from core.cli import JOBS_FAILED
from tests.reliability.killsoak import SoakConfig, write_documents
from tests.reliability.meddle_provider import Call, FaultPlan, Key, MeddleProvider
from tests.reliability.tagged_provider import tag_of

ROOT = Path(__file__).resolve().parents[2]  # the tree whose core/ the subprocesses run
DB_NAME = "paceline.sqlite3"
KEY = "pk-meddle-8c1f2a7e90d4"
MARK = re.compile(r"MARK-(\d+)")
COUNT = re.compile(r"(\d+)\s+job")  # "1 job(s) cancelled", "0 job(s) queued again"

# What a failed job's error kind may be after each fault (the worker names the kind; a reset
# before any byte is a connection failure, or an outage once outages are told apart).
FAULT_KINDS: dict[str, frozenset[str]] = {
    "429": frozenset({"rate_limited"}),
    "500": frozenset({"server_error"}),
    "reset": frozenset({"connection", "outage", "unreachable", "truncated"}),
    "truncated": frozenset({"truncated", "bad_response"}),
}
# An action counts as a reason to throw an answer away, or to send a call again, only if it
# changed the job; these are the kinds that may (a move or a pause must not).
REVOKING = frozenset({"cancel", "retrigger", "remove"})

# Seconds: a kill this soon after a 429 may have come before the worker stored its wait.
KILL_BEFORE_STORE_S = 0.3
# Seconds of clock and scheduling slack when comparing the server's times with the client's.
SLACK_S = 0.05
# Seconds between a worker's committed call start and the request's arrival at the server, plus
# the moment a paceline-cli command needs to exit after its commit.
CALL_START_GAP_S = 0.1
# Seconds two calls for one (job, part) may seem to overlap: the server notes a hang-up in one
# thread and the next arrival in another, and either may wait a moment for the GIL. A worker
# that hangs up and then sends again needs at least two commits and a connect in between.
OVERLAP_SLACK_S = 0.02


# A run that ended by itself: with every job done, or with some of its jobs failed (their
# failure is the point of a fault, not the runner's).
CLEAN_EXITS = frozenset({0, JOBS_FAILED})

@dataclass(frozen=True)
class MeddleConfig:
    jobs: int = 300
    kills: int = 100
    seed: int = 1
    multi_share: float = 0.3  # share of documents that need several parts
    max_parts: int = 3
    context_chars: int = 1500
    faults: FaultPlan = field(default_factory=FaultPlan)
    busy_timeout_s: float = 1.5  # PACELINE_BUSY_TIMEOUT_S for every Paceline process
    lock_hold_s: tuple[float, float] = (2.0, 3.0)  # the meddler's BEGIN EXCLUSIVE
    meddle_gap_s: tuple[float, float] = (0.6, 2.4)  # between two meddler actions
    pause_hold_s: tuple[float, float] = (0.5, 2.0)  # between the meddler's pause and resume
    weights: tuple[tuple[str, int], ...] = (
        ("cancel", 4),
        ("retrigger", 5),
        ("remove", 2),
        ("move", 3),
        ("pause", 2),
        ("lock", 3),
    )
    backoff_base_s: float = 0.05  # in settings.json: nobody waits long after a 500 or a reset
    backoff_cap_s: float = 0.3
    tolerance_s: float = 1.5  # for the worker to learn of another process's change
    save_tolerance_s: float = 0.5  # for the worker to commit an answer it has read
    life_timeout_s: float = 8.0  # a life that reaches no kill moment by then is killed anyway
    final_timeout_s: float = 600.0
    lost_rounds: int = 3  # re-trigger and drain rounds for the "nothing lost" figure
    keep_logs: bool = False


# ---------------------------------------------------------------------------------- records


@dataclass
class Life:
    """One worker process."""

    n: int
    phase: str  # kill | final | lost
    spawned: float
    ended: float = 0.0
    killed: bool = False
    moment: str = ""  # for a killed life: after_answer | mid_call | after_throttle | random |
    # timeout (no such moment came in time) | idle (the queue ran empty)
    exit_code: int | None = None
    killed_at: float = 0.0
    calls: int = 0
    plan: str = ""  # the kill moment aimed at, for a kept log

    @property
    def died(self) -> bool:
        """Ended without finishing cleanly: its running jobs may be left for recovery."""
        return self.killed or (self.exit_code is not None and self.exit_code not in CLEAN_EXITS)


@dataclass
class Action:
    """One meddler (or harness) action; times are ``time.monotonic()`` seconds."""

    kind: str  # cancel | retrigger | remove | move | pause | resume | lock
    ids: list[int]
    start: float
    end: float
    effective: bool
    by: str = "meddler"
    rc: int = 0
    detail: str = ""
    saved_tags: list[int] = field(default_factory=list)  # remove: tags stored just before


@dataclass
class JobRow:
    state: str
    result: str | None
    error_kind: str | None
    started_at: float | None  # wall time of the last claim
    stale_reason: str | None


@dataclass
class DbState:
    at: float  # monotonic time of the read
    integrity: str
    jobs: dict[int, JobRow]
    parts: dict[tuple[int, int], str | None]  # (job, idx) -> result
    log: dict[int, list[tuple[float, str]]]  # job -> (wall time, message)

    def counts(self) -> dict[str, int]:
        return dict(Counter(row.state for row in self.jobs.values()))


@dataclass
class MeddleReport:
    config: MeddleConfig
    seconds: float = 0.0
    jobs: int = 0
    multi_part: int = 0
    lives: list[Life] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    calls: int = 0
    call_actions: dict[str, int] = field(default_factory=dict)
    hung_up: int = 0
    unknown_calls: int = 0
    torn_requests: int = 0
    # The figures that must be 0 (each a list of one line per case, for the message).
    thrown_away: list[str] = field(default_factory=list)
    in_flight_twice: list[str] = field(default_factory=list)
    resent_without_retrigger: list[str] = field(default_factory=list)
    before_retry_after: list[str] = field(default_factory=list)
    unexplained: list[str] = field(default_factory=list)
    integrity_failures: list[str] = field(default_factory=list)
    integrity_checks: int = 0
    final_integrity: str = ""
    lost: list[int] = field(default_factory=list)
    # Told apart, allowed.
    killed_before_saving: int = 0
    discarded_for: dict[str, int] = field(default_factory=dict)
    discard_log_lines: int = 0
    resent_after_retrigger: int = 0
    resent_after_fault: int = 0
    waits_killed_before_stored: int = 0
    explained: dict[str, int] = field(default_factory=dict)
    counts_judged: dict[str, int] = field(default_factory=dict)
    counts_end: dict[str, int] = field(default_factory=dict)
    runner_errors: list[str] = field(default_factory=list)
    meddler_errors: list[str] = field(default_factory=list)

    def figures(self) -> dict[str, Any]:
        """Every figure the trial requires to be 0 (or ok), by name."""
        return {
            "answers received and then thrown away": len(self.thrown_away),
            "the same request in flight twice": len(self.in_flight_twice),
            "a request sent again without a re-trigger asking for it": len(
                self.resent_without_retrigger
            ),
            "calls made before a stored Retry-After expired": len(self.before_retry_after),
            "jobs whose final state their own history does not explain": len(self.unexplained),
            "PRAGMA integrity_check (end)": self.final_integrity,
            "integrity_check failures after a worker life": len(self.integrity_failures),
            "jobs lost (after re-triggering stale and failed, and draining)": len(self.lost),
            "calls the judge could not key to a (job, part)": self.unknown_calls,
        }

    @property
    def ok(self) -> bool:
        return all(v in (0, "ok") for v in self.figures().values())

    def problems(self) -> dict[str, list[str]]:
        """The failing cases, a few of each, for an assertion message."""
        found = {
            "thrown_away": self.thrown_away,
            "in_flight_twice": self.in_flight_twice,
            "resent_without_retrigger": self.resent_without_retrigger,
            "before_retry_after": self.before_retry_after,
            "unexplained": self.unexplained,
            "integrity_failures": self.integrity_failures,
            "lost": [f"job {j}" for j in self.lost],
        }
        if self.final_integrity != "ok":
            found["final_integrity"] = [self.final_integrity]
        if self.unknown_calls:
            found["unknown_calls"] = [str(self.unknown_calls)]
        return {k: v[:8] for k, v in found.items() if v}

    def table(self) -> str:
        kills = [life for life in self.lives if life.killed]
        moments = Counter(life.moment for life in kills)
        meddler = [a for a in self.actions if a.by == "meddler"]
        issued = Counter(a.kind for a in meddler)
        took = Counter(a.kind for a in meddler if a.effective)
        locks = [a for a in meddler if a.kind == "lock" and a.effective]
        holds = [a.end - a.start for a in locks]
        self_ended = [life for life in self.lives if life.phase == "kill" and not life.killed]
        c = self.config
        rows: list[tuple[str, Any]] = [
            ("jobs enqueued", f"{self.jobs} ({self.multi_part} in several parts)"),
            ("SIGKILLs of the worker", len(kills)),
            ("  right after an answer was written (0-100 ms)", moments["after_answer"]),
            ("  in the middle of a call", moments["mid_call"]),
            ("  at a random moment", moments["random"]),
            ("  0.35-0.9 s after a 429 was written", moments["after_throttle"]),
            (
                "  no kill moment within the life timeout / queue idle",
                f"{moments['timeout']} / {moments['idle']}",
            ),
            (
                "worker lives",
                f"{len(self.lives)} ({len(self_ended)} in the kill phase ended "
                f"by themselves: exit {_codes(self_ended)})",
            ),
            (
                "meddler actions issued (took effect)",
                ", ".join(
                    f"{k} {issued[k]} ({took[k]})"
                    for k in ("cancel", "retrigger", "remove", "move", "pause", "resume", "lock")
                ),
            ),
            (
                "database locks held past the busy timeout",
                f"{len(locks)} (held {_range(holds)} s; busy timeout {c.busy_timeout_s:g} s)",
            ),
            (
                "chat calls",
                f"{self.calls} ({_fmt(self.call_actions)}; {self.hung_up} hung up by the client;"
                f" {self.torn_requests} cut off while being sent)",
            ),
            ("-- figures that must be 0", ""),
            *[(name, value) for name, value in self.figures().items()],
            ("-- told apart, allowed", ""),
            ("answers paid for but killed before saving", self.killed_before_saving),
            (
                "answers not kept because the job was cancelled / re-triggered / removed",
                " / ".join(
                    str(self.discarded_for.get(k, 0)) for k in ("cancel", "retrigger", "remove")
                ),
            ),
            ("'answer discarded' lines in the job logs", self.discard_log_lines),
            (
                "429s followed by a kill before the wait could be stored (not judged)",
                self.waits_killed_before_stored,
            ),
            (
                "calls sent again after a re-trigger / after a fault answer",
                f"{self.resent_after_retrigger} / {self.resent_after_fault}",
            ),
            ("final states explained", _fmt(self.explained)),
            ("states when judged", _fmt(self.counts_judged)),
            ("states at the end (after the lost-check drain)", _fmt(self.counts_end)),
            (
                "integrity_check after each worker life",
                f"{self.integrity_checks} ok of "
                f"{self.integrity_checks + len(self.integrity_failures)}",
            ),
            ("harness or meddler errors", len(self.runner_errors) + len(self.meddler_errors)),
            ("total time", f"{self.seconds:.1f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        lines.append("RESULT: " + ("PASS" if self.ok else "FAIL"))
        for name, cases in self.problems().items():
            lines.append(f"  {name}:")
            lines += [f"    {case}" for case in cases]
        for error in (self.runner_errors + self.meddler_errors)[:6]:
            lines.append(f"  note: {error}")
        return "\n".join(lines)


def _fmt(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counts.items()) if v) or "none"


def _range(values: list[float]) -> str:
    return f"{min(values):.1f}-{max(values):.1f}" if values else "-"


def _codes(lives: list[Life]) -> str:
    return _fmt(Counter(str(life.exit_code) for life in lives)) if lives else "none"


# ---------------------------------------------------------------------------------- database


def open_ro(db: Path) -> sqlite3.Connection:
    """A read-only connection: judging and choosing targets must not write anything."""
    try:
        return sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    except sqlite3.OperationalError:
        # Read-only needs the WAL index; if no one has the file open, a plain connection
        # (which only reads here) recreates it.
        return sqlite3.connect(db, timeout=30)


def read_state(db: Path) -> DbState:
    conn = open_ro(db)
    try:
        integrity = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
        jobs = {
            int(r[0]): JobRow(str(r[1]), r[2], r[3], r[4], r[5])
            for r in conn.execute(
                "SELECT id, state, result, error_kind, started_at, stale_reason FROM jobs"
            )
        }
        parts = {
            (int(r[0]), int(r[1])): r[2]
            for r in conn.execute("SELECT job_id, idx, result FROM parts")
        }
        log: dict[int, list[tuple[float, str]]] = defaultdict(list)
        for job_id, at, message in conn.execute(
            "SELECT job_id, at, message FROM job_log ORDER BY id"
        ):
            log[int(job_id)].append((float(at), str(message)))
    finally:
        conn.close()
    return DbState(time.monotonic(), integrity, jobs, parts, dict(log))


def stored_tags(db: Path, job_id: int) -> list[int]:
    """The answers stored for one job (its result and its parts), by request number."""
    conn = open_ro(db)
    try:
        texts = [r[0] for r in conn.execute("SELECT result FROM jobs WHERE id = ?", (job_id,))]
        texts += [r[0] for r in conn.execute("SELECT result FROM parts WHERE job_id = ?",
                                             (job_id,))]  # fmt: skip
    finally:
        conn.close()
    return [t for t in (tag_of(x) for x in texts) if t is not None]


def _took_effect(rc: int, out: str) -> bool:
    found = COUNT.search(out)
    if found:
        return int(found.group(1)) > 0
    return rc == 0


# ---------------------------------------------------------------------------------- meddler

MOVE_SCRIPT = """
import asyncio, sys
from pathlib import Path
from core.engine import Engine

async def main() -> None:
    engine = await Engine.open(Path(sys.argv[1]))
    try:
        moved = await engine.move([int(x) for x in sys.argv[3:]], sys.argv[2])
    finally:
        await engine.close()
    print(len(moved) if hasattr(moved, "__len__") else int(bool(moved)), "job(s) moved")

asyncio.run(main())
"""


class Meddler:
    """The second process: acts on the queue at random moments and logs every action."""

    def __init__(self, home: Path, log: Path, stop: Path, settings: dict[str, Any]) -> None:
        self.home = home
        self.db = home / DB_NAME
        self.log_path = log
        self.stop = stop
        self.rng = random.Random(int(settings["seed"]))  # targets and holds
        # The kinds and the gaps from their own generator, so that a seed always gives the
        # same sequence of actions whatever the queue looked like when each was chosen.
        self.plan_rng = random.Random(int(settings["seed"]) * 7919 + 1)
        self.gap = tuple(settings["meddle_gap_s"])
        self.pause_hold = tuple(settings["pause_hold_s"])
        self.lock_hold = tuple(settings["lock_hold_s"])
        self.kinds = [k for k, _ in settings["weights"]]
        self.weights = [w for _, w in settings["weights"]]
        self.paused = False
        self.out: TextIO = sys.stderr  # the action log, once run() has opened it

    def run(self) -> int:
        with open(self.log_path, "a", encoding="utf-8") as out:
            self.out = out
            try:
                while self.nap(self.plan_rng.uniform(*self.gap)):
                    kind = self.plan_rng.choices(self.kinds, self.weights)[0]
                    try:
                        getattr(self, f"do_{kind}")()
                    except (OSError, sqlite3.Error, subprocess.SubprocessError) as exc:
                        self.write(Action(kind, [], now(), now(), False, detail=f"error: {exc}"))
            finally:
                if self.paused:  # never leave the queue paused: the last life must drain it
                    self.cli("resume", [], "resume")
        return 0

    # ------------------------------------------------------------------ helpers

    def stopping(self) -> bool:
        return self.stop.exists()

    def nap(self, seconds: float) -> bool:
        """Sleep, in short slices; False as soon as the harness asks the meddler to stop."""
        deadline = now() + seconds
        while now() < deadline:
            if self.stopping():
                return False
            time.sleep(min(0.05, max(0.0, deadline - now())))
        return not self.stopping()

    def write(self, action: Action) -> None:
        self.out.write(json.dumps(asdict(action)) + "\n")
        self.out.flush()

    def states(self) -> dict[str, list[int]]:
        """Job ids by state; queued ones in the order the worker claims them. Two more lists:
        ``long`` (running with more than one call to go) and ``next`` (the head of the queue),
        the jobs most likely to be running with a call in flight when a command lands, about
        0.3 s after it was chosen (one call is about as long)."""
        by_state: dict[str, list[int]] = defaultdict(list)
        try:
            conn = open_ro(self.db)
            try:
                for job_id, state, planned, done in conn.execute(
                    "SELECT id, state, parts_planned, parts_done FROM jobs "
                    "ORDER BY priority DESC, position"
                ):
                    by_state[str(state)].append(int(job_id))
                    if state == "running" and (planned or 0) - (done or 0) > 1:
                        by_state["long"].append(int(job_id))
            finally:
                conn.close()
        except sqlite3.Error:
            pass
        by_state["next"] = by_state["queued"][:2]
        return by_state

    def pick(self, *choices: tuple[list[int], float]) -> int | None:
        """A job from the first list that wins its draw (lists given with their odds)."""
        filled = [(ids, odds) for ids, odds in choices if ids]
        if not filled:
            return None
        ids = self.rng.choices([i for i, _ in filled], [o for _, o in filled])[0]
        return self.rng.choice(ids)

    def any_job(self, states: dict[str, list[int]]) -> int | None:
        every = sorted({i for ids in states.values() for i in ids})
        return self.rng.choice(every) if every else None

    def cli(
        self, kind: str, ids: list[int], *args: str, saved_tags: list[int] | None = None
    ) -> Action:
        start = now()
        # A move has no command: its script runs as ``python -c``; the rest are paceline-cli.
        argv = [sys.executable, *args] if args[0] == "-c" else [sys.executable, "-m", "core.cli",
                                                                 *args]  # fmt: skip
        done = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=120)
        action = Action(
            kind, ids, start, now(), _took_effect(done.returncode, done.stdout),
            rc=done.returncode,
            detail=(done.stdout.strip() + " " + done.stderr.strip()).strip()[-200:],
            saved_tags=saved_tags or [],
        )  # fmt: skip
        self.write(action)
        return action

    # ------------------------------------------------------------------ actions

    def call_in_flight(self, min_age: float, wait: float) -> int | None:
        """A running job whose call has been in flight for ``min_age`` s (so probably a slow
        one, still going when a command lands), looked for during up to ``wait`` s."""
        deadline = now() + wait
        while now() < deadline and not self.stopping():
            try:
                conn = open_ro(self.db)
                try:
                    row = conn.execute(
                        "SELECT p.job_id FROM parts p JOIN jobs j ON j.id = p.job_id "
                        "WHERE p.state = 'started' AND j.state = 'running' AND p.started_at < ?",
                        (time.time() - min_age,),
                    ).fetchone()
                finally:
                    conn.close()
            except sqlite3.Error:
                return None  # another schema: choose as for any other action
            if row is not None:
                return int(row[0])
            time.sleep(0.03)
        return None

    def do_cancel(self) -> None:
        if self.rng.random() < 0.5:
            # Aim at a call in flight: the worker must drop its answer, and hang up.
            target = self.call_in_flight(0.2, 4.0)
            if target is not None:
                self.cancel(target)
                return
        states = self.states()
        # Mostly a job whose call will be in flight when the cancel lands: the worker must
        # drop it, and hang up.
        target = self.pick(
            (states["long"], 0.4), (states["next"], 0.3), (states["running"], 0.2),
            (states["queued"], 0.1),
        )  # fmt: skip
        target = target if target is not None else self.any_job(states)
        if target is not None:
            self.cancel(target)

    def cancel(self, target: int) -> None:
        done = self.cli("cancel", [target], "cancel", str(target))
        if done.effective and self.rng.random() < 0.35:
            # A change of mind at once, before the worker may have noticed the cancel.
            self.cli("retrigger", [target], "retrigger", str(target))

    def do_retrigger(self) -> None:
        states = self.states()
        target = self.pick(
            (states["stale"], 0.55), (states["cancelled"], 0.3), (states["failed"], 0.15)
        )
        target = target if target is not None else self.any_job(states)
        if target is not None:
            self.cli("retrigger", [target], "retrigger", str(target))

    def do_remove(self) -> None:
        states = self.states()
        target = self.pick(
            (states["done"], 0.5), (states["cancelled"], 0.2), (states["failed"], 0.15),
            (states["stale"], 0.15),
        )  # fmt: skip
        target = target if target is not None else self.any_job(states)
        if target is None:
            return
        # What was stored before it goes: a finished job changes no more (only a re-trigger,
        # which is this process's own, could change it), so these are the answers it kept.
        try:
            saved = stored_tags(self.db, target)
        except sqlite3.Error:
            saved = []
        self.cli("remove", [target], "remove", str(target), saved_tags=saved)

    def do_move(self) -> None:
        states = self.states()
        queued = states["queued"]
        chosen = self.rng.sample(queued, min(len(queued), self.rng.randint(1, 2)))
        if states["running"] and (not chosen or self.rng.random() < 0.15):
            chosen.append(self.rng.choice(states["running"]))  # the GUI offers it on any row
        if not chosen:
            return
        where = self.rng.choice(["top", "bottom", "up", "down"])
        self.cli("move", chosen, "-c", MOVE_SCRIPT, str(self.home), where, *map(str, chosen))

    def do_pause(self) -> None:
        paused = self.cli("pause", [], "pause")
        self.paused = self.paused or paused.rc == 0
        time.sleep(self.rng.uniform(*self.pause_hold))  # not cut short: resume always follows
        if self.cli("resume", [], "resume").rc == 0:
            self.paused = False

    def do_lock(self) -> None:
        hold = self.rng.uniform(*self.lock_hold)
        asked = now()
        conn = sqlite3.connect(self.db, timeout=30, isolation_level=None)
        try:
            conn.execute("BEGIN EXCLUSIVE")
            start = now()
            time.sleep(hold)  # past the busy timeout: every writer of the worker must wait
            conn.execute("ROLLBACK")
            end = now()
        finally:
            conn.close()
        self.write(
            Action(
                "lock",
                [],
                start,
                end,
                True,
                detail=f"waited {start - asked:.2f} s for the lock, held it {hold:.2f} s",
            )
        )


def now() -> float:
    # One clock for every process of the trial: CLOCK_MONOTONIC on Linux is system-wide.
    return time.monotonic()


def meddler_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="meddle meddler")
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--stop", type=Path, required=True, help="stop once this file exists")
    parser.add_argument("--settings", required=True, help="JSON: seed, gaps, holds, weights")
    args = parser.parse_args(argv)
    return Meddler(args.home, args.log, args.stop, json.loads(args.settings)).run()


def read_actions(path: Path) -> list[Action]:
    if not path.exists():
        return []
    actions = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            actions.append(Action(**json.loads(line)))
    return actions


# ---------------------------------------------------------------------------------- the trial


class MeddleTrial:
    def __init__(self, config: MeddleConfig, workdir: Path, say: Callable[[str], None]) -> None:
        self.config = config
        self.workdir = workdir
        self.home = workdir / "home"
        self.db = self.home / DB_NAME
        self.say = say
        self.rng = random.Random(config.seed)
        self.server = MeddleProvider(config.faults, seed=config.seed + 2)
        self.report = MeddleReport(config)
        self.parts_of: dict[int, int] = {}  # document number -> parts
        self.job_of_doc: dict[int, int] = {}  # document number -> job id
        self.harness_actions: list[Action] = []
        self.runner_log = workdir / "worker-stderr.log"
        self.meddler_log = workdir / "meddler-actions.jsonl"
        self.meddler_stop = workdir / "meddler.stop"
        self.meddler: subprocess.Popen[str] | None = None
        self.worker: subprocess.Popen[str] | None = None  # the current worker life
        self.calls_needed = 0
        # Measured as the trial goes, to size each life so that the kills spread over the work.
        self.startup_s = 0.4
        self.call_s = sum(config.faults.think_s) / 2 + 0.05
        # Wall time (the database's) minus monotonic time (everyone else's), for comparisons.
        self.wall_offset = time.time() - time.monotonic()

    # ------------------------------------------------------------------ processes

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PACELINE_HOME": str(self.home),
            "PACELINE_PROVIDER": "openai",
            "PACELINE_API_BASE": self.server.url,
            "PACELINE_API_KEY": KEY,
            "PACELINE_MODEL": "fake-model",
            "PACELINE_PAUSE_S": "0",
            "PACELINE_BUSY_TIMEOUT_S": f"{self.config.busy_timeout_s:g}",
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            capture_output=True, text=True, env=self.env(), cwd=ROOT, timeout=timeout,
        )  # fmt: skip

    def harness_cli(self, kind: str, ids: list[int], *args: str) -> Action:
        """A re-trigger or resume by this harness, logged like the meddler's actions."""
        start = now()
        done = self.cli(*args)
        action = Action(kind, ids, start, now(), _took_effect(done.returncode, done.stdout),
                        by="harness", rc=done.returncode,
                        detail=(done.stdout + done.stderr).strip()[-200:])  # fmt: skip
        if done.returncode != 0:
            self.report.runner_errors.append(f"{' '.join(args[:2])}: {action.detail}")
        self.harness_actions.append(action)
        return action

    def popen_worker(self, *args: str) -> subprocess.Popen[str]:
        with open(self.runner_log, "a", encoding="utf-8") as err:
            self.worker = subprocess.Popen(
                [sys.executable, "-m", "core.cli", "run", *args],
                stdout=subprocess.DEVNULL, stderr=err, text=True, env=self.env(), cwd=ROOT,
            )  # fmt: skip
        return self.worker

    # ------------------------------------------------------------------ running

    def run(self) -> MeddleReport:
        started = now()
        self.server.start()
        try:
            self._setup()
            self._start_meddler()
            try:
                self._kill_phase()
            finally:
                self._stop_meddler()
            self.harness_cli("resume", [], "resume")
            self._clean_life("final")
            judged = read_state(self.db)
            self._lost_phase()
            end = read_state(self.db)
            evidence = Evidence(
                self.server.snapshot(), read_actions(self.meddler_log) + self.harness_actions,
                self.report.lives, self.job_of_doc, self.parts_of, self.wall_offset, judged, end,
            )  # fmt: skip
            Judge(evidence, self.config, self.report).judge()
        finally:
            # A harness error must not leave a worker of this run behind (the meddler was
            # stopped above): only the process this trial started, by its id.
            if self.worker is not None and self.worker.poll() is None:
                os.kill(self.worker.pid, signal.SIGKILL)
                self.worker.wait()
            self.server.stop()
            if self.config.keep_logs:
                self._dump_logs()
        self.report.seconds = now() - started
        return self.report

    def _dump_logs(self) -> None:
        """The provider's calls, the worker lives and the harness's actions, as JSON lines
        next to the meddler's log: everything the judge read, for a kept work folder."""
        self.server.dump(self.workdir / "provider-calls.jsonl")
        for name, items in (
            ("worker-lives.jsonl", self.report.lives),
            ("harness-actions.jsonl", self.harness_actions),
        ):
            with open(self.workdir / name, "w", encoding="utf-8") as out:
                for item in items:
                    out.write(json.dumps(asdict(item)) + "\n")

    def _setup(self) -> None:
        config = self.config
        self.home.mkdir(parents=True, exist_ok=True)
        # Small backoff so nobody waits long after a 500 or a reset; a 429's Retry-After is
        # the server's and stays 1-2 s. Part size as in the kill soak, so some documents need
        # several parts and a combining call.
        settings = {
            "context_chars": config.context_chars,
            "pause_s": 0,
            "backoff_base_s": config.backoff_base_s,
            "backoff_cap_s": config.backoff_cap_s,
        }
        (self.home / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        soak = SoakConfig(
            jobs=config.jobs,
            multi_share=config.multi_share,
            max_parts=config.max_parts,
            context_chars=config.context_chars,
        )
        docs = write_documents(self.workdir / "docs", config.jobs, soak, self.rng)
        for path, parts in docs.items():
            self.parts_of[int(path.stem.removeprefix("doc"))] = parts
        self.calls_needed = sum(p + (1 if p > 1 else 0) for p in docs.values())
        self.report.multi_part = sum(1 for p in docs.values() if p > 1)
        added = self.cli("add", "--json", *map(str, docs), timeout=300)
        if added.returncode != 0:
            raise RuntimeError(f"add failed: {added.stderr.strip()[-300:]}")
        for item in json.loads(added.stdout)["accepted"]:
            self.job_of_doc[int(Path(item["path"]).stem.removeprefix("doc"))] = int(item["id"])
        self.report.jobs = len(self.job_of_doc)
        if self.report.jobs != config.jobs:
            self.report.runner_errors.append(f"only {self.report.jobs} of {config.jobs} added")
        job_of_doc, parts_of = self.job_of_doc, self.parts_of
        self.server.keyer = lambda text: key_of(text, job_of_doc, parts_of)
        self.say(f"{config.jobs} documents ({self.report.multi_part} in several parts), "
                 f"{self.calls_needed} calls needed without faults or kills")  # fmt: skip

    def _start_meddler(self) -> None:
        c = self.config
        settings = {"seed": c.seed + 1, "meddle_gap_s": c.meddle_gap_s,
                    "pause_hold_s": c.pause_hold_s, "lock_hold_s": c.lock_hold_s,
                    "weights": c.weights}  # fmt: skip
        with open(self.workdir / "meddler-stderr.log", "a", encoding="utf-8") as err:
            self.meddler = subprocess.Popen(
                [sys.executable, "-m", "tests.reliability.meddle", "meddler",
                 "--home", str(self.home), "--log", str(self.meddler_log),
                 "--stop", str(self.meddler_stop), "--settings", json.dumps(settings)],
                stdout=subprocess.DEVNULL, stderr=err, text=True, env=self.env(), cwd=ROOT,
            )  # fmt: skip

    def _stop_meddler(self) -> None:
        self.meddler_stop.touch()
        proc = self.meddler
        if proc is None:
            return
        try:
            code = proc.wait(timeout=60)  # it finishes its action (a lock, a pause) first
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            code = proc.wait()
            self.report.meddler_errors.append("the meddler did not stop within 60 s")
        if code != 0:
            tail = (self.workdir / "meddler-stderr.log").read_text(encoding="utf-8")[-400:]
            self.report.meddler_errors.append(f"meddler exit {code}: {tail}")

    def _kill_phase(self) -> None:
        self_ended = 0  # lives in a row that ended by themselves: a broken worker ends the loop
        while len([x for x in self.report.lives if x.killed]) < self.config.kills:
            life, idle = self._life()
            self._check_integrity(life)
            self_ended = 0 if life.killed else self_ended + 1
            kills = sum(1 for x in self.report.lives if x.killed)
            if life.killed and kills % 10 == 0:
                self.say(f"  {kills} kills, {len(self.server.calls)} calls, "
                         f"{_fmt(read_state(self.db).counts())}")  # fmt: skip
            if idle:
                self.say(f"  the queue ran empty after {kills} kills: the kill phase ends")
                return
            if self_ended >= 10:
                self.report.runner_errors.append("10 worker lives in a row ended by themselves")
                return

    def _life(self) -> tuple[Life, bool]:
        """One worker life of the kill phase; (the life, whether the queue was idle)."""
        server = self.server
        life = Life(len(self.report.lives) + 1, "kill", now())
        self.report.lives.append(life)
        with server._lock:
            start_ok = server.ok_written
            start_calls = len(server.calls)
        proc = self.popen_worker()  # plain "run": a pause must not end the life
        moment = self.rng.choice(["after_answer", "after_answer", "mid_call", "mid_call",
                                  "random", "after_throttle"])  # fmt: skip
        budget = self._budget()
        k = self.rng.randint(1, 2 * budget - 1)  # on average the calls this life may make
        life.plan = f"{moment} k={k}"
        # Twice the time k calls took so far, within bounds: a life that gets nowhere (a long
        # pause, a held lock, waits) is killed anyway, but not after idling for long.
        expected = self.startup_s + (k + 1) * self.call_s
        deadline = life.spawned + min(self.config.life_timeout_s, max(3.0, 2 * expected))
        if moment == "after_answer":
            outcome = self._wait(proc, lambda: server.ok_written >= start_ok + k, deadline)
            if outcome == "reached":
                # Before, during or after the commit of that answer.
                time.sleep(self.rng.choice([0.0, self.rng.uniform(0, 0.01),
                                            self.rng.uniform(0.01, 0.1)]))  # fmt: skip
        elif moment == "mid_call":
            outcome = self._wait(
                proc,
                lambda: len(server.calls) >= start_calls + k and _newest_in_flight(server),
                deadline,
            )
            if outcome == "reached":
                time.sleep(self.rng.uniform(0, 0.08))
        elif moment == "after_throttle":
            # After a 429 was written, once the worker has surely read it and decided to wait:
            # the next life must still honour the Retry-After (a stored wait). The provider is
            # asked to throttle one of the next calls (its own 429s come when they come).
            server.throttle_call(self.rng.randint(1, 3))
            outcome = self._wait(proc, lambda: _throttled_since(server, life.spawned), deadline)
            server.throttle_call(None)  # if it never came, not in a later life either
            if outcome == "reached":
                time.sleep(self.rng.uniform(KILL_BEFORE_STORE_S + 0.05, 0.9))
        else:
            span = self.startup_s + budget * self.call_s
            at = life.spawned + self.rng.uniform(0.0, span)
            outcome = self._wait(proc, lambda: False, min(at, deadline))
            outcome = "reached" if outcome == "timeout" and now() < deadline else outcome
        if outcome in ("timeout", "idle"):
            moment = outcome
        if proc.poll() is None:
            life.killed_at = now()
            os.kill(proc.pid, signal.SIGKILL)
            life.killed = proc.wait(timeout=30) == -signal.SIGKILL
        life.ended = now()
        if life.killed:
            life.moment = moment
        else:
            life.exit_code = proc.returncode
            tail = self.runner_log.read_text(encoding="utf-8", errors="replace")[-300:]
            self.report.runner_errors.append(f"life {life.n} exit {life.exit_code}: {tail}")
        self._measure(life, start_calls)
        return life, outcome == "idle"

    def _budget(self) -> int:
        """Calls one life may make so that the kills asked for spread over all the work."""
        kills = sum(1 for x in self.report.lives if x.killed)
        kills_left = max(1, self.config.kills - kills)
        calls_left = max(0, self.calls_needed - self.server.ok_written)
        return max(1, round(0.8 * calls_left / kills_left))

    def _measure(self, life: Life, start_calls: int) -> None:
        with self.server._lock:
            arrivals = sorted(c.arrived for c in self.server.calls.values()
                              if c.arrived >= life.spawned)  # fmt: skip
        life.calls = len(arrivals)
        if arrivals:
            self.startup_s = 0.8 * self.startup_s + 0.2 * (arrivals[0] - life.spawned)
        if len(arrivals) >= 2:
            per_call = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)
            self.call_s = 0.8 * self.call_s + 0.2 * per_call

    def _wait(
        self, proc: subprocess.Popen[str], predicate: Callable[[], bool], deadline: float
    ) -> str:
        """reached | exited | timeout | idle (nothing queued or running for a second)."""
        idle_since: float | None = None
        next_look = now() + 0.5
        while True:
            if self.server.wait_until(predicate, 0.05):
                return "reached"
            if proc.poll() is not None:
                return "exited"
            if now() >= deadline:
                return "timeout"
            if now() >= next_look:
                next_look = now() + 0.3
                counts = _counts(self.db)
                if counts.get("queued", 0) or counts.get("running", 0):
                    idle_since = None
                elif idle_since is None:
                    idle_since = now()
                elif now() - idle_since > 1.0:
                    return "idle"

    def _check_integrity(self, life: Life) -> None:
        try:
            conn = open_ro(self.db)
            try:
                result = str(conn.execute("PRAGMA integrity_check").fetchone()[0])
            finally:
                conn.close()
        except sqlite3.Error as exc:
            result = f"error: {exc}"
        if result == "ok":
            self.report.integrity_checks += 1
        else:
            self.report.integrity_failures.append(f"after life {life.n}: {result}")

    def _clean_life(self, phase: str) -> Life:
        """A worker life that runs until the queue is empty, with no kill."""
        life = Life(len(self.report.lives) + 1, phase, now())
        self.report.lives.append(life)
        proc = self.popen_worker("--until-empty")
        try:
            life.exit_code = proc.wait(timeout=self.config.final_timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            life.exit_code = proc.wait()
            self.report.runner_errors.append(f"the {phase} life did not end in time")
        life.ended = now()
        if life.exit_code not in CLEAN_EXITS:
            tail = self.runner_log.read_text(encoding="utf-8", errors="replace")[-300:]
            self.report.runner_errors.append(f"{phase} life exit {life.exit_code}: {tail}")
        self._check_integrity(life)
        return life

    def _lost_phase(self) -> None:
        """Only for "nothing lost": re-trigger what is stale or failed, and drain."""
        for _ in range(self.config.lost_rounds):
            state = read_state(self.db)
            ids = sorted(i for i, row in state.jobs.items() if row.state in ("stale", "failed"))
            if not ids:
                return
            self.harness_cli("retrigger", ids, "retrigger", *map(str, ids))
            self._clean_life("lost")


def _newest_in_flight(server: MeddleProvider) -> bool:
    """Whether the newest chat call is still going (called with the server's lock held)."""
    if not server.calls:
        return False
    return server.calls[max(server.calls)].end is None


def _throttled_since(server: MeddleProvider, since: float) -> bool:
    """Whether a 429 was written since ``since`` (called with the server's lock held)."""
    return any(
        c.action == "429" and c.written is not None and c.written >= since
        for c in server.calls.values()
    )


def _counts(db: Path) -> dict[str, int]:
    try:
        conn = open_ro(db)
        try:
            return dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        finally:
            conn.close()
    except sqlite3.Error:
        return {"unknown": 1}  # locked or busy: not idle


def key_of(text: str, job_of_doc: dict[int, int], parts_of: dict[int, int]) -> Key | None:
    """The (job, call index, final) a call carries, from its MARK-<doc*100+part> markers."""
    numbers = [int(m) for m in MARK.findall(text)]
    docs = {n // 100 for n in numbers}
    if len(docs) != 1:
        return None
    doc = docs.pop()
    job_id, parts = job_of_doc.get(doc), parts_of.get(doc)
    if job_id is None or parts is None:
        return None
    if len(numbers) == 1 and parts == 1:
        return job_id, 0, True
    if len(numbers) == 1:
        return job_id, numbers[0] % 100 - 1, False
    if sorted(set(n % 100 for n in numbers)) == list(range(1, parts + 1)):
        return job_id, parts, True  # the combining call is numbered after the parts
    return None


# ---------------------------------------------------------------------------------- judging


@dataclass
class Evidence:
    """Everything the judge reads: nothing else of the run is trusted."""

    calls: list[Call]  # the provider's log
    actions: list[Action]  # the meddler's log and the harness's own re-triggers
    lives: list[Life]  # the worker processes, with when and how each ended
    job_of_doc: dict[int, int]
    parts_of: dict[int, int]
    wall_offset: float  # time.time() - time.monotonic(): the database keeps wall times
    judged: DbState  # after the last clean life, before anything re-triggered a job
    end: DbState  # after the drain for "nothing lost"


class Judge:
    """Reads the figures off the evidence into the report (see tests/reliability/README.md)."""

    def __init__(self, evidence: Evidence, config: MeddleConfig, report: MeddleReport) -> None:
        self.evidence = evidence
        self.report = report
        self.config = config
        self.judged = evidence.judged
        self.end = evidence.end
        self.calls = sorted(evidence.calls, key=lambda c: c.arrived)
        self.by_n = {c.n: c for c in self.calls}
        self.by_key: dict[tuple[int, int], list[Call]] = defaultdict(list)
        for call in self.calls:
            if call.key is not None:
                self.by_key[call.key[:2]].append(call)
        self.actions = sorted(evidence.actions, key=lambda a: a.start)
        self.lives = evidence.lives
        self.kills = [life.killed_at for life in self.lives if life.killed]
        self.deaths = [life.killed_at if life.killed else life.ended for life in self.lives
                       if life.died]  # fmt: skip
        self.locks = [(a.start, a.end) for a in self.actions if a.kind == "lock" and a.effective]

    def judge(self) -> None:
        report = self.report
        report.actions = self.actions
        report.calls = len(self.calls)
        report.call_actions = dict(Counter(c.action for c in self.calls))
        report.hung_up = sum(1 for c in self.calls if c.hung_up is not None)
        report.unknown_calls = sum(1 for c in self.calls if c.key is None and not c.torn)
        report.torn_requests = sum(1 for c in self.calls if c.torn)
        self.thrown_away()
        self.in_flight_twice()
        self.sent_again()
        self.before_retry_after()
        self.final_states()
        self.lost()
        if self.judged.integrity != "ok":
            report.integrity_failures.append(f"when judged: {self.judged.integrity}")
        report.final_integrity = self.end.integrity
        report.counts_judged = self.judged.counts()
        report.counts_end = self.end.counts()
        report.discard_log_lines = sum(
            1 for lines in self.end.log.values() for _, m in lines
            if m.startswith("answer discarded")
        )  # fmt: skip

    # ------------------------------------------------------------------ helpers

    def job_actions(self, job_id: int, kinds: Iterable[str], by: str | None = None) -> list[Action]:
        kinds = set(kinds)
        return [
            a for a in self.actions
            if a.effective and job_id in a.ids and a.kind in kinds and (by is None or a.by == by)
        ]  # fmt: skip

    def learn_by(self, t: float, tolerance: float) -> float:
        """``t`` + ``tolerance``, pushed past the end of any database lock held meanwhile (and
        again, for a lock taken before that): the worker may have waited for it to commit."""
        until = t + tolerance
        moved = True
        while moved:
            moved = False
            for start, end in self.locks:
                if start <= until and end >= t and end + tolerance > until:
                    until = end + tolerance
                    moved = True
        return until

    def life_at(self, t: float) -> Life | None:
        for life in self.lives:
            if life.spawned <= t <= (life.ended or float("inf")):
                return life
        return None

    def life_sending(self, t: float) -> Life | None:
        """The worker life that was alive at ``t`` (the last one started by then)."""
        started = [life for life in self.lives if life.spawned <= t]
        return max(started, key=lambda life: life.spawned) if started else None

    def in_flight_at_kill(self, call: Call) -> bool:
        # A call hung up by a kill ends when the server noticed, just after the kill; a call
        # answered before the kill was not in flight (a fault answer may be retried freely).
        end = call.end if call.end is not None else float("inf")
        return any(call.arrived <= k <= end for k in self.kills)

    @staticmethod
    def stored(call: Call, state: DbState) -> bool:
        assert call.key is not None
        job_id, idx, _ = call.key
        row = state.jobs.get(job_id)
        if row is None:
            return False
        return call.n in (tag_of(row.result), tag_of(state.parts.get((job_id, idx))))

    # ------------------------------------------------------------------ the figures

    def thrown_away(self) -> None:
        """An OK answer that is stored nowhere, with no cancel, re-trigger, remove or kill
        that explains it."""
        report = self.report
        discarded: Counter[str] = Counter()
        for call in self.calls:
            if not call.ok or call.key is None or call.written is None:
                continue
            job_id, idx, _ = call.key
            state = self.judged if call.written < self.judged.at else self.end
            if self.stored(call, state):
                continue
            if any(call.n in a.saved_tags for a in self.job_actions(job_id, ["remove"])):
                continue  # it was stored, and the person removed the finished job later
            # A cancel, re-trigger or remove that took effect while the call was going (or in
            # the moment between the worker's committed call start and the request's arrival),
            # issued before the worker could have committed the answer, give or take the time
            # it needs to learn of another process's change. One that took effect well before
            # the call started does not explain it: a worker that lost its claim must not
            # start a paid call at all, so such an answer was thrown away all the same.
            until = self.learn_by(call.written, self.config.tolerance_s)
            cause = next(
                (a for a in self.job_actions(job_id, REVOKING)
                 if a.end >= call.arrived - CALL_START_GAP_S and a.start <= until),
                None,
            )  # fmt: skip
            if cause is not None:
                discarded[cause.kind] += 1
                continue
            # A SIGKILL of the worker that sent it before it could have committed the answer
            # (or even before the answer was out: then the client never read it): paid for,
            # not thrown away.
            life = self.life_sending(call.arrived)
            if (
                life is not None
                and life.killed
                and life.killed_at <= self.learn_by(call.written, self.config.save_tolerance_s)
            ):
                report.killed_before_saving += 1
                continue
            row = state.jobs.get(job_id)
            what = "" if row is None else f" (job {row.state}, result r{tag_of(row.result)})"
            report.thrown_away.append(
                f"job {job_id} call {idx}: r{call.n} answered OK at {self._t(call.written)} "
                f"and stored nowhere{what}"
            )
        report.discarded_for = dict(discarded)

    def in_flight_twice(self) -> None:
        for (job_id, idx), calls in self.by_key.items():
            latest: Call | None = None
            latest_end = float("-inf")
            for call in calls:
                if latest is not None and call.arrived < latest_end - OVERLAP_SLACK_S:
                    self.report.in_flight_twice.append(
                        f"job {job_id} call {idx}: r{call.n} arrived at {self._t(call.arrived)}"
                        f" while r{latest.n} (from {self._t(latest.arrived)}) was in flight"
                    )
                end = call.end if call.end is not None else float("inf")
                if end > latest_end:
                    latest, latest_end = call, end

    def sent_again(self) -> None:
        """A call sent after an earlier one for the same (job, part) was paid for (answered
        OK, or in flight when the worker was killed) needs a re-trigger in between."""
        report = self.report
        for (job_id, idx), calls in self.by_key.items():
            retriggers = [a.start for a in self.job_actions(job_id, ["retrigger"])]
            paid: Call | None = None
            for n, call in enumerate(calls):
                if paid is not None:
                    if any(paid.arrived < t < call.arrived for t in retriggers):
                        report.resent_after_retrigger += 1
                    else:
                        why = "answered OK" if paid.ok else "in flight at a SIGKILL"
                        report.resent_without_retrigger.append(
                            f"job {job_id} call {idx}: r{call.n} at {self._t(call.arrived)} "
                            f"after r{paid.n} ({why}) with no re-trigger in between"
                            f"{self._lives_between(paid.arrived, call.arrived)}"
                        )
                elif n:
                    report.resent_after_fault += 1
                if call.ok or self.in_flight_at_kill(call):
                    paid = call

    def before_retry_after(self) -> None:
        windows: list[tuple[float, float, Call]] = []
        for call in self.calls:
            if call.action != "429" or call.written is None or call.retry_after is None:
                continue
            at = call.written
            # Killed before it could have stored the wait: 0.3 s, or until a lock held
            # meanwhile ended (the wait is committed with the job's requeue).
            store_by = self.learn_by(at, KILL_BEFORE_STORE_S)
            if any(at <= k <= store_by for k in self.kills):
                self.report.waits_killed_before_stored += 1
                continue
            windows.append((at, at + call.retry_after - SLACK_S, call))
        for call in self.calls:
            for start, end, throttled in windows:
                if start < call.arrived < end:
                    self.report.before_retry_after.append(
                        f"r{call.n} arrived {call.arrived - start:.2f} s after r{throttled.n}'s "
                        f"429 asked to wait {throttled.retry_after} s"
                        f"{self._lives_between(start, call.arrived)}"
                    )
                    break

    def final_states(self) -> None:
        """Each job's state when judged must follow from what happened to it."""
        report, judged = self.report, self.judged
        explained: Counter[str] = Counter()
        final_ok = all(life.exit_code in CLEAN_EXITS for life in self.lives
                       if life.phase == "final")  # fmt: skip
        for doc, job_id in sorted(self.evidence.job_of_doc.items()):
            parts = self.evidence.parts_of[doc]
            row = judged.jobs.get(job_id)
            problem = ""
            if row is None:
                if self.job_actions(job_id, ["remove"], by="meddler"):
                    explained["removed by the meddler"] += 1
                else:
                    problem = "gone from the database, and the meddler removed no such job"
            elif row.state == "done":
                problem = self._done(job_id, row, parts)
                explained["done by its final call's answer"] += not problem
            elif row.state == "cancelled":
                acts = [a for a in self.job_actions(job_id, ["cancel", "retrigger"])
                        if a.start < judged.at]  # fmt: skip
                if acts and acts[-1].kind == "cancel":
                    explained["cancelled by the meddler"] += 1
                else:
                    problem = "cancelled, but the meddler's last word on it was not a cancel"
            elif row.state == "stale":
                problem = self._stale(job_id, row, explained)
            elif row.state == "failed":
                calls = [c for c in self.calls if c.key and c.key[0] == job_id
                         and c.arrived < judged.at]  # fmt: skip
                last = max(calls, key=lambda c: c.arrived) if calls else None
                if last is not None and row.error_kind in FAULT_KINDS.get(last.action, ()):
                    explained["failed after provider faults"] += 1
                else:
                    problem = (f"failed ({row.error_kind}) but its last call was "
                               f"{last.action if last else 'never made'}")  # fmt: skip
            else:
                problem = f"still {row.state} after the last life ran until empty" + (
                    "" if final_ok else " (that life did not end cleanly)"
                )
            if problem:
                report.unexplained.append(f"job {job_id}: {problem}")
        report.explained = dict(explained)

    def _done(self, job_id: int, row: JobRow, parts: int) -> str:
        tag = tag_of(row.result)
        call = self.by_n.get(tag) if tag is not None else None
        final = (job_id, 0 if parts == 1 else parts, True)
        if call is None or not call.ok or call.key != final:
            return f"done with result r{tag}, which is not an OK answer of its final call"
        if parts > 1:
            stored = [tag_of(self.judged.parts.get((job_id, i))) for i in range(parts)]
            if list(call.carried) != stored:
                return f"combined from {list(call.carried)} but its parts store {stored}"
        return ""

    def _stale(self, job_id: int, row: JobRow, explained: Counter[str]) -> str:
        # The worker must have died (or met a held lock) after the job's last claim.
        since = (row.started_at - self.evidence.wall_offset) if row.started_at else 0.0
        if any(since - SLACK_S <= d <= self.judged.at for d in self.deaths):
            explained["stale after the worker died while running it"] += 1
            return ""
        # Or a lock held while it ran, if the worker gives a job up when it cannot commit:
        # the lock must overlap the time from its claim to when it was marked stale.
        marked = [at for at, m in self.judged.log.get(job_id, []) if "stale" in m.lower()]
        until = (max(marked) - self.evidence.wall_offset) if marked else self.judged.at
        if any(start <= until + SLACK_S and end >= since for start, end in self.locks):
            explained["stale after a database lock (no kill)"] += 1
            return ""
        return f"stale ({row.stale_reason}) but no worker died after its last claim"

    def lost(self) -> None:
        removed = {j for a in self.actions if a.kind == "remove" and a.effective and a.by ==
                   "meddler" for j in a.ids}  # fmt: skip
        for job_id in sorted(self.evidence.job_of_doc.values()):
            if job_id in removed:
                continue
            row = self.end.jobs.get(job_id)
            if row is not None and row.state == "done" and row.result:
                continue
            if (
                row is not None
                and row.state == "cancelled"
                and self.job_actions(job_id, ["cancel"], by="meddler")
            ):
                continue
            self.report.lost.append(job_id)

    def _lives_between(self, first: float, second: float) -> str:
        """Where two moments fell: in one worker life, or across a restart."""
        a, b = self.life_at(first), self.life_at(second)
        if a is None or b is None:
            return ""
        return f" (same worker life {a.n})" if a is b else f" (worker life {a.n}, then {b.n})"

    def _t(self, t: float) -> str:
        return f"{t - self.lives[0].spawned:.2f} s" if self.lives else f"{t:.2f}"


# ---------------------------------------------------------------------------------- entry


def run_trial(
    config: MeddleConfig, workdir: Path, say: Callable[[str], None] = lambda _line: None
) -> MeddleReport:
    return MeddleTrial(config, workdir, say).run()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["meddler"]:
        return meddler_main(argv[1:])
    print(
        "usage: python -m tests.reliability.meddle meddler --home H --log L --stop S "
        "--settings JSON\n(the trial itself: benchmarks/meddle_soak.py)",
        file=sys.stderr,
    )
    return 2


if __name__ == "__main__":
    sys.exit(main())
