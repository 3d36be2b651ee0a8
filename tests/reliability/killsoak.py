"""The kill -9 soak: run ``paceline-cli run`` against a local provider and SIGKILL it, again and
again, then judge the run from the server's own request log and the database.

Used by ``benchmarks/soak.py`` (the long run that prints figures) and by the CI mini soak in
``tests/reliability/test_kill_soak.py``. Everything is real: a subprocess per worker life, a real
SIGKILL, the real SQLite file, the real HTTP server (in a thread of this process).

Kill moments, chosen at random for each life of the worker:
- ``after_answer``: the server reports that it has written the k-th answer of this life, and the
  worker is killed 0-100 ms later: before, during or after the commit of that answer.
- ``mid_call``: the k-th request of this life has arrived and is not answered yet.
- ``random``: at a random moment 0-1.2 s after the process started (start-up, recovery, claims,
  extraction, commits, calls).

Stale jobs are re-triggered only by this harness (every ``retrigger_every`` kills, and whenever a
life ends by itself with nothing else to do), and each re-trigger is noted against the request
log, so a call sent again without a re-trigger in between is caught as an automatic re-send.
"""

from __future__ import annotations

import itertools
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.cli import JOBS_FAILED
from tests.fake_provider import Recorded
from tests.reliability.tagged_provider import TaggedProvider, tag_of

ROOT = Path(__file__).resolve().parents[2]
KEY = "pk-soak-4b1e9d0c7a52f3"  # not "sk-" shaped: the log scrubber must not be what hides it
MARK = re.compile(r"MARK-(\d+)")
WORDS = (
    "queue worker sends documents model waits between calls providers limit requests minute "
    "pacing backoff durable sqlite window progress analysis summary result"
).split()
LIFE_TIMEOUT_S = 120.0  # a life that neither finishes nor gets killed by then is a hang


@dataclass(frozen=True)
class SoakConfig:
    jobs: int = 200
    kills: int = 120
    seed: int = 1
    latency: float = 0.02  # the server's think time per call
    retrigger_every: int = 10  # re-trigger stale jobs after this many kills
    multi_share: float = 0.4  # share of documents that need several parts
    max_parts: int = 4
    context_chars: int = 1500
    add_batches: int = 4  # the last jobs are added in batches while a worker runs


@dataclass
class Retrigger:
    after_request: int  # requests numbered up to this one were sent before the re-trigger
    job_ids: list[int]


@dataclass
class Kill:
    life: int
    moment: str  # after_answer | mid_call | random
    after_request: int
    detail: str = ""  # after_answer: "before_commit" | "after_commit"


