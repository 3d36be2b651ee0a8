"""Durable end-to-end jobs per second: Paceline against huey's SqliteHuey, same work, same disk.

Both sides do the same job, on SQLite in WAL mode with ``synchronous=FULL`` (checked on each
side's own connection), in folders on the same disk, with the same number of documents:

- **enqueue**: list the dropped folder, read each document and hash its bytes with sha256, put a
  job in the queue. Paceline does it through ``Engine.add_paths`` (intake: stat, sha256, the
  duplicate and queue-cap checks); huey's loop reads and hashes the file, then calls the task.
- **run**: take the job, read the document's text, durably record that the paid call is
  starting, make the call (an instant answer), store the result. Paceline's worker runs with an
  analyzer that is paced like a real provider (so each job commits "call started" before its
  call, as a paid job does) behind a ``FixedPacer`` of 0 s, so only the queue's own cost is
  measured; it also checks the document's sha256 against the enqueued one. huey cannot commit a
  "call started" record of its own, so its task writes the equivalent marker through huey's
  storage (``huey.put``) before it returns its result.

Commits are counted, not assumed: a sqlite3 trace callback on each queue's own connection sees
every ``BEGIN`` and ``COMMIT``, and ``total_changes`` tells a commit that wrote rows from one that
wrote nothing (SQLite syncs nothing for those). For Paceline, calls of ``Database.write`` are
counted too, as a cross-check. Counting runs in its own pass before the timed rounds, so the
callback's cost is not in the times.

    python benchmarks/queue_benchmark.py [--jobs 1000] [--rounds 5] [--dir /disk/to/test]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.analyzers.base import CallResult, Progress, split_text
from core.db import Database, Tx
from core.engine import Engine
from core.jobs import Profile
from core.settings import DEFAULT_MAX_QUEUE, Settings
from core.worker import Worker

T = TypeVar("T")

HUEY = "huey"
DROP = "Paceline, a dropped folder"
EACH = "Paceline, every file on its own"
QUEUES = (HUEY, DROP, EACH)


class InstantAnalyzer:
    """Paced like a remote provider, so every job commits its call's start; answers at once."""

    engine = "instant:bench"
    paced = True
    vision = None  # reads text only
    provider = "instant"
    model = "bench"
    part_chars = 24_000

    def split(self, text: str) -> list[str]:
        return split_text(text, self.part_chars)


    async def analyze_part(
        self, text: str, profile: Profile, *, index: int, count: int, progress: Progress,
        images: Sequence[Any] = (),
    ) -> CallResult:
        return CallResult(f"ok {len(text)}", prompt_tokens=len(text) // 4, completion_tokens=1)

    async def combine(
        self, partials: list[str], profile: Profile, *, progress: Progress
    ) -> CallResult:
        return CallResult("\n".join(partials))

    async def aclose(self) -> None:
        return None


# ---------------------------------------------------------------------- counting commits


@dataclass
class Counts:
    commits: int = 0  # write transactions that changed rows: each one is synced to disk
    empty: int = 0  # write transactions that changed nothing (nothing to sync)
    reads: int = 0  # read transactions (BEGIN ... COMMIT with no write lock)
    unaccounted: int = 0  # rows changed outside any counted transaction (should stay 0)
    statements: int = 0  # every statement run, BEGIN and COMMIT included
    db_writes: int = 0  # Paceline only: calls of Database.write (the cross-check)

    def minus(self, other: Counts) -> Counts:
        return Counts(*(getattr(self, f) - getattr(other, f) for f in self.__dataclass_fields__))


class Tracer:
    """A sqlite3 trace callback: sorts every COMMIT by the BEGIN it ends and the rows it changed.

    It runs on the thread that runs the statement (aiosqlite's thread for Paceline), before the
    statement; at a COMMIT, ``total_changes`` already holds the transaction's changes.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.counts = Counts()
        self._mark = conn.total_changes
        self._writing = False

    def __call__(self, sql: str) -> None:
        self.counts.statements += 1
        head = sql.lstrip()[:20].upper()
        if head.startswith("BEGIN"):
            self.counts.unaccounted += self.conn.total_changes - self._mark
            self._mark = self.conn.total_changes
            self._writing = "IMMEDIATE" in head or "EXCLUSIVE" in head
        elif head.startswith(("COMMIT", "END")):
            total = self.conn.total_changes
            if total != self._mark:
                self.counts.commits += 1
            elif self._writing:
                self.counts.empty += 1
            else:
                self.counts.reads += 1
            self._mark = total
            self._writing = False

    def take(self) -> Counts:
        self.counts.unaccounted += self.conn.total_changes - self._mark
        self._mark = self.conn.total_changes
        return replace(self.counts)


DB_WRITES = [0]


def count_database_writes() -> None:
    """Count calls of Paceline's one door for writes, in this process only."""
    original = Database.write

    async def write(self: Database, fn: Callable[[Tx], Awaitable[T]]) -> T:
        DB_WRITES[0] += 1
        return await original(self, fn)

    Database.write = write  # type: ignore[method-assign]


# ---------------------------------------------------------------------- the two queues


@dataclass
class Result:
    enqueue_s: float
    run_s: float
    enqueue: Counts = field(default_factory=Counts)
    run: Counts = field(default_factory=Counts)

    @property
    def total_s(self) -> float:
        return self.enqueue_s + self.run_s


def make_docs(folder: Path, n: int) -> None:
    folder.mkdir(parents=True)
    for i in range(n):
        (folder / f"doc{i:05d}.txt").write_text(
            f"Document number {i}. It has a little text to read.\n", encoding="utf-8"
        )


def raw_connection(db: Database) -> Any:
    """The sqlite3 connection under Paceline's aiosqlite one (for the trace callback only)."""
    return db._conn._conn  # type: ignore[attr-defined]


async def paceline_run(folder: Path, docs: Path, n: int, one_drop: bool, count: bool) -> Result:
    settings = Settings(pause_s=0.0, max_queue=max(DEFAULT_MAX_QUEUE, n))
    engine = await Engine.open(folder / "home", settings=settings)
    try:  # an unclosed store keeps aiosqlite's thread, and so the process, alive
        return await paceline_measure(engine, docs, n, one_drop, count)
    finally:
        await engine.close()


async def paceline_measure(
    engine: Engine, docs: Path, n: int, one_drop: bool, count: bool
) -> Result:
    store = engine.store
    assert [tuple(r) for r in await store.db.rows("PRAGMA journal_mode")] == [("wal",)]
    assert [tuple(r) for r in await store.db.rows("PRAGMA synchronous")] == [(2,)]  # FULL
    tracer = None
    if count:
        tracer = Tracer(raw_connection(store.db))
        await store.db._conn.set_trace_callback(tracer)  # type: ignore[attr-defined]
    writes0 = DB_WRITES[0]

    t0 = time.perf_counter()
    if one_drop:
        outcome = await engine.add_paths([docs])
        assert len(outcome.report.accepted) == n, outcome.summary
    else:
        for path in sorted(docs.iterdir()):
            outcome = await engine.add_paths([path])
            assert len(outcome.report.accepted) == 1, outcome.summary
    t1 = time.perf_counter()
    writes1 = DB_WRITES[0]
    enq = tracer.take() if tracer else Counts()
    worker = Worker(
        store, InstantAnalyzer(), engine.pacer, engine.clock, engine.bus, limits=engine.limits
    )
    await worker.run(until_empty=True)
    t2 = time.perf_counter()
    run = tracer.take().minus(enq) if tracer else Counts()
    enq.db_writes, run.db_writes = writes1 - writes0, DB_WRITES[0] - writes1

    if tracer:
        await store.db._conn.set_trace_callback(None)  # type: ignore[attr-defined]
    counts = await store.counts()
    assert counts.get("done") == n and not worker.internal_errors, (counts, worker.internal_errors)
    job = await store.get(n)
    assert job is not None and job.result is not None and job.result.startswith("ok "), job
    return Result(t1 - t0, t2 - t1, enq, run)


def huey_run(folder: Path, docs: Path, n: int, count: bool) -> Result:
    from huey import SqliteHuey

    folder.mkdir(parents=True)
    huey = SqliteHuey(
        "bench", filename=str(folder / "huey.sqlite3"), results=True, fsync=True,
        journal_mode="wal",
    )  # fmt: skip
    conn = huey.storage.conn
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert conn.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL

    @huey.task(context=True)
    def analyze(path: str, sha256: str, task: Any = None) -> str:
        text = Path(path).read_text(encoding="utf-8")  # the analyzer needs the text
        huey.put(f"started:{task.id}", time.time())  # the durable "call started" record
        return f"ok {len(text)}"  # an instant answer; huey stores it (results=True)

    tracer = None
    if count:
        tracer = Tracer(conn)
        conn.set_trace_callback(tracer)

    t0 = time.perf_counter()
    handles = []
    for path in sorted(docs.iterdir()):
        sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
        handles.append(analyze(str(path), sha256))
    t1 = time.perf_counter()
    enq = tracer.take() if tracer else Counts()
    done = 0
    while (task := huey.dequeue()) is not None:
        huey.execute(task)
        done += 1
    t2 = time.perf_counter()
    run = tracer.take().minus(enq) if tracer else Counts()

    conn.set_trace_callback(None)
    assert done == n, done
    assert huey.storage.result_store_size() == 2 * n  # n results and n "started" markers
    assert handles[-1].get().startswith("ok ")
    huey.storage.close()
    return Result(t1 - t0, t2 - t1, enq, run)


def one(name: str, folder: Path, docs: Path, n: int, count: bool) -> Result:
    if name == HUEY:
        return huey_run(folder, docs, n, count)
    return asyncio.run(paceline_run(folder, docs, n, name == DROP, count))


# ---------------------------------------------------------------------- main


def per_job(value: int, n: int, digits: int = 3) -> str:
    return f"{value / n:.{digits}f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="a folder on the disk to test")
    args = parser.parse_args()
    n = args.jobs
    base = Path(tempfile.mkdtemp(prefix="paceline-bench-", dir=args.dir))
    load_before = os.getloadavg()
    started = time.perf_counter()
    count_database_writes()
    rows: dict[str, list[Result]] = {name: [] for name in QUEUES}
    try:
        # The counting pass: every queue once with the trace callback, not timed.
        docs = base / "docs-count"
        make_docs(docs, n)
        counted = {name: one(name, base / f"count-{i}", docs, n, True)
                   for i, name in enumerate(QUEUES)}  # fmt: skip
        for r in range(args.rounds):
            docs = base / f"docs-{r}"
            make_docs(docs, n)
            order = QUEUES[r % len(QUEUES) :] + QUEUES[: r % len(QUEUES)]  # no fixed first
            for name in order:
                folder = base / f"round{r}-{QUEUES.index(name)}"
                rows[name].append(one(name, folder, docs, n, False))
    finally:
        shutil.rmtree(base, ignore_errors=True)
    elapsed = time.perf_counter() - started
    load_after = os.getloadavg()

    best = {name: min(results, key=lambda res: res.total_s) for name, results in rows.items()}
    huey_rate = n / best[HUEY].total_s

    def commits(name: str) -> int:
        return counted[name].enqueue.commits + counted[name].run.commits

    import huey as huey_module

    print(
        f"{n} jobs per queue, best of {args.rounds} rounds (by enqueue + run), "
        f"SQLite {sqlite3.sqlite_version} WAL + synchronous=FULL on both, in {base.parent}"
    )
    print(
        f"machine: {os.cpu_count()} cores, load average {load_before[0]:.2f} "
        f"{load_before[1]:.2f} {load_before[2]:.2f} before, {load_after[0]:.2f} "
        f"{load_after[1]:.2f} {load_after[2]:.2f} after; Python {platform.python_version()}, "
        f"huey {huey_module.__version__}; took {elapsed:.0f} s"
    )
    print()
    print("| queue | enqueue s | run s | jobs/s | commits/job | vs huey |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in QUEUES:
        res = best[name]
        rate = n / res.total_s
        print(
            f"| {name} | {res.enqueue_s:.3f} | {res.run_s:.3f} | {rate:.0f} | "
            f"{per_job(commits(name), n)} | {rate / huey_rate:.2f}× |"
        )
    print()
    print("commits per job, counted in an untimed pass (commits that wrote rows; empty write")
    print("transactions and read transactions are not synced and are listed apart):")
    print(
        f"{'queue':<34}{'enqueue':>8}{'run':>7}{'empty':>7}{'reads':>7}{'statements':>12}"
        "  Database.write"
    )
    for name in QUEUES:
        c = counted[name]
        writes = per_job(c.enqueue.db_writes + c.run.db_writes, n) if name != HUEY else "-"
        print(
            f"{name:<34}{per_job(c.enqueue.commits, n):>8}{per_job(c.run.commits, n):>7}"
            f"{per_job(c.enqueue.empty + c.run.empty, n):>7}"
            f"{per_job(c.enqueue.reads + c.run.reads, n):>7}"
            f"{per_job(c.enqueue.statements + c.run.statements, n, 1):>12}  {writes}"
        )
        stray = c.enqueue.unaccounted + c.run.unaccounted
        if stray:
            print(f"  warning: {stray} rows changed outside a counted transaction")
    spread = {name: (min(r.total_s for r in rows[name]), max(r.total_s for r in rows[name]))
              for name in QUEUES}  # fmt: skip
    print()
    print("spread of enqueue + run over the rounds (fastest, slowest): " + "; ".join(
        f"{name} {lo:.3f}-{hi:.3f} s" for name, (lo, hi) in spread.items()
    ))  # fmt: skip


if __name__ == "__main__":
    main()
