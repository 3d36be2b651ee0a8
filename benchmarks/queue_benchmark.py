"""Durable end-to-end jobs per second: Paceline against huey's SqliteHuey, same disk, same run.

Both queues use SQLite in WAL mode with synchronous=FULL (huey's default leaves SQLite's FULL in
place) and store each job's result. Paceline additionally reads each document from disk, checks
its sha256 against the enqueued one, and records the call for its ETA model.

    python benchmarks/queue_benchmark.py [--jobs 500] [--dir /path/on/the/disk/to/test]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.analyzers.base import CallResult, Progress
from core.clock import SystemClock
from core.documents import fingerprint
from core.events import EventBus
from core.jobs import NewJob, Profile
from core.pacing import FixedPacer
from core.store import Store
from core.worker import Worker


class InstantAnalyzer:
    engine = "instant"
    paced = False
    provider = "instant"
    model = "instant"

    def split(self, text: str) -> list[str]:
        return [text]

    def estimate_tokens(self, text: str) -> int:
        return 0

    async def analyze_part(self, text: str, profile: Profile, *, index: int, count: int,
                           progress: Progress) -> CallResult:
        return CallResult(f"ok {len(text)}")

    async def combine(self, partials: list[str], profile: Profile, *,
                      progress: Progress) -> CallResult:
        return CallResult("\n".join(partials))

    async def aclose(self) -> None:
        return None


def make_docs(folder: Path, n: int) -> list[NewJob]:
    folder.mkdir(parents=True, exist_ok=True)
    jobs = []
    for i in range(n):
        path = folder / f"doc{i:05d}.txt"
        path.write_text(f"Document number {i}. It has a little text to read.\n", encoding="utf-8")
        size, mtime, sha = fingerprint(path)
        jobs.append(NewJob(str(path), size, mtime, sha, "Summary", "p", "instant", "instant"))
    return jobs


async def paceline_run(folder: Path, jobs: list[NewJob], one_drop: bool) -> tuple[float, float]:
    clock = SystemClock()
    bus = EventBus()
    store = await Store.open(folder / "paceline.sqlite3", clock, bus)
    t0 = time.perf_counter()
    if one_drop:
        await store.add_jobs(jobs, max_queued=len(jobs))
    else:
        for job in jobs:
            await store.add_jobs([job], max_queued=len(jobs))
    t1 = time.perf_counter()
    worker = Worker(store, InstantAnalyzer(), FixedPacer(clock, 0), clock, bus)
    await worker.run(until_empty=True)
    t2 = time.perf_counter()
    counts = await store.counts()
    assert counts["done"] == len(jobs), counts
    await store.close()
    return t1 - t0, t2 - t1


def huey_run(folder: Path, n: int) -> tuple[float, float]:
    from huey import SqliteHuey

    huey = SqliteHuey(filename=str(folder / "huey.sqlite3"), results=True)

    @huey.task()
    def analyze(i: int) -> str:
        return f"ok {i}"

    t0 = time.perf_counter()
    for i in range(n):
        analyze(i)
    t1 = time.perf_counter()
    done = 0
    while True:
        task = huey.dequeue()
        if task is None:
            break
        huey.execute(task)
        done += 1
    t2 = time.perf_counter()
    assert done == n
    return t1 - t0, t2 - t1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    base = Path(tempfile.mkdtemp(prefix="paceline-bench-", dir=args.dir))
    n = args.jobs
    rows: dict[str, list[tuple[float, float]]] = {"huey": [], "paceline": [],
                                                  "paceline, one drop": []}
    try:
        for r in range(args.rounds):
            for name in rows:
                folder = base / f"{name.replace(', ', '-').replace(' ', '-')}-{r}"
                if name == "huey":
                    folder.mkdir(parents=True)
                    rows[name].append(huey_run(folder, n))
                else:
                    jobs = make_docs(folder / "docs", n)
                    rows[name].append(
                        asyncio.run(paceline_run(folder, jobs, name.endswith("drop")))
                    )
    finally:
        shutil.rmtree(base, ignore_errors=True)

    def best(name: str) -> tuple[float, float, float]:
        enq, run = min(rows[name], key=lambda t: t[0] + t[1])
        return enq, run, n / (enq + run)

    h = best("huey")
    print(f"{n} jobs, best of {args.rounds} rounds, SQLite WAL + synchronous=FULL, {base.parent}")
    print(f"{'queue':<22}{'enqueue s':>11}{'run s':>9}{'jobs/s':>9}{'vs huey':>9}")
    for name in rows:
        enq, run, rate = best(name)
        print(f"{name:<22}{enq:>11.3f}{run:>9.3f}{rate:>9.1f}{rate / h[2]:>8.2f}x")


if __name__ == "__main__":
    main()