@dataclass
class SoakReport:
    config: SoakConfig
    seconds: float = 0.0
    kills: list[Kill] = field(default_factory=list)
    lives: int = 0
    lives_ended_by_themselves: int = 0
    runner_errors: list[str] = field(default_factory=list)
    integrity_checks: int = 0
    integrity_failures: list[str] = field(default_factory=list)
    final_integrity: str = ""
    enqueued: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    states_sum: int = 0
    lost: list[int] = field(default_factory=list)
    done_twice: list[int] = field(default_factory=list)
    auto_resends_after_crash: list[str] = field(default_factory=list)
    auto_resends_other: list[str] = field(default_factory=list)
    parts_mismatch: list[int] = field(default_factory=list)
    unknown_requests: int = 0
    retriggers: int = 0
    jobs_retriggered: int = 0
    resent_after_retrigger: int = 0
    finals_answered_again: int = 0
    answered_not_saved: int = 0
    requests: int = 0
    answered: int = 0
    calls_needed: int = 0
    key_leaks: list[str] = field(default_factory=list)
    add_errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (
            self.runner_errors
            or self.integrity_failures
            or self.final_integrity != "ok"
            or self.states_sum != self.enqueued
            or self.lost
            or self.done_twice
            or self.auto_resends_after_crash
            or self.auto_resends_other
            or self.parts_mismatch
            or self.unknown_requests
            or self.key_leaks
            or self.add_errors
        )

    def problems(self) -> dict[str, Any]:
        """Everything that went wrong, for an assertion message."""
        return {
            name: value
            for name, value in {
                "runner_errors": self.runner_errors,
                "integrity_failures": self.integrity_failures,
                "final_integrity": "" if self.final_integrity == "ok" else self.final_integrity,
                "states_sum": ""
                if self.states_sum == self.enqueued
                else f"{self.states_sum} != {self.enqueued}",
                "lost": self.lost,
                "done_twice": self.done_twice,
                "auto_resends_after_crash": self.auto_resends_after_crash,
                "auto_resends_other": self.auto_resends_other,
                "parts_mismatch": self.parts_mismatch,
                "unknown_requests": self.unknown_requests,
                "key_leaks": self.key_leaks,
                "add_errors": self.add_errors,
            }.items()
            if value
        }

    def table(self) -> str:
        moments = Counter(k.moment for k in self.kills)
        between = sum(1 for k in self.kills if k.detail == "before_commit")
        rows = [
            ("jobs enqueued", self.enqueued),
            ("SIGKILLs", len(self.kills)),
            ("  right after an answer was written (0-100 ms)", moments["after_answer"]),
            ("    of which between the answer and its commit", between),
            ("  in the middle of a call", moments["mid_call"]),
            ("  at a random moment of the process's life", moments["random"]),
            ("worker lives (restarts + 1)", self.lives),
            ("  lives that ended by themselves", self.lives_ended_by_themselves),
            ("  lives that failed (exit not 0 and not SIGKILL)", len(self.runner_errors)),
            (
                "integrity_check after each kill",
                f"{self.integrity_checks} ok of "
                f"{self.integrity_checks + len(self.integrity_failures)}",
            ),
            ("PRAGMA integrity_check at the end", self.final_integrity),
            ("sum over states", f"{self.states_sum}  {_fmt_counts(self.counts)}"),
            ("jobs lost", len(self.lost)),
            ("jobs done twice", len(self.done_twice)),
            ("automatic re-sends after a crash", len(self.auto_resends_after_crash)),
            ("calls sent twice without a crash or re-trigger", len(self.auto_resends_other)),
            ("combined results not from the stored parts", len(self.parts_mismatch)),
            ("re-triggers (by the harness)", f"{self.retriggers} ({self.jobs_retriggered} jobs)"),
            ("calls re-sent after a re-trigger (allowed)", self.resent_after_retrigger),
            ("  of which final calls answered twice (1st unsaved)", self.finals_answered_again),
            ("answers paid for but not saved (killed first)", self.answered_not_saved),
            (
                "calls sent / answered / needed without kills",
                f"{self.requests} / {self.answered} / {self.calls_needed}",
            ),
            ("API key found in files of the home", len(self.key_leaks)),
            ("total time", f"{self.seconds:.1f} s"),
        ]
        width = max(len(name) for name, _ in rows)
        lines = [f"{name:<{width}}  {value}" for name, value in rows]
        lines.append("RESULT: " + ("PASS" if self.ok else f"FAIL {self.problems()}"))
        return "\n".join(lines)


def _fmt_counts(counts: dict[str, int]) -> str:
    return "(" + ", ".join(f"{k} {v}" for k, v in counts.items() if v) + ")"


# ---------------------------------------------------------------------------------- documents


def section(doc: int, part: int, rng: random.Random, size: int) -> str:
    """About ``size`` characters, marked MARK-<doc*100+part>, with no blank line inside."""
    lines = [f"MARK-{doc * 100 + part} section {part} of document {doc}."]
    n = 0
    while sum(len(x) + 1 for x in lines) < size:
        words = " ".join(rng.choice(WORDS) for _ in range(7))
        lines.append(f"d{doc}s{part}l{n} {words}.")
        n += 1
    return "\n".join(lines)


def write_documents(
    folder: Path, count: int, config: SoakConfig, rng: random.Random
) -> dict[Path, int]:
    """Documents doc0001.txt ... with their number of parts at ``config.context_chars``."""
    folder.mkdir(parents=True, exist_ok=True)
    docs: dict[Path, int] = {}
    size = int(config.context_chars * 0.8)  # one section fits a part; two never do
    for doc in range(1, count + 1):
        parts = 1
        if rng.random() < config.multi_share:
            parts = rng.randint(2, config.max_parts)
        text = "\n\n".join(section(doc, k, rng, size) for k in range(1, parts + 1))
        path = folder / f"doc{doc:04d}.txt"
        path.write_text(text + "\n", encoding="utf-8")
        docs[path] = parts
    return docs


# ---------------------------------------------------------------------------------- the soak


class KillSoak:
    def __init__(self, config: SoakConfig, workdir: Path, say: Callable[[str], None]) -> None:
        self.config = config
        self.workdir = workdir
        self.home = workdir / "home"
        self.say = say
        self.rng = random.Random(config.seed)
        self.server = TaggedProvider(latency=config.latency)
        self.report = SoakReport(config)
        self.parts_of: dict[int, int] = {}  # document number -> parts
        self.job_of_doc: dict[int, int] = {}  # document number -> job id
        self.retriggers: list[Retrigger] = []
        self.pending_batches: list[list[Path]] = []  # documents to add while a worker runs
        self.runner_log = workdir / "runner-stderr.log"
        # Measured as the soak goes, to size each life so that the kills spread over the work.
        self.startup_s = 0.3
        self.call_s = max(0.01, config.latency + 0.01)

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
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        }

    def cli(self, *args: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "core.cli", *args],
            capture_output=True, text=True, env=self.env(), cwd=ROOT, timeout=timeout,
        )  # fmt: skip

    def popen(self, *args: str) -> subprocess.Popen[str]:
        with open(self.runner_log, "a", encoding="utf-8") as err:
            return subprocess.Popen(
                [sys.executable, "-m", "core.cli", *args],
                stdout=subprocess.DEVNULL, stderr=err, text=True, env=self.env(), cwd=ROOT,
            )  # fmt: skip

    def db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.home / "paceline.sqlite3", timeout=30)

    # ------------------------------------------------------------------ running

    def run(self) -> SoakReport:
        started = time.monotonic()
        self.server.start()
        try:
            self._setup()
            self._kill_loop()
            self._finish()
            self._judge()
        finally:
            self.server.stop()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _setup(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        settings = {"context_chars": self.config.context_chars, "pause_s": 0}
        (self.home / "settings.json").write_text(json.dumps(settings), encoding="utf-8")
        batches = max(0, self.config.add_batches)
        late = min(self.config.jobs // 3, 20 * batches) if batches else 0
        docs = write_documents(self.workdir / "docs", self.config.jobs, self.config, self.rng)
        for path, parts in docs.items():
            self.parts_of[_doc_number(path)] = parts
        self.report.calls_needed = sum(p + (1 if p > 1 else 0) for p in docs.values())
        paths = list(docs)
        first, rest = paths[: len(paths) - late], paths[len(paths) - late :]
        self._record_add(self.cli("add", "--json", *map(str, first)))
        self.pending_batches = [rest[i::batches] for i in range(batches)] if rest else []
        self.say(
            f"{self.config.jobs} documents ({sum(1 for p in docs.values() if p > 1)} in several "
            f"parts), {len(first)} added now, {late} added while workers run"
        )

    def _record_add(self, done: subprocess.CompletedProcess[str]) -> None:
        if done.returncode != 0:
            self.report.add_errors.append(done.stderr.strip()[-300:])
            return
        report = json.loads(done.stdout)
        for item in report["accepted"]:
            self.job_of_doc[_doc_number(Path(item["path"]))] = int(item["id"])
        if report["rejected"] or report["duplicates"]:
            self.report.add_errors.append(f"not all accepted: {report}")

    def _kill_loop(self) -> None:
        kills_since_retrigger = 0
        quiet_lives = 0  # lives in a row that ended without a kill: a stuck queue ends the loop
        while len(self.report.kills) < self.config.kills and quiet_lives < 20:
            adder = None
            if self.pending_batches and self.report.lives % 3 == 1:
                batch = self.pending_batches.pop()
                adder = self.popen_add(batch)
            killed = self._life()
            if adder is not None:
                out, err = adder.communicate(timeout=120)
                self._record_add(subprocess.CompletedProcess(adder.args, adder.returncode,
                                                             out, err))  # fmt: skip
            self._check_integrity()
            quiet_lives = 0 if killed else quiet_lives + 1
            if killed:
                kills_since_retrigger += 1
                if len(self.report.kills) % 20 == 0:
                    self.say(
                        f"  {len(self.report.kills)} kills, {self.server.chat_count} calls, "
                        f"{_fmt_counts(self._counts_from_db())}"
                    )
            if kills_since_retrigger >= self.config.retrigger_every or not killed:
                retriggered = self._retrigger()
                kills_since_retrigger = 0
                if not killed and not retriggered and not self.pending_batches:
                    counts = self._counts_from_db()
                    if not counts.get("queued") and not counts.get("running"):
                        self.say("  the queue is empty: no more work to kill")
                        break

    def popen_add(self, paths: list[Path]) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "core.cli", "add", "--json", *map(str, paths)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(),
            cwd=ROOT,
        )  # fmt: skip

    def _life(self) -> bool:
        """One worker process; True if it was killed, False if it ended by itself."""
        server = self.server
        self.report.lives += 1
        life = self.report.lives
        with server._lock:
            start_requests = len(server.requests)
            start_answered = len(server.answered_at)
        spawned = time.monotonic()
        proc = self.popen("run", "--until-empty")
        moment = self.rng.choice(["after_answer", "after_answer", "mid_call", "random"])
        budget = self._budget()
        k = self.rng.randint(1, 2 * budget - 1)  # on average the calls this life may do
        target: int | None = None
        if moment == "after_answer":
            reached = self._wait(proc, lambda: len(server.answered_at) >= start_answered + k)
            if reached:
                with server._lock:
                    target = sorted(server.answered_at, key=server.answered_at.__getitem__)[
                        start_answered + k - 1
                    ]
                offset = self.rng.choice([0.0, self.rng.uniform(0, 0.01),
                                          self.rng.uniform(0.01, 0.1)])  # fmt: skip
                if offset:
                    time.sleep(offset)
        elif moment == "mid_call":
            reached = self._wait(
                proc,
                lambda: (
                    len(server.requests) >= start_requests + k
                    and server.requests[start_requests + k - 1].n not in server.answered_at
                ),
            )
            if not reached and proc.poll() is None:
                moment = "random"  # the k-th call was answered before we saw it in flight
        if moment == "random":
            span = self.startup_s + budget * self.call_s
            deadline = spawned + self.rng.uniform(0.0, span)
            while proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.005)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        code = proc.wait(timeout=LIFE_TIMEOUT_S)
        self._measure(spawned, start_requests)
        if code == -signal.SIGKILL:
            kill = Kill(life, moment, len(server.requests))
            if target is not None:
                kill.detail = self._committed(target)
            self.report.kills.append(kill)
            return True
        self.report.lives_ended_by_themselves += 1
        if code != 0:
            tail = self.runner_log.read_text(encoding="utf-8", errors="replace")[-600:]
            self.report.runner_errors.append(f"life {life} exit {code}: {tail}")
        return False

    def _budget(self) -> int:
        """Calls one life may make so that the kills asked for spread over all the work."""
        kills_left = max(1, self.config.kills - len(self.report.kills))
        calls_left = max(0, self.report.calls_needed - self.server.answered_count)
        return max(1, round(0.8 * calls_left / kills_left))

    def _measure(self, spawned: float, start_requests: int) -> None:
        """Update the start-up time and the time per call from the life that just ended."""
        with self.server._lock:
            arrivals = [self.server.arrived_at[r.n] for r in self.server.requests[start_requests:]]
        if arrivals:
            self.startup_s = 0.8 * self.startup_s + 0.2 * (arrivals[0] - spawned)
        if len(arrivals) >= 2:
            per_call = (arrivals[-1] - arrivals[0]) / (len(arrivals) - 1)
            self.call_s = 0.8 * self.call_s + 0.2 * per_call

    def _wait(self, proc: subprocess.Popen[str], predicate: Callable[[], bool]) -> bool:
        deadline = time.monotonic() + LIFE_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.server.wait_until(predicate, 0.05):
                return True
            if proc.poll() is not None:
                return False
        raise TimeoutError("a worker neither progressed nor ended within the life timeout")

    def _committed(self, n: int) -> str:
        """Whether the answer to request ``n`` made it into the database before the kill."""
        key = self._key(self.server.requests[n - 1])
        if key is None:
            return "unknown"
        job_id, idx, final = key
        with self.db() as conn:
            if final:
                row = conn.execute("SELECT result FROM jobs WHERE id = ?", (job_id,)).fetchone()
            else:
                row = conn.execute(
                    "SELECT result FROM parts WHERE job_id = ? AND idx = ? AND state = 'done'",
                    (job_id, idx),
                ).fetchone()
        conn.close()
        return "after_commit" if row and tag_of(row[0]) == n else "before_commit"

    def _check_integrity(self) -> None:
        conn = self.db()
        try:
            result = conn.execute("PRAGMA integrity_check").fetchone()[0]
        finally:
            conn.close()
        if result == "ok":
            self.report.integrity_checks += 1
        else:
            self.report.integrity_failures.append(f"after life {self.report.lives}: {result}")

    def _counts_from_db(self) -> dict[str, int]:
        conn = self.db()
        try:
            return dict(conn.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state"))
        finally:
            conn.close()

    def _retrigger(self) -> int:
        listed = self.cli("list", "--state", "stale", "--json")  # also runs start-up recovery
        if listed.returncode != 0:
            self.report.runner_errors.append(f"list failed: {listed.stderr.strip()}")
            return 0
        ids = [int(job["id"]) for job in json.loads(listed.stdout)]
        if not ids:
            return 0
        with self.server._lock:
            after = len(self.server.requests)
        done = self.cli("retrigger", *map(str, ids))
        if done.returncode != 0 or f"{len(ids)} job(s) queued again" not in done.stdout:
            self.report.runner_errors.append(f"retrigger failed: {done.stdout} {done.stderr}")
        self.retriggers.append(Retrigger(after, ids))
        self.report.retriggers += 1
        self.report.jobs_retriggered += len(ids)
        return len(ids)

    def _finish(self) -> None:
        """Re-trigger what is stale and let a worker finish everything, without kills."""
        for batch in self.pending_batches:
            self._record_add(self.cli("add", "--json", *map(str, batch)))
        self.pending_batches = []
        for _ in range(5):
            self._retrigger()
            self.report.lives += 1
            done = self.cli("run", "--until-empty", timeout=900)
            if done.returncode not in (0, JOBS_FAILED):  # failed jobs are not a runner error
                self.report.runner_errors.append(f"final run exit {done.returncode}: "
                                                 f"{done.stderr[-600:]}")  # fmt: skip
            self._check_integrity()
            counts = self._counts_from_db()
            if not counts.get("stale") and not counts.get("queued"):
                break

    # ------------------------------------------------------------------ judging

    def _key(self, record: Recorded) -> tuple[int, int, bool] | None:
        """(job id, call index as the worker numbers it, is it the job's final call)."""
        numbers = [int(m) for m in MARK.findall(record.user_text)]
        if not numbers:
            return None
        docs = {n // 100 for n in numbers}
        if len(docs) != 1:
            return None
        doc = docs.pop()
        job_id = self.job_of_doc.get(doc)
        parts = self.parts_of.get(doc)
        if job_id is None or parts is None:
            return None
        if len(numbers) == 1 and parts == 1:
            return job_id, 0, True
        if len(numbers) == 1:
            return job_id, numbers[0] % 100 - 1, False
        if sorted(n % 100 for n in numbers) == list(range(1, parts + 1)):
            return job_id, parts, True  # the combining call is numbered after the parts
        return None

    def _retriggered_between(self, job_id: int, first: int, second: int) -> bool:
        return any(
            first <= r.after_request < second and job_id in r.job_ids for r in self.retriggers
        )

    def _judge(self) -> None:
        report, server = self.report, self.server
        conn = self.db()
        try:
            report.final_integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
            rows = conn.execute("SELECT id, state, result FROM jobs").fetchall()
        finally:
            conn.close()
        status = self.cli("status", "--json")
        report.counts = json.loads(status.stdout)["counts"] if status.returncode == 0 else {}
        report.states_sum = sum(report.counts.values())
        report.enqueued = len(self.job_of_doc)
        jobs = {row[0]: (row[1], row[2]) for row in rows}
        report.lost = sorted(
            job_id
            for job_id in self.job_of_doc.values()
            if job_id not in jobs or jobs[job_id][0] != "done" or not jobs[job_id][1]
        )
        chats = server.chat_requests
        report.requests = len(chats)
        report.answered = len(server.answered_at)
        by_key: dict[tuple[int, int], list[Recorded]] = defaultdict(list)
        finals: dict[int, list[Recorded]] = defaultdict(list)
        for record in chats:
            key = self._key(record)
            if key is None:
                report.unknown_requests += 1
                continue
            by_key[key[:2]].append(record)
            if key[2]:
                finals[key[0]].append(record)
        kill_points = [k.after_request for k in report.kills]
        for (job_id, idx), records in by_key.items():
            for first, second in itertools.pairwise(records):
                if self._retriggered_between(job_id, first.n, second.n):
                    report.resent_after_retrigger += 1
                    continue
                crash = any(first.n <= p < second.n for p in kill_points)
                what = f"job {job_id} call {idx}: request {first.n} then {second.n}"
                (report.auto_resends_after_crash if crash else report.auto_resends_other).append(
                    what
                )
        for job_id, (state, result) in jobs.items():
            if state != "done":
                continue
            stored = tag_of(result)
            if stored is None:
                continue  # done without its result: counted as lost above
            sent = [r.n for r in finals.get(job_id, [])]
            # Done twice: a final call after the one whose answer is stored, or a result that
            # no final call of this job produced.
            answered = [n for n in sent if n in server.answered_at]
            report.finals_answered_again += max(0, len(answered) - 1)
            if stored not in sent or sent[-1] != stored:
                report.done_twice.append(job_id)
            elif not self._combined_from_last_parts(job_id, stored, by_key):
                report.parts_mismatch.append(job_id)
        used = {tag_of(r) for _, r in jobs.values()}
        conn = self.db()
        try:
            used |= {tag_of(r) for (r,) in conn.execute("SELECT result FROM parts")}
        finally:
            conn.close()
        report.answered_not_saved = sum(1 for n in server.answered_at if n not in used)
        needle = KEY.encode()
        for path in self.home.rglob("*"):
            if path.is_file() and needle in path.read_bytes():
                report.key_leaks.append(path.name)

    def _combined_from_last_parts(
        self, job_id: int, final_n: int, by_key: dict[tuple[int, int], list[Recorded]]
    ) -> bool:
        """The combining call carried, for every part, the answer of that part's last call."""
        final = self.server.requests[final_n - 1]
        given = [int(n) for n in re.findall(r"\[r(\d+)\]", final.user_text)]
        if not given:
            return True  # a single-part job: nothing was combined
        expected = []
        for idx in range(len(given)):
            earlier = [r.n for r in by_key.get((job_id, idx), []) if r.n < final_n]
            expected.append(earlier[-1] if earlier else None)
        return given == expected


def _doc_number(path: Path) -> int:
    return int(path.stem.removeprefix("doc"))


def run_soak(
    config: SoakConfig, workdir: Path, say: Callable[[str], None] = lambda _line: None
) -> SoakReport:
    return KillSoak(config, workdir, say).run()
